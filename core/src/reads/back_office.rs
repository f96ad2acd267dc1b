//! Reads for the back office (docs/CONTRACT.md "Back office"): finding accounts by what a customer can
//! quote, one account's whole file, and the staff log. Only staff reach them (the server's `/admin` gate
//! and each server function check); they write nothing.

use super::audit_log;
use super::wallet::{recent_activity, summary};
use crate::credit;
use crate::keys::db as keys;
use crate::payments::attempt_store::recent_attempts;
use crate::payments::auto_top_up::settings as auto_top_up;
use crate::payments::refunds::read_refundable;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use tollgate_domain::back_office::{
    AccountFile, AccountHit, AccountMember, DepositFileRow, DisputeFileRow, GrantRow, RefundFileRow,
    StaffLogPage, StaffLogRow, WaitingKind, WaitingRow,
};
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::teams::role::Role;
use tollgate_domain::utc::shown_utc;
use uuid::Uuid;

/// Accounts a search shows at most.
const MOST_HITS: i64 = 50;
/// Ledger entries, deposits and audit rows an account's file shows.
const FILE_ROWS: i64 = 50;
/// Staff log rows a page shows.
pub const STAFF_LOG_PAGE: i64 = 50;

struct HitRow {
    account_id: Uuid,
    name: String,
    kind: String,
    people: Vec<String>,
    balance: Decimal,
    matched: String,
}

/// The accounts `query` names: an email (every account that person belongs to), an account id or a
/// payment id (a UUID), or a spend key's prefix (`tg_sk_3f9a…`, at least 8 characters). Anything else
/// finds nothing. Newest accounts first, at most 50.
#[tracing::instrument(name = "back_office::find_accounts", skip(pool))]
pub async fn find_accounts(pool: &PgPool, query: &str) -> Result<Vec<AccountHit>, AppError> {
    let query = query.trim();
    let (email, id, prefix) = if let Ok(id) = query.parse::<Uuid>() {
        (None, Some(id), None)
    } else if query.contains('@') {
        (Some(query.to_lowercase()), None, None)
    } else if query.starts_with("tg_sk_") && query.chars().count() >= 8 {
        // The stored prefix ends with "…"; a longer paste (the whole secret) still starts with it.
        (None, None, Some(query.trim_end_matches('…').to_string()))
    } else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query_as!(
        HitRow,
        r#"WITH found AS (
               SELECT m.account_id, 'email' AS matched FROM users u JOIN memberships m ON m.user_id = u.id
                WHERE u.email = $1
               UNION SELECT id, 'account id' FROM accounts WHERE id = $2
               UNION SELECT account_id, 'payment id' FROM payment_attempts WHERE id = $2
               UNION SELECT account_id, 'key prefix' FROM spend_keys
                WHERE $3::text IS NOT NULL
                  AND (starts_with(rtrim(display_prefix, '…'), $3) OR starts_with($3, rtrim(display_prefix, '…'))))
           SELECT a.id AS account_id, a.name, a.kind, w.balance, min(f.matched) AS "matched!",
                  ARRAY(SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
                         WHERE m.account_id = a.id ORDER BY m.role = 'owner' DESC, u.email) AS "people!"
             FROM found f JOIN accounts a ON a.id = f.account_id JOIN wallets w ON w.account_id = a.id
            GROUP BY a.id, w.balance
            ORDER BY a.created_at DESC
            LIMIT $4"#,
        email,
        id,
        prefix,
        MOST_HITS,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AccountHit {
            account_id: r.account_id,
            name: r.name,
            kind: kind_label(&r.kind),
            people: r.people,
            balance: Usd::new(r.balance),
            matched: r.matched,
        })
        .collect())
}

fn kind_label(kind: &str) -> String {
    if kind == "team" { "Team" } else { "Personal" }.to_string()
}

struct AccountRow {
    name: String,
    kind: String,
    created_at: DateTime<Utc>,
    timezone: String,
}

struct GrantRecord {
    id: Uuid,
    amount: Decimal,
    expires_at: DateTime<Utc>,
    expired: bool,
    reason: String,
    granted_by: String,
}

