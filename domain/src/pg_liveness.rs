//! Telling the pool to drop connections that died with the database (docs/ARCHITECTURE.md "Database
//! restarts"). The pool hands out connections without a ping first (a round trip per checkout), so after
//! PostgreSQL restarts, each pooled connection would fail the next request that used it — a request's
//! retry could meet another dead one and fail again. Instead, the first query that fails because its
//! connection is gone marks the moment here, and the pool's `before_acquire` hook
//! (`server/src/startup/database.rs`) discards every connection opened before it: each request fails at
//! most once, and its retry gets a fresh connection.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

static STARTED: LazyLock<Instant> = LazyLock::new(Instant::now);
/// When a connection was last found dead, in milliseconds since `STARTED` (0: never).
static LOST_AT_MS: AtomicU64 = AtomicU64::new(0);

/// Notes a database error; one that means the connection itself is gone marks the moment.
pub fn note_error(err: &sqlx::Error) {
    if connection_gone(err) {
        let now = u64::try_from(STARTED.elapsed().as_millis()).unwrap_or(u64::MAX).max(1);
        LOST_AT_MS.fetch_max(now, Ordering::AcqRel);
        tracing::warn!(error = %err, "a database connection was lost; older pooled connections will be replaced");
    }
}

/// Whether a pooled connection of this `age` was opened before the last lost connection (and so may
/// be dead too).
pub fn opened_before_a_loss(age: Duration) -> bool {
    let lost_at = LOST_AT_MS.load(Ordering::Acquire);
    if lost_at == 0 {
        return false;
    }
    let opened_at = STARTED.elapsed().saturating_sub(age);
    u128::from(lost_at) >= opened_at.as_millis()
}

/// I/O and protocol failures, and the server telling the session it is shutting down (57P01–57P03) or the
/// connection failed (class 08).
fn connection_gone(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_connection_condemns_the_connections_opened_before_it_only() {
        LazyLock::force(&STARTED);
        std::thread::sleep(Duration::from_millis(5));
        let before = STARTED.elapsed();
        note_error(&sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset)));
        assert!(opened_before_a_loss(before), "opened before the loss");
        std::thread::sleep(Duration::from_millis(5));
        assert!(!opened_before_a_loss(Duration::from_millis(1)), "opened after it");
        // An ordinary query error (a constraint, a missing row) says nothing about the connection.
        note_error(&sqlx::Error::RowNotFound);
        assert!(!opened_before_a_loss(Duration::from_millis(1)));
    }
}
