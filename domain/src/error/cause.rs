//! What lies behind an [`AppError::Internal`](super::AppError::Internal): the failure a person only sees as
//! "Something went wrong on our side", kept with its chain for whoever reads the server's log.
//!
//! Logged once, where the error ends: when the last copy of the error is dropped — after the edge that
//! met it (a `/v1` or `/mcp` answer, a page, a server function's reply, a worker's pass) has answered with
//! the public message — inside that request's span, so the line carries the request's id. Code in between
//! passes the error on with `?` and never logs it again. A copy deserialized in the browser has no cause and
//! logs nothing.

use std::fmt;
use std::sync::Arc;

/// The cause of an internal error (see the module's doc). Copies share it; two causes always compare
/// equal, so an `AppError` compares by its code.
#[derive(Clone, Default)]
pub struct Cause(Option<Arc<Failure>>);

struct Failure {
    what: &'static str,
    error: Box<dyn std::error::Error + Send + Sync>,
}

impl Cause {
    pub(super) fn new(what: &'static str, error: Box<dyn std::error::Error + Send + Sync>) -> Cause {
        Cause(Some(Arc::new(Failure { what, error })))
    }

    /// "what failed: the error: its source: …", the whole chain on one line.
    pub fn chain(&self) -> String {
        self.0.as_deref().map_or_else(|| "no cause recorded".to_string(), Failure::chain)
    }
}

impl Failure {
    fn chain(&self) -> String {
        let mut line = format!("{}: {}", self.what, self.error);
        let mut source = self.error.source();
        while let Some(err) = source {
            line.push_str(&format!(": {err}"));
            source = err.source();
        }
        line
    }
}

impl Drop for Failure {
    fn drop(&mut self) {
        #[cfg(feature = "log")]
        tracing::error!(cause = %self.chain(), "internal error");
    }
}

impl PartialEq for Cause {
    fn eq(&self, _: &Cause) -> bool {
        true
    }
}

impl Eq for Cause {}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.chain())
    }
}

/// What failed ("database error"); the error itself is the [`source`](std::error::Error::source).
impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_ref().map_or("no cause recorded", |failure| failure.what))
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.as_ref().map(|failure| &*failure.error as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::super::AppError;
    use std::error::Error;

    #[test]
    fn an_internal_error_keeps_its_chain_and_compares_by_code() {
        let io = std::io::Error::other("connection reset");
        let err = AppError::internal("reading the wallet", io);
        let cause = err.source().expect("a cause");
        assert_eq!(cause.to_string(), "reading the wallet");
        assert_eq!(cause.source().expect("the error").to_string(), "connection reset");
        let AppError::Internal(kept) = &err else { panic!("internal") };
        assert_eq!(kept.chain(), "reading the wallet: connection reset");
        assert_eq!(err, AppError::bug("something else"), "causes don't tell errors apart");
        assert_eq!(err.code(), "internal");
    }

    #[test]
    fn the_cause_never_reaches_the_wire() {
        let err = AppError::internal("reading the wallet", std::io::Error::other("secret detail"));
        assert_eq!(serde_json::to_string(&err).unwrap(), "\"internal\"");
        let back: AppError = serde_json::from_str("\"internal\"").unwrap();
        assert_eq!(back, err);
        let AppError::Internal(none) = back else { panic!("internal") };
        assert_eq!(none.chain(), "no cause recorded");
    }
}