/// Everything the back office shows of one account (`NotFound` for no such account).
#[tracing::instrument(name = "back_office::account_file", skip(pool))]
pub async fn account_file(pool: &PgPool, account_id: Uuid) -> Result<AccountFile, AppError> {
    let account = sqlx::query_as!(
        AccountRow,
        r#"SELECT name, kind, created_at AS "created_at: _", timezone FROM accounts WHERE id = $1"#,
        account_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let wallet = summary(pool, account_id).await?;
    let left = credit::promotional_credit(pool, account_id).await?.left;
    let grants = sqlx::query_as!(
        GrantRecord,
        r#"SELECT id, amount, expires_at AS "expires_at: _", expired_at IS NOT NULL AS "expired!", reason,
                  granted_by
             FROM promotional_grants WHERE account_id = $1 ORDER BY created_at DESC LIMIT $2"#,
        account_id,
        FILE_ROWS,
    )
    .fetch_all(pool)
    .await?;
    let grants = grants
        .into_iter()
        .map(|g| GrantRow {
            amount: Usd::new(g.amount),
            // What is left of an unexpired grant, with the spending since it was last shared out.
            left: Usd::new(left.iter().find(|l| l.id == g.id).map_or(Decimal::ZERO, |l| l.remaining)),
            expires: shown_utc(g.expires_at),
            expired: g.expired,
            reason: g.reason,
            granted_by: g.granted_by,
        })
        .collect();
    let auto_top_up =
        auto_top_up::view(pool, account_id).await?.sentence().unwrap_or_else(|| "Off".to_string());
    Ok(AccountFile {
        account_id,
        name: account.name,
        kind: kind_label(&account.kind),
        opened: shown_utc(account.created_at),
        timezone: account.timezone,
        balance: wallet.balance,
        paid: wallet.paid(),
        promotional: wallet.promotional,
        held: wallet.held,
        grants,
        ledger: recent_activity(pool, account_id, FILE_ROWS).await?,
        deposits: deposits(pool, account_id).await?,
        waiting: waiting(pool, account_id).await?,
        refunds: refunds(pool, account_id).await?,
        disputes: disputes(pool, account_id).await?,
        keys: keys::list(pool, account_id).await?,
        members: members(pool, account_id).await?,
        auto_top_up,
        audit: audit_log::page(pool, account_id, None, FILE_ROWS).await?.rows,
    })
}

/// Deposits and failed attempts, newest first, each with what of it is refunded and refundable.
async fn deposits(pool: &PgPool, account_id: Uuid) -> Result<Vec<DepositFileRow>, AppError> {
    let left = read_refundable(pool, account_id).await?;
    Ok(recent_attempts(pool, account_id, FILE_ROWS)
        .await?
        .into_iter()
        .map(|a| {
            let deposit = left.iter().find(|d| d.payment_id == a.id);
            DepositFileRow {
                payment_id: a.id,
                when: a.when,
                amount: a.amount,
                card: a.card_label,
                succeeded: a.succeeded,
                failure: a.reason,
                refunded: a.refunded,
                refundable: Usd::new(deposit.map_or(Decimal::ZERO, |d| d.refundable)),
            }
        })
        .collect())
}

struct WaitingRecord {
    is_refund: bool,
    id: Uuid,
    amount: Decimal,
    payment_id: Option<Uuid>,
    requested_by: String,
    requested_at: DateTime<Utc>,
    reason: String,
}

/// Refunds and adjustments waiting for a second person, oldest first.
async fn waiting(pool: &PgPool, account_id: Uuid) -> Result<Vec<WaitingRow>, AppError> {
    let rows = sqlx::query_as!(
        WaitingRecord,
        r#"SELECT true AS "is_refund!", r.id AS "id!", r.amount AS "amount!", r.payment_attempt_id AS "payment_id?",
                  u.email AS "requested_by!", r.requested_at AS "requested_at!: _", r.reason AS "reason!"
             FROM refunds r JOIN users u ON u.id = r.requested_by
            WHERE r.account_id = $1 AND r.status = 'awaiting_approval'
           UNION ALL
           SELECT false, j.id, j.amount, NULL, u.email, j.requested_at, j.reason
             FROM adjustments j JOIN users u ON u.id = j.requested_by
            WHERE j.account_id = $1 AND j.status = 'awaiting_approval'
            ORDER BY 6"#,
        account_id,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WaitingRow {
            kind: if r.is_refund { WaitingKind::Refund } else { WaitingKind::Adjustment },
            id: r.id,
            amount: Usd::new(r.amount),
            payment_id: r.payment_id,
            requested_by: r.requested_by,
            requested_at: shown_utc(r.requested_at),
            reason: r.reason,
        })
        .collect())
}

