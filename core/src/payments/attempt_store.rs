//! Add Funds attempts in Postgres (`payment_attempts`). Every read is scoped by account: another account's
//! attempt id is "not found", never its data.

use super::card_store::CardOnFile;
use super::card_testing;
use super::funding_limit;
use crate::audit::Channel;
use crate::client_ip::ClientIp;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor, PgPool};
use tollgate_domain::accounts::billing::BillingDetails;
use tollgate_domain::error::AppError;
use tollgate_domain::keys::settings::KeyStatus;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::attempt::{
    card_label, receipt_number, AttemptRow, AttemptStatus, AttemptView, ReceiptView,
};
use tollgate_domain::payments::card::CardBrand;
use tollgate_domain::payments::decline::{Decline, DeclineCode};
use tollgate_domain::utc::shown_utc;
use uuid::Uuid;

/// Whether a charge of the account is in progress (a team with one can't be deleted: its money would
/// have nowhere to go).
pub async fn has_pending(conn: &mut PgConnection, account_id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM payment_attempts WHERE account_id = $1 AND status = 'pending') AS "exists!""#,
        account_id,
    )
    .fetch_one(conn)
    .await?)
}

struct AttemptRecord {
    id: Uuid,
    status: AttemptStatus,
    amount: Decimal,
    card_brand: CardBrand,
    card_last4: String,
    payment_method_id: Option<Uuid>,
    decline_code: Option<DeclineCode>,
    decline_message: Option<String>,
    balance_after: Option<Decimal>,
    /// The signed-in person who made it (`None`: an agent's or a checkout page's).
    made_by: Option<Uuid>,
}

/// An attempt of this account.
#[tracing::instrument(name = "payments::attempt", skip(pool))]
pub async fn attempt(pool: &PgPool, account_id: Uuid, attempt_id: Uuid) -> Result<AttemptView, AppError> {
    Ok(attempt_record(pool, account_id, attempt_id).await?.view())
}

/// An attempt of this account as `viewer` may see it: a draft is its maker's alone (another member of
/// the team, or a person on a draft an agent or a checkout page made, gets "not found"); a settled or
/// in-flight attempt is the account's history, seen by every member.
#[tracing::instrument(name = "payments::attempt_for", skip(pool))]
pub async fn attempt_for(
    pool: &PgPool,
    account_id: Uuid,
    attempt_id: Uuid,
    viewer: Option<Uuid>,
) -> Result<AttemptView, AppError> {
    let row = attempt_record(pool, account_id, attempt_id).await?;
    if row.status == AttemptStatus::Draft && row.made_by != viewer {
        return Err(AppError::NotFound);
    }
    Ok(row.view())
}

