//! Login and sign-up throttling (docs/CONTRACT.md "Limits and account security"), counted in PostgreSQL
//! (`tollgate_core::throttle`) so every app server sees the same counts:
//! - 5 failed logins for one email from one client address within 15 minutes block that pair for 15
//!   minutes — a correct password is refused too while blocked, so guessing can't go on quietly;
//! - 20 login attempts from one address within a minute block the address for a minute (spraying many
//!   emails from one place);
//! - sign-ups from one address are capped per hour (`TOLLGATE_SIGNUPS_PER_IP_HOUR`).
//!
//! These run before any password is hashed or checked, so a refused attempt costs one small query. A
//! login is counted as a failure *before* its password is checked and given back when it succeeds, so
//! guesses fired at once are counted exactly like guesses made one by one.

use super::password;
use chrono::Utc;
use sqlx::PgPool;
use std::time::Duration;
use tollgate_core::client_ip::ClientIp;
use tollgate_core::throttle::{self, Limit, Verdict};
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::error::AppError;

const FAILED_LOGINS_PER_EMAIL_AND_IP: Limit = Limit {
    bucket: "login_failures",
    max: 5,
    window: Duration::from_secs(15 * 60),
    block_for: Duration::from_secs(15 * 60),
};

const LOGIN_ATTEMPTS_PER_IP: Limit = Limit {
    bucket: "login_attempts_ip",
    max: 20,
    window: Duration::from_secs(60),
    block_for: Duration::from_secs(60),
};

/// The (address, email) pair failed logins are counted for. A malformed email is counted as typed
/// (trimmed, lower-cased, without control characters, cut to an email's longest), so it can't be used to
/// dodge the count.
fn email_subject(ip: ClientIp, email: &str) -> String {
    let email = Email::parse(email).map(|e| e.as_str().to_string()).unwrap_or_else(|_| {
        // Control characters dropped: PostgreSQL text can't hold NUL.
        email.trim().to_lowercase().chars().filter(|c| !c.is_control()).take(254).collect()
    });
    format!("{}|{email}", ip.limit_subject())
}

fn refused(verdict: Verdict) -> Result<(), AppError> {
    match verdict {
        Verdict::Allowed => Ok(()),
        refused => Err(AppError::TooManyAttempts { minutes: refused.minutes_left(Utc::now()) }),
    }
}

/// Counts a login attempt from `ip`, as a failure of the (address, email) pair until
/// [`verify_admitted`] finds the password right; refused while the address or the pair is blocked.
pub async fn admit_login(pool: &PgPool, ip: ClientIp, email: &str) -> Result<(), AppError> {
    refused(throttle::take(pool, LOGIN_ATTEMPTS_PER_IP, &ip.limit_subject()).await?)?;
    refused(throttle::take(pool, FAILED_LOGINS_PER_EMAIL_AND_IP, &email_subject(ip, email)).await?)
}

/// Checks `password` against `stored` for an attempt [`admit_login`] let through (a login, or Settings'
/// "Current password"). A right password, or one never checked (the server was busy), is given back,
/// so only wrong ones stay counted.
pub async fn verify_admitted(
    pool: &PgPool,
    ip: ClientIp,
    email: &str,
    password: &str,
    stored: Option<String>,
) -> Result<bool, AppError> {
    let verified = password::verify(password, stored).await;
    if !matches!(verified, Ok(false)) {
        throttle::give_back(pool, FAILED_LOGINS_PER_EMAIL_AND_IP, &email_subject(ip, email)).await?;
    }
    verified
}

/// Counts a sign-up from `ip`; over `per_hour` within an hour, refused until the hour has passed.
pub async fn admit_signup(pool: &PgPool, ip: ClientIp, per_hour: u32) -> Result<(), AppError> {
    let limit = Limit {
        bucket: "signups_ip",
        max: per_hour,
        window: Duration::from_secs(60 * 60),
        block_for: Duration::from_secs(60 * 60),
    };
    throttle::take(pool, limit, &ip.limit_subject()).await?.or_refuse(AppError::TooManySignups)
}
