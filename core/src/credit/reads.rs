//! What a wallet has of promotional credit, for the pages and the API.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::promotional::{share_out, GrantLeft};
use uuid::Uuid;

/// A wallet's unspent promotional credit and when each part of it expires.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PromotionalCredit {
    pub unspent: Decimal,
    /// What is left of each unexpired grant, soonest expiry first (grants with nothing left are not here).
    pub left: Vec<GrantLeft>,
}

struct Row {
    promotional: Decimal,
    id: Option<Uuid>,
    expires_at: Option<DateTime<Utc>>,
    remaining: Option<Decimal>,
}

/// Reads the account's promotional credit (committed), its spending so far shared out over its grants
/// the way their expiry will find it.
#[tracing::instrument(name = "credit::promotional_credit", skip(pool))]
pub async fn promotional_credit(pool: &PgPool, account_id: Uuid) -> Result<PromotionalCredit, AppError> {
    let rows: Vec<Row> = sqlx::query_as!(
        Row,
        r#"SELECT w.promotional, g.id AS "id?", g.expires_at AS "expires_at?: _", g.remaining AS "remaining?"
             FROM wallets w
             LEFT JOIN promotional_grants g ON g.account_id = w.account_id AND g.expired_at IS NULL
            WHERE w.account_id = $1"#,
        account_id,
    )
    .fetch_all(pool)
    .await?;
    let unspent = rows.first().ok_or(AppError::NotFound)?.promotional;
    let grants = rows
        .into_iter()
        .filter_map(|r| Some(GrantLeft { id: r.id?, expires_at: r.expires_at?, remaining: r.remaining? }))
        .collect();
    let left = share_out(grants, unspent).into_iter().filter(|g| g.remaining > Decimal::ZERO).collect();
    Ok(PromotionalCredit { unspent, left })
}
