//! A spend key's "Daily funding limit" (docs/CONTRACT.md "Limits and account security"): how much an agent
//! holding a key with "Allow adding funds" may add per UTC day. A leaked funding key can then cost at most
//! that much a day, not $10,000 a call.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use tollgate_domain::error::AppError;
use uuid::Uuid;

struct KeyFunding {
    daily_funding_limit: Decimal,
    used_today: Decimal,
}

/// Refuses `amount` if the key's deposits today (charged, or being charged) plus it pass the key's limit.
/// Run in the claim's transaction under the account's row lock, so concurrent claims can't each see room.
#[tracing::instrument(name = "funding_limit::ensure_within", skip(conn))]
pub async fn ensure_within(
    conn: &mut PgConnection,
    spend_key_id: Uuid,
    amount: Decimal,
) -> Result<(), AppError> {
    let funding: KeyFunding = sqlx::query_as!(
        KeyFunding,
        r#"SELECT k.daily_funding_limit,
                COALESCE((SELECT sum(a.amount) FROM payment_attempts a
                           WHERE a.spend_key_id = k.id AND a.status IN ('pending', 'succeeded')
                             AND a.confirmed_at >= date_trunc('day', now(), 'UTC')), 0) AS "used_today!"
           FROM spend_keys k WHERE k.id = $1"#,
        spend_key_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    if funding.used_today + amount > funding.daily_funding_limit {
        return Err(AppError::FundingLimitReached);
    }
    Ok(())
}