struct RefundRecord {
    id: Uuid,
    payment_attempt_id: Uuid,
    amount: Decimal,
    status: String,
    failure: Option<String>,
    requested_by: String,
    requested_at: DateTime<Utc>,
    reason: String,
}

/// The account's refunds, newest first.
async fn refunds(pool: &PgPool, account_id: Uuid) -> Result<Vec<RefundFileRow>, AppError> {
    let rows = sqlx::query_as!(
        RefundRecord,
        r#"SELECT r.id, r.payment_attempt_id, r.amount, r.status, r.failure, u.email AS requested_by,
                  r.requested_at AS "requested_at: _", r.reason
             FROM refunds r JOIN users u ON u.id = r.requested_by
            WHERE r.account_id = $1 ORDER BY r.requested_at DESC LIMIT $2"#,
        account_id,
        FILE_ROWS,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RefundFileRow {
            id: r.id,
            payment_id: r.payment_attempt_id,
            amount: Usd::new(r.amount),
            status: r.status,
            failure: r.failure,
            requested_by: r.requested_by,
            requested_at: shown_utc(r.requested_at),
            reason: r.reason,
        })
        .collect())
}

struct DisputeRecord {
    id: Uuid,
    processor_dispute_id: String,
    payment_attempt_id: Uuid,
    amount: Decimal,
    status: String,
    reason: Option<String>,
    opened_at: DateTime<Utc>,
}

/// The account's card disputes, newest first.
async fn disputes(pool: &PgPool, account_id: Uuid) -> Result<Vec<DisputeFileRow>, AppError> {
    let rows = sqlx::query_as!(
        DisputeRecord,
        r#"SELECT id, processor_dispute_id, payment_attempt_id, amount, status, reason, opened_at AS "opened_at: _"
             FROM disputes WHERE account_id = $1 ORDER BY opened_at DESC LIMIT $2"#,
        account_id,
        FILE_ROWS,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DisputeFileRow {
            id: r.id,
            processor_dispute_id: r.processor_dispute_id,
            payment_id: r.payment_attempt_id,
            amount: Usd::new(r.amount),
            status: r.status,
            reason: r.reason,
            opened: shown_utc(r.opened_at),
        })
        .collect())
}

/// Everyone who belongs to the account, Owners first.
async fn members(pool: &PgPool, account_id: Uuid) -> Result<Vec<AccountMember>, AppError> {
    Ok(sqlx::query_as!(
        AccountMember,
        r#"SELECT u.email, m.role AS "role: Role" FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.account_id = $1
            ORDER BY array_position(ARRAY['owner', 'admin', 'member'], m.role), u.email"#,
        account_id,
    )
    .fetch_all(pool)
    .await?)
}

struct LogRecord {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    account_id: Option<Uuid>,
    reason: Option<String>,
    details: serde_json::Value,
}

/// A page of the staff log, newest first; `before`: the id the previous page ended above.
#[tracing::instrument(name = "back_office::staff_log", skip(pool))]
pub async fn staff_log(pool: &PgPool, before: Option<i64>) -> Result<StaffLogPage, AppError> {
    let mut rows = sqlx::query_as!(
        LogRecord,
        r#"SELECT id, at AS "at: _", actor, action, account_id, reason, details FROM staff_log
            WHERE $1::bigint IS NULL OR id < $1
            ORDER BY id DESC LIMIT $2"#,
        before,
        STAFF_LOG_PAGE + 1,
    )
    .fetch_all(pool)
    .await?;
    let more = rows.len() as i64 > STAFF_LOG_PAGE;
    rows.truncate(STAFF_LOG_PAGE as usize);
    let older_than = if more { rows.last().map(|r| r.id) } else { None };
    let rows = rows
        .into_iter()
        .map(|r| StaffLogRow {
            id: r.id,
            at: shown_utc(r.at),
            actor: r.actor,
            action: r.action,
            account_id: r.account_id,
            reason: r.reason,
            detail: detail_words(&r.details),
        })
        .collect();
    Ok(StaffLogPage { rows, older_than })
}

/// A staff log row's details in words: `key: value` pairs, by key.
fn detail_words(details: &serde_json::Value) -> String {
    let Some(fields) = details.as_object() else {
        return String::new();
    };
    fields
        .iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => format!("{key}: {text}"),
            other => format!("{key}: {other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
