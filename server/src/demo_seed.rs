//! The demo account a newcomer logs into (CONTRACT.md "Running it"): `demo@tollgate.test` /
//! `demo-password-1`, about 60 days of history and a few deposits. Dev only (`TOLLGATE_SEED_DEMO`).
//!
//! The history is deterministic so tests can name the balance: deposits of $100, $50 and $25, and
//! daily usage adding up to $127.50, leaving **$47.50**. Everything goes through the ledger, in one
//! transaction, in time order, so `balance = Σ ledger` holds as for any other account.

use app::auth::{
    credentials::{Email, NewPassword},
    db as auth_db, password,
};
use app::error::AppError;
use app::wallet::ledger::{self, EntryKind, Posting};
use chrono::{Duration, NaiveTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

pub const DEMO_EMAIL: &str = "demo@tollgate.test";
pub const DEMO_PASSWORD: &str = "demo-password-1";
const HISTORY_DAYS: i64 = 60;
/// (days ago, dollars)
const DEPOSITS: [(i64, i64); 3] = [(60, 100), (35, 50), (12, 25)];

/// Creates the demo account unless it exists. Safe to call on every start.
pub async fn seed_demo_account(pool: &PgPool) -> Result<bool, AppError> {
    let email = Email::parse(DEMO_EMAIL)?;
    if auth_db::find_login(pool, &email).await?.is_some() {
        return Ok(false);
    }
    let hash = password::hash(&NewPassword::parse(DEMO_PASSWORD)?).await?;
    let user = match auth_db::create_user_with_account(pool, &email, &hash).await {
        Ok(user) => user,
        Err(AppError::EmailTaken) => return Ok(false), // another instance seeded it first
        Err(err) => return Err(err),
    };
    let mut tx = pool.begin().await?;
    for (at, kind, amount, reference) in demo_history() {
        ledger::post(
            &mut tx,
            Posting { account_id: user.account_id, kind, amount, reference: &reference, at: Some(at) },
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(email = DEMO_EMAIL, "seeded the demo account");
    Ok(true)
}

/// Deposits and one usage entry per day, oldest first.
fn demo_history() -> Vec<(chrono::DateTime<Utc>, EntryKind, Decimal, String)> {
    let today = Utc::now().date_naive();
    let at = |days_ago: i64, time: NaiveTime| (today - Duration::days(days_ago)).and_time(time).and_utc();
    let usage = daily_usage_cents(HISTORY_DAYS as usize, 12_750);
    let mut history = Vec::new();
    for days_ago in (1..=HISTORY_DAYS).rev() {
        if let Some((_, dollars)) = DEPOSITS.iter().find(|(d, _)| *d == days_ago) {
            let time = NaiveTime::from_hms_opt(9, 15, 0).expect("valid time");
            history.push((
                at(days_ago, time),
                EntryKind::Deposit,
                Decimal::from(*dollars),
                format!("seed:deposit:{days_ago}"),
            ));
        }
        let cents = usage[(HISTORY_DAYS - days_ago) as usize];
        let time = NaiveTime::from_hms_opt(22, 30, 0).expect("valid time");
        history.push((
            at(days_ago, time),
            EntryKind::Usage,
            -Decimal::new(cents, 2),
            format!("seed:usage:{days_ago}"),
        ));
    }
    history
}

/// `days` positive amounts in cents that vary like real usage and add up to exactly `total`.
fn daily_usage_cents(days: usize, total: i64) -> Vec<i64> {
    let weights: Vec<i64> = (0..days as i64).map(|i| 3 + (i * 37 + 11) % 9).collect();
    let weight_sum: i64 = weights.iter().sum();
    let mut cents: Vec<i64> = weights.iter().map(|w| w * total / weight_sum).collect();
    let shortfall = total - cents.iter().sum::<i64>();
    if let Some(last) = cents.last_mut() {
        *last += shortfall;
    }
    cents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_leaves_the_documented_balance_and_never_overdraws() {
        let mut balance = Decimal::ZERO;
        for (_, _, amount, _) in demo_history() {
            balance += amount;
            assert!(balance >= Decimal::ZERO);
        }
        assert_eq!(balance, Decimal::new(4750, 2));
    }

    #[test]
    fn the_demo_password_meets_the_password_rule() {
        assert!(NewPassword::parse(DEMO_PASSWORD).is_ok());
    }
}