async fn attempt_record(
    pool: &PgPool,
    account_id: Uuid,
    attempt_id: Uuid,
) -> Result<AttemptRecord, AppError> {
    sqlx::query_as!(
        AttemptRecord,
        r#"SELECT a.id, a.status AS "status: AttemptStatus", a.amount, a.card_brand AS "card_brand: CardBrand",
                  a.card_last4, a.payment_method_id, a.decline_code AS "decline_code: DeclineCode",
                  a.decline_message, e.balance_after AS "balance_after?", a.made_by
             FROM payment_attempts a
             LEFT JOIN ledger_entries e ON e.account_id = a.account_id AND e.id = a.ledger_entry_id
            WHERE a.id = $1 AND a.account_id = $2"#,
        attempt_id,
        account_id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

impl AttemptRecord {
    fn view(self) -> AttemptView {
        AttemptView {
            id: self.id,
            status: self.status,
            amount: Usd::new(self.amount),
            card_label: card_label(self.card_brand, &self.card_last4),
            payment_method_id: self.payment_method_id,
            decline_code: self.decline_code,
            decline_message: self.decline_message,
            balance_after: self.balance_after.map(Usd::new),
            authenticate_with: None,
        }
    }
}

/// A draft about to be stored.
pub struct NewDraft<'a> {
    pub account_id: Uuid,
    pub amount: Decimal,
    /// The saved card it charges, if it is one.
    pub payment_method_id: Option<Uuid>,
    pub card: &'a CardOnFile,
    /// Save a new card once its charge is answered.
    pub save_card: bool,
    /// The spend key that asked for it (agent funding), whose daily funding limit it counts against.
    pub spend_key_id: Option<Uuid>,
    /// The signed-in person who asked for it on the wallet page; a card it saves is theirs to manage.
    pub made_by: Option<Uuid>,
    /// Where the request for it came from and through what (the audit log's when it settles).
    pub client_ip: Option<ClientIp>,
    pub channel: Channel,
}

/// Stores a `draft` attempt with a new server-made idempotency key: the one key every charge of this
/// attempt will carry.
#[tracing::instrument(name = "payments::insert_draft", skip_all, fields(account_id = %draft.account_id))]
pub async fn insert_draft(pool: &PgPool, draft: &NewDraft<'_>) -> Result<Uuid, AppError> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO payment_attempts
            (account_id, amount, status, idempotency_key, payment_method_id, processor_token, card_brand,
             card_last4, card_expiry_month, card_expiry_year, card_postal_code, save_card, spend_key_id, made_by,
             client_ip, channel)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::text::inet, $16)
         RETURNING id",
        draft.account_id,
        draft.amount,
        AttemptStatus::Draft as AttemptStatus,
        format!("tg_attempt_{}", Uuid::new_v4().simple()),
        draft.payment_method_id,
        draft.card.processor_token,
        draft.card.brand as CardBrand,
        draft.card.last4,
        draft.card.expiry_month,
        draft.card.expiry_year,
        draft.card.billing_postal_code,
        draft.save_card,
        draft.spend_key_id,
        draft.made_by,
        draft.client_ip.map(|ip| ip.ip().to_string()),
        draft.channel as Channel,
    )
    .fetch_one(pool)
    .await?)
}

/// What a claimed draft is charged with.
pub struct ClaimedDraft {
    pub idempotency_key: String,
    pub processor_token: String,
    pub amount: Decimal,
    /// Through what it was asked for: whether a person is there to answer their bank.
    pub channel: Option<Channel>,
    /// A new card to forget at the processor once charged, when the person didn't save it.
    pub forget_card_after: bool,
}

/// How long a draft can be confirmed after it was made (docs/CONTRACT.md "Add Funds flow"): an old
/// confirm step left open in a tab charges nothing.
pub const DRAFT_LIFETIME_MINUTES: i32 = 30;

/// A draft as its claim reads it, under its row lock.
struct DraftToClaim {
    amount: Decimal,
    spend_key_id: Option<Uuid>,
    payment_method_id: Option<Uuid>,
    /// Made more than [`DRAFT_LIFETIME_MINUTES`] ago.
    expired: bool,
    /// The status of the spend key that asked for it, if one did.
    key_status: Option<KeyStatus>,
}

/// The saved card a draft charges, as its claim reads it under the card's row lock.
struct ClaimedCard {
    removed: bool,
    has_error: bool,
}

