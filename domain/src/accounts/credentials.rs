//! Sign-up and log-in inputs as parsed newtypes, shared by the browser (instant hints) and the server.

use crate::error::AppError;

/// A syntactically plausible email address, trimmed and lower-cased so that `Demo@Tollgate.test` and
/// `demo@tollgate.test` are one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// RFC 5321 caps a forward path at 254 characters.
    const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Email, AppError> {
        let email = raw.trim().to_lowercase();
        let (local, domain) = email.split_once('@').ok_or(AppError::InvalidEmail)?;
        let plausible = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && email.chars().count() <= Self::MAX_LEN
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if plausible {
            Ok(Email(email))
        } else {
            Err(AppError::InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets docs/CONTRACT.md's one rule (at least 10 characters). The upper bound keeps a
/// megabyte "password" from tying up argon2; it is far above anything a password manager makes.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: &str) -> Result<NewPassword, AppError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            Err(AppError::PasswordTooShort)
        } else if chars > Self::MAX_CHARS {
            Err(AppError::PasswordTooLong)
        } else {
            Ok(NewPassword(raw.to_string()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Demo@Tollgate.TEST ").unwrap().as_str(), "demo@tollgate.test");
    }

    #[test]
    fn implausible_emails_are_refused() {
        for bad in ["", "demo", "@x.io", "a@b", "a@.io", "a@io.", "a b@x.io", "a@b@c.io", "a@x\u{7}.io"] {
            assert_eq!(Email::parse(bad), Err(AppError::InvalidEmail), "{bad:?}");
        }
        assert_eq!(Email::parse(&format!("{}@x.io", "a".repeat(300))), Err(AppError::InvalidEmail));
    }

    #[test]
    fn password_rule_counts_characters_not_bytes() {
        assert_eq!(NewPassword::parse("short").unwrap_err(), AppError::PasswordTooShort);
        assert_eq!(NewPassword::parse("123456789").unwrap_err(), AppError::PasswordTooShort);
        assert!(NewPassword::parse("1234567890").is_ok());
        // Nine characters, 27 bytes: still too short.
        assert_eq!(NewPassword::parse("ééééééééé").unwrap_err(), AppError::PasswordTooShort);
        assert!(NewPassword::parse("🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒").is_ok());
        assert_eq!(NewPassword::parse(&"x".repeat(1025)).unwrap_err(), AppError::PasswordTooLong);
    }

    proptest! {
        #[test]
        fn any_password_of_ten_to_1024_chars_is_accepted(p in "\\PC{10,200}") {
            prop_assert!(NewPassword::parse(&p).is_ok());
        }

    }
}
