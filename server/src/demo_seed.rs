//! The demo account a newcomer logs into (CONTRACT.md "Running it"): `demo@tollgate.test` /
//! `demo-password-1`, about 60 days of history and a few deposits. Dev only (`TOLLGATE_SEED_DEMO`).
//!
//! The history is deterministic so tests can name the balance: deposits of $100, $50 and $25, and
//! daily usage adding up to $127.50, leaving **$47.50**. Everything goes through the ledger, in one
//! transaction, in time order, so `balance = Σ ledger` holds as for any other account. The deposits are
//! real (succeeded) Add Funds attempts on a saved Visa •••• 4242, tokenized by the processor so it can be
//! charged again, and one attempt with another card failed for insufficient funds.

use app::auth::{
    credentials::{Email, NewPassword},
    db as auth_db, password,
};
use app::error::AppError;
use app::wallet::card::{CardNumber, Cvc, Expiry, PostalCode};
use app::wallet::ledger::{self, EntryKind, Posting};
use app::wallet::processor::{CardToken, DeclineCode, NewCard, PaymentProcessor};
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

pub const DEMO_EMAIL: &str = "demo@tollgate.test";
pub const DEMO_PASSWORD: &str = "demo-password-1";
const HISTORY_DAYS: i64 = 60;
/// (days ago, dollars)
const DEPOSITS: [(i64, i64); 3] = [(60, 100), (35, 50), (12, 25)];

/// Creates the demo account unless it exists. Safe to call on every start.
pub async fn seed_demo_account(pool: &PgPool, processor: &dyn PaymentProcessor) -> Result<bool, AppError> {
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
    let visa = tokenize(processor, "4242424242424242").await?;
    let declined = tokenize(processor, "4000000000009995").await?;
    let mut tx = pool.begin().await?;
    let card_id: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO payment_methods
            (account_id, processor_token, brand, last4, expiry_month, expiry_year, billing_postal_code, is_default, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, true, now() - interval '61 days') RETURNING id",
    )
    .bind(user.account_id)
    .bind(&visa.token)
    .bind(visa.brand.as_str())
    .bind(&visa.last4)
    .bind(visa.expiry.month as i32)
    .bind(visa.expiry.year)
    .bind(visa.postal_code.as_str())
    .fetch_one(&mut *tx)
    .await?;
    for (n, (at, kind, amount, reference)) in demo_history().into_iter().enumerate() {
        let posting =
            Posting { account_id: user.account_id, kind, amount, reference: &reference, at: Some(at) };
        let posted = ledger::post(&mut tx, posting).await?;
        if kind == EntryKind::Deposit {
            let outcome = Ok(posted.entry_id);
            record_attempt(&mut tx, user.account_id, &visa, Some(card_id), amount, at, outcome, n).await?;
        }
    }
    let failed_day = (Utc::now() - Duration::days(5)).date_naive();
    let failed_at = failed_day.and_time(NaiveTime::from_hms_opt(14, 5, 0).expect("valid time")).and_utc();
    let outcome = Err(DeclineCode::InsufficientFunds);
    record_attempt(&mut tx, user.account_id, &declined, None, Decimal::from(50), failed_at, outcome, 0)
        .await?;
    tx.commit().await?;
    tracing::info!(email = DEMO_EMAIL, "seeded the demo account");
    Ok(true)
}

async fn tokenize(processor: &dyn PaymentProcessor, number: &str) -> Result<CardToken, AppError> {
    let card = NewCard {
        number: CardNumber::parse(number)?,
        expiry: Expiry { month: 12, year: Utc::now().year() + 3 },
        cvc: Cvc::parse("123")?,
        postal_code: PostalCode::parse("94107")?,
    };
    processor.tokenize(card).await.map_err(|err| {
        tracing::error!(error = %err, "demo seed: tokenizing failed");
        AppError::Internal
    })
}

/// A settled Add Funds attempt of the seeded history: succeeded with its ledger entry, or declined.
#[allow(clippy::too_many_arguments)]
async fn record_attempt(
    conn: &mut sqlx::PgConnection,
    account_id: uuid::Uuid,
    card: &CardToken,
    card_id: Option<uuid::Uuid>,
    amount: Decimal,
    at: DateTime<Utc>,
    outcome: Result<i64, DeclineCode>,
    n: usize,
) -> Result<(), AppError> {
    let (status, entry_id, code) = match outcome {
        Ok(entry_id) => ("succeeded", Some(entry_id), None),
        Err(code) => ("failed", None, Some(code)),
    };
    sqlx::query(
        "INSERT INTO payment_attempts
            (account_id, amount, status, idempotency_key, payment_method_id, processor_token, card_brand, card_last4,
             card_expiry_month, card_expiry_year, card_postal_code, processor_charge_id, decline_code,
             decline_message, decline_reason, ledger_entry_id, created_at, confirmed_at, completed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13, $15, $16, $16, $16)",
    )
    .bind(account_id)
    .bind(amount)
    .bind(status)
    .bind(format!("seed_{}_{n}", uuid::Uuid::new_v4().simple()))
    .bind(card_id)
    .bind(&card.token)
    .bind(card.brand.as_str())
    .bind(&card.last4)
    .bind(card.expiry.month as i32)
    .bind(card.expiry.year)
    .bind(card.postal_code.as_str())
    .bind(format!("ch_seed_{}", uuid::Uuid::new_v4().simple()))
    .bind(code.map(|c| c.as_str()))
    .bind(code.map(|c| c.message()))
    .bind(entry_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
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