/// Phase 2's first step: the draft becomes `pending`. Only one caller gets `Some`; the others (a second
/// press, a concurrent post) get `None` and wait for the first one's result.
///
/// One transaction under the account's row lock (`FOR NO KEY UPDATE`: it doesn't hold up the metered
/// path's inserts), so concurrent claims of one account are decided one after the other: the
/// card-testing lock counts the claims before it, and a spend key's daily funding limit sums them. A team
/// deleted meanwhile (its deletion holds the same row lock) or an agent's key stopped meanwhile charges
/// nothing: the money would have nowhere to go, or the key no right to spend it. Only the draft's maker
/// (`made_by`: the signed-in person, `None` for an agent's or a checkout page's draft) can claim it, and
/// only within [`DRAFT_LIFETIME_MINUTES`]. A saved card is locked (`FOR SHARE`) and must still be saved:
/// a removal either waits for this claim (the person confirmed first) or came first and nothing is
/// charged.
#[tracing::instrument(name = "payments::claim_draft", skip(pool))]
pub async fn claim_draft(
    pool: &PgPool,
    account_id: Uuid,
    attempt_id: Uuid,
    made_by: Option<Uuid>,
) -> Result<Option<ClaimedDraft>, AppError> {
    let mut tx = pool.begin().await?;
    let deleted = sqlx::query_scalar!(
        r#"SELECT deleted_at IS NOT NULL AS "deleted!" FROM accounts WHERE id = $1 FOR NO KEY UPDATE"#,
        account_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    if deleted {
        return Err(AppError::NotFound);
    }
    let draft = sqlx::query_as!(
        DraftToClaim,
        r#"SELECT a.amount, a.spend_key_id, a.payment_method_id,
                  a.created_at <= now() - make_interval(mins => $4) AS "expired!",
                  (SELECT k.status FROM spend_keys k WHERE k.id = a.spend_key_id) AS "key_status: KeyStatus"
             FROM payment_attempts a
            WHERE a.id = $1 AND a.account_id = $2 AND a.status = 'draft' AND a.made_by IS NOT DISTINCT FROM $3
              FOR UPDATE OF a"#,
        attempt_id,
        account_id,
        made_by,
        DRAFT_LIFETIME_MINUTES,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(draft) = draft else { return Ok(None) };
    if draft.expired {
        return Err(AppError::TopUpExpired);
    }
    if let Some(refusal) = draft.key_status.and_then(KeyStatus::refusal) {
        return Err(refusal);
    }
    let card_proven = match draft.payment_method_id {
        None => false,
        Some(card_id) => {
            let card = sqlx::query_as!(
                ClaimedCard,
                r#"SELECT removed_at IS NOT NULL AS "removed!", has_error
                     FROM payment_methods WHERE id = $1 AND account_id = $2 FOR SHARE"#,
                card_id,
                account_id,
            )
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::CardNotSaved)?;
            if card.removed {
                return Err(AppError::CardNotSaved);
            }
            !card.has_error
        }
    };
    card_testing::ensure_account_unlocked(&mut tx, account_id, card_proven).await?;
    if let Some(spend_key_id) = draft.spend_key_id {
        funding_limit::ensure_within(&mut tx, spend_key_id, draft.amount).await?;
    }
    let claimed = sqlx::query_as!(
        ClaimedDraft,
        r#"UPDATE payment_attempts SET status = $2, confirmed_at = now()
            WHERE id = $1
        RETURNING idempotency_key, processor_token, amount, channel AS "channel: Channel",
                  payment_method_id IS NULL AND NOT save_card AS "forget_card_after!""#,
        attempt_id,
        AttemptStatus::Pending as AttemptStatus,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(claimed))
}

/// A failed attempt's amount and its saved card, for "Retry".
pub struct FailedAttemptCard {
    pub amount: Decimal,
    pub payment_method_id: Uuid,
    pub card: CardOnFile,
}

/// Marks a draft as made on hosted checkout `checkout_id` (so only that checkout page can confirm or show
/// it); an attempt past its draft keeps what it was made on.
#[tracing::instrument(name = "payments::attach_to_checkout", skip(pool, checkout_id))]
pub async fn attach_to_checkout(pool: &PgPool, attempt_id: Uuid, checkout_id: &str) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE payment_attempts SET checkout_id = $1 WHERE id = $2 AND status = 'draft'",
        checkout_id,
        attempt_id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What settling an attempt needs of it, read under its row lock.
pub struct Settling {
    pub account_id: Uuid,
    pub status: AttemptStatus,
    pub amount: Decimal,
    pub payment_method_id: Option<Uuid>,
    pub save_card: bool,
    /// Through what it was asked for (none on attempts stored before channels were recorded).
    pub channel: Option<Channel>,
    pub card_brand: CardBrand,
    pub card_last4: String,
}

/// Locks an attempt for settling (`FOR UPDATE`): a concurrent confirm or recovery waits, then sees it
/// settled.
pub async fn lock_for_settling(conn: &mut PgConnection, attempt_id: Uuid) -> Result<Settling, AppError> {
    sqlx::query_as!(
        Settling,
        r#"SELECT account_id, status AS "status: AttemptStatus", amount, payment_method_id, save_card,
                  channel AS "channel: Channel", card_brand AS "card_brand: CardBrand", card_last4
             FROM payment_attempts WHERE id = $1 FOR UPDATE"#,
        attempt_id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)
}

/// The attempt succeeded: the processor's charge, the ledger entry that credited it and the card it was
/// paid with (saved now, or already). It takes the account's next receipt number ([`take_receipt_number`])
/// and a copy of the billing details its receipt is made out to.
pub async fn mark_succeeded(
    conn: &mut PgConnection,
    attempt_id: Uuid,
    account_id: Uuid,
    charge: (&str, i64),
    card: Option<Uuid>,
) -> Result<(), AppError> {
    let (charge_id, ledger_entry_id) = charge;
    let number = take_receipt_number(conn, account_id).await?;
    sqlx::query!(
        "UPDATE payment_attempts SET status = $5, processor_charge_id = $2, ledger_entry_id = $3,
                payment_method_id = $4, completed_at = now(), receipt_number = $7,
                billed_to = (SELECT jsonb_build_object(
                                 'legal_name', b.legal_name, 'address', b.address, 'country', b.country,
                                 'tax_id', CASE WHEN b.tax_id_type IS NULL THEN NULL
                                           ELSE jsonb_build_object('kind', b.tax_id_type, 'value', b.tax_id_value) END)
                               FROM billing_details b WHERE b.account_id = $6)
          WHERE id = $1 AND account_id = $6",
        attempt_id,
        charge_id,
        ledger_entry_id,
        card,
        AttemptStatus::Succeeded as AttemptStatus,
        account_id,
        number,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The account's next receipt number (1, 2, 3 …), for a deposit the caller's transaction credits: the
/// wallet counts its receipts, so a number is used exactly when its deposit commits — no gaps, no repeats
/// (the wallet's row lock orders concurrent deposits).
pub(super) async fn take_receipt_number(conn: &mut PgConnection, account_id: Uuid) -> Result<i32, AppError> {
    Ok(sqlx::query_scalar!(
        "UPDATE wallets SET receipts_issued = receipts_issued + 1 WHERE account_id = $1 RETURNING receipts_issued",
        account_id,
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// The pending attempt's charge waits — for the person to answer their bank (3-D Secure), or for the
/// processor to decide —: its charge is kept, so finishing it, recovering it or giving up on it can ask the
/// processor about it.
pub async fn remember_charge(pool: &PgPool, attempt_id: Uuid, charge_id: &str) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE payment_attempts SET processor_charge_id = $2 WHERE id = $1 AND status = 'pending'",
        attempt_id,
        charge_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A pending attempt's charge that waits ([`remember_charge`]), and whether it is a new card the person
/// didn't save; `None` when the attempt isn't waiting (settled, or its charge not known yet).
pub async fn waiting_charge(pool: &PgPool, attempt_id: Uuid) -> Result<Option<WaitingCharge>, AppError> {
    Ok(sqlx::query_as!(
        WaitingCharge,
        r#"SELECT processor_charge_id AS "charge_id!", processor_token,
                  payment_method_id IS NULL AND NOT save_card AS "forget_card_after!"
             FROM payment_attempts
            WHERE id = $1 AND status = 'pending' AND processor_charge_id IS NOT NULL"#,
        attempt_id
    )
    .fetch_optional(pool)
    .await?)
}

/// The attempt a processor's event names by its idempotency key: its id, its status, and its card to let
/// go once charged if it is a new card the person didn't save.
pub async fn by_idempotency_key(pool: &PgPool, key: &str) -> Result<Option<KeyedAttempt>, AppError> {
    Ok(sqlx::query_as!(
        KeyedAttempt,
        r#"SELECT id, status AS "status: AttemptStatus", processor_token,
                  payment_method_id IS NULL AND NOT save_card AS "forget_card_after!"
             FROM payment_attempts WHERE idempotency_key = $1"#,
        key
    )
    .fetch_optional(pool)
    .await?)
}

/// An attempt found by its idempotency key ([`by_idempotency_key`]).
pub struct KeyedAttempt {
    pub id: Uuid,
    pub status: AttemptStatus,
    pub processor_token: String,
    pub forget_card_after: bool,
}

/// A charge that waits ([`remember_charge`]).
pub struct WaitingCharge {
    pub charge_id: String,
    pub processor_token: String,
    pub forget_card_after: bool,
}

/// The processor declined the attempt: its decline, and the card it was tried with if that card is kept.
pub async fn mark_declined(
    conn: &mut PgConnection,
    attempt_id: Uuid,
    charge_id: &str,
    decline: &Decline,
    card: Option<Uuid>,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE payment_attempts SET status = $7, processor_charge_id = $2, decline_code = $3,
                decline_message = $4, decline_reason = $5, payment_method_id = $6, completed_at = now()
          WHERE id = $1",
        attempt_id,
        charge_id,
        decline.code as DeclineCode,
        decline.code.message(),
        decline.reason,
        card,
        AttemptStatus::Failed as AttemptStatus,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A pending attempt the processor refused outright fails with `code` and the processor's words as the
/// reason. False when it was no longer pending (settled meanwhile).
pub async fn mark_refused(
    conn: &mut PgConnection,
    attempt_id: Uuid,
    code: DeclineCode,
    reason: &str,
) -> Result<bool, AppError> {
    let settled = sqlx::query!(
        "UPDATE payment_attempts SET status = $5, decline_code = $2, decline_message = $3,
                decline_reason = $4, completed_at = now()
          WHERE id = $1 AND status = 'pending'",
        attempt_id,
        code as DeclineCode,
        code.message(),
        reason,
        AttemptStatus::Failed as AttemptStatus,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(settled == 1)
}

/// The card of a failed attempt of this account as it is saved now (its expiry or postal code may have
/// been fixed since). `CardNotSaved` when the card was never saved or has been removed: Retry never
/// charges a card the account doesn't keep.
#[tracing::instrument(name = "payments::failed_attempt_card", skip(pool))]
pub async fn failed_attempt_card(
    pool: &PgPool,
    account_id: Uuid,
    attempt_id: Uuid,
) -> Result<FailedAttemptCard, AppError> {
    let saved = sqlx::query!(
        r#"SELECT a.amount, p.id AS payment_method_id, p.processor_token, p.brand AS "brand: CardBrand", p.last4,
                  p.expiry_month, p.expiry_year, p.billing_postal_code
             FROM payment_attempts a
             JOIN payment_methods p
               ON p.id = a.payment_method_id AND p.account_id = a.account_id AND p.removed_at IS NULL
            WHERE a.id = $1 AND a.account_id = $2 AND a.status = 'failed'"#,
        attempt_id,
        account_id,
    )
    .fetch_optional(pool)
    .await?;
    if let Some(saved) = saved {
        return Ok(FailedAttemptCard {
            amount: saved.amount,
            payment_method_id: saved.payment_method_id,
            card: CardOnFile {
                processor_token: saved.processor_token,
                brand: saved.brand,
                last4: saved.last4,
                expiry_month: saved.expiry_month,
                expiry_year: saved.expiry_year,
                billing_postal_code: saved.billing_postal_code,
            },
        });
    }
    let failed_exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM payment_attempts WHERE id = $1 AND account_id = $2 AND status = 'failed')
           AS "exists!""#,
        attempt_id,
        account_id,
    )
    .fetch_one(pool)
    .await?;
    Err(if failed_exists { AppError::CardNotSaved } else { AppError::NotFound })
}

struct HistoryRow {
    id: Uuid,
    at: DateTime<Utc>,
    amount: Decimal,
    card_brand: CardBrand,
    card_last4: String,
    status: AttemptStatus,
    decline_message: Option<String>,
    auto_top_up: bool,
    retry_card: Option<Uuid>,
    refunded: Decimal,
}

/// Deposits and failed attempts, newest first (drafts and in-flight attempts are not history yet).
#[tracing::instrument(name = "payments::recent_attempts", skip(db))]
pub async fn recent_attempts(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    limit: i64,
) -> Result<Vec<AttemptRow>, AppError> {
    let rows = sqlx::query_as!(
        HistoryRow,
        r#"SELECT a.id, COALESCE(a.completed_at, a.created_at) AS "at!: _", a.amount,
                  a.card_brand AS "card_brand: CardBrand", a.card_last4, a.status AS "status: AttemptStatus",
                  a.decline_message, a.channel IS NOT DISTINCT FROM 'auto_top_up' AS "auto_top_up!",
                  CASE WHEN a.status = 'failed' THEN p.id END AS retry_card,
                  COALESCE((SELECT sum(r.amount) FROM refunds r
                             WHERE r.account_id = a.account_id AND r.payment_attempt_id = a.id
                               AND r.status IN ('pending', 'succeeded')), 0) AS "refunded!"
             FROM payment_attempts a
             LEFT JOIN payment_methods p
               ON p.id = a.payment_method_id AND p.account_id = a.account_id AND p.removed_at IS NULL
            WHERE a.account_id = $1 AND a.status IN ('succeeded', 'failed')
            ORDER BY COALESCE(a.completed_at, a.created_at) DESC
            LIMIT $2"#,
        account_id,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| AttemptRow {
            id: row.id,
            when: shown_utc(row.at),
            amount: Usd::new(row.amount),
            card_label: card_label(row.card_brand, &row.card_last4),
            succeeded: row.status == AttemptStatus::Succeeded,
            reason: row.decline_message,
            auto_top_up: row.auto_top_up,
            retry_card: row.retry_card,
            refunded: Usd::new(row.refunded),
        })
        .collect())
}

struct ReceiptRow {
    id: Uuid,
    completed_at: DateTime<Utc>,
    amount: Decimal,
    card_brand: CardBrand,
    card_last4: String,
    processor_charge_id: Option<String>,
    email: String,
    receipt_number: i32,
    billed_to: Option<sqlx::types::Json<BillingDetails>>,
    auto_top_up: bool,
}

/// A successful deposit of this account, for its receipt.
#[tracing::instrument(name = "payments::receipt", skip(pool))]
pub async fn receipt(pool: &PgPool, account_id: Uuid, attempt_id: Uuid) -> Result<ReceiptView, AppError> {
    let row = sqlx::query_as!(
        ReceiptRow,
        r#"SELECT a.id, a.completed_at AS "completed_at!: _", a.amount, a.card_brand AS "card_brand: CardBrand",
                  a.card_last4, a.processor_charge_id, u.email, a.receipt_number AS "receipt_number!",
                  a.billed_to AS "billed_to: sqlx::types::Json<BillingDetails>",
                  a.channel IS NOT DISTINCT FROM 'auto_top_up' AS "auto_top_up!"
             FROM payment_attempts a
             JOIN accounts ac ON ac.id = a.account_id
             JOIN memberships m ON m.account_id = a.account_id AND m.role = 'owner'
             JOIN users u ON u.id = m.user_id
            WHERE a.id = $1 AND a.account_id = $2 AND a.status = 'succeeded'
            LIMIT 1"#,
        attempt_id,
        account_id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(ReceiptView {
        id: row.id,
        number: receipt_number(row.receipt_number),
        billed_to_details: row.billed_to.map(|details| details.0),
        when: row.completed_at.format("%B %-d, %Y at %H:%M UTC").to_string(),
        amount: Usd::new(row.amount),
        card_label: card_label(row.card_brand, &row.card_last4),
        charge_id: row.processor_charge_id.unwrap_or_default(),
        billed_to: row.email,
        auto_top_up: row.auto_top_up,
        refunds: super::refunds::refunds_of(pool, account_id, attempt_id)
            .await?
            .into_iter()
            .map(|r| match r.status.as_str() {
                "succeeded" => format!("Refunded {} on {}", Usd::new(r.amount), r.at.format("%B %-d, %Y")),
                _ => format!("Refund of {} on its way to the card", Usd::new(r.amount)),
            })
            .collect(),
    })
}
