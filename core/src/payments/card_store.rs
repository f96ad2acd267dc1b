//! Saved cards of an account in Postgres. Every query is scoped by account: another account's card id is
//! "not found", never its data.

use super::auto_top_up;
use super::processor::PaymentProcessor;
use crate::audit::{self, Actor, Event};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use tollgate_domain::error::AppError;
use tollgate_domain::payments::attempt::card_label;
use tollgate_domain::payments::card::{CardBrand, CardChange, Expiry, PostalCode};
use tollgate_domain::payments::decline::DeclineCode;
use tollgate_domain::payments::payment_method::PaymentMethodView;
use uuid::Uuid;

/// A `payment_methods` row as the pages need it.
struct SavedCardRow {
    id: Uuid,
    brand: CardBrand,
    last4: String,
    expiry_month: i32,
    expiry_year: i32,
    billing_postal_code: String,
    is_default: bool,
    error_code: Option<DeclineCode>,
    error_message: Option<String>,
    error_at: Option<DateTime<Utc>>,
}

impl SavedCardRow {
    fn view(self, today: chrono::NaiveDate) -> PaymentMethodView {
        let expiry = Expiry { month: self.expiry_month as u32, year: self.expiry_year };
        PaymentMethodView {
            id: self.id,
            label: card_label(self.brand, &self.last4),
            brand: self.brand,
            last4: self.last4,
            expiry_month: expiry.month,
            expiry_year: expiry.year,
            expiry: expiry.display(),
            expired: expiry.has_passed(today),
            postal_code: self.billing_postal_code,
            is_default: self.is_default,
            error_message: self.error_message,
            error_code: self.error_code,
            error_at: self.error_at,
        }
    }
}

/// Saved (not removed) cards, default first. `expired` is judged against today (UTC), so a card whose
/// expiry month has passed shows as expired before anyone tries it.
#[tracing::instrument(name = "payments::saved_cards", skip(db))]
pub async fn saved_cards(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
) -> Result<Vec<PaymentMethodView>, AppError> {
    let rows: Vec<SavedCardRow> = sqlx::query_as!(
        SavedCardRow,
        r#"SELECT id, brand AS "brand: CardBrand", last4, expiry_month, expiry_year, billing_postal_code, is_default, error_code AS "error_code: DeclineCode",
                error_message, error_at AS "error_at: _"
           FROM payment_methods
          WHERE account_id = $1 AND removed_at IS NULL
          ORDER BY is_default DESC, created_at"#,
        account_id,
    )
    .fetch_all(db)
    .await?;
    let today = Utc::now().date_naive();
    Ok(rows.into_iter().map(|row| row.view(today)).collect())
}

/// What a charge needs of a card: the processor's token and what the attempt records of the card.
#[derive(Clone, Debug)]
pub struct CardOnFile {
    pub processor_token: String,
    pub brand: CardBrand,
    pub last4: String,
    pub expiry_month: i32,
    pub expiry_year: i32,
    pub billing_postal_code: String,
}

/// A saved, not removed card of this account.
#[tracing::instrument(name = "payments::card_on_file", skip(pool))]
pub async fn card_on_file(pool: &PgPool, account_id: Uuid, id: Uuid) -> Result<CardOnFile, AppError> {
    sqlx::query_as!(
        CardOnFile,
        r#"SELECT processor_token, brand AS "brand: CardBrand", last4, expiry_month, expiry_year, billing_postal_code
             FROM payment_methods WHERE id = $1 AND account_id = $2 AND removed_at IS NULL"#,
        id,
        account_id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// Who saved a card of this account (`None`: an agent's checkout or a card older than teams).
pub async fn added_by(pool: &PgPool, account_id: Uuid, id: Uuid) -> Result<Option<Uuid>, AppError> {
    sqlx::query_scalar!(
        "SELECT added_by FROM payment_methods WHERE id = $1 AND account_id = $2 AND removed_at IS NULL",
        id,
        account_id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// "Update card": a new expiry, a new billing postal code, or both, at the processor and here; what the
/// person left blank keeps its current value. The card keeps its last failure until a later charge
/// succeeds (docs/CONTRACT.md "Add Funds flow").
#[tracing::instrument(name = "payments::update_card", skip(pool, processor, change, actor))]
pub async fn update_card(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    actor: &Actor,
    payment_method_id: Uuid,
    change: CardChange,
) -> Result<(), AppError> {
    let card = card_on_file(pool, actor.account_id, payment_method_id).await?;
    let expiry = change.expiry.unwrap_or(Expiry { month: card.expiry_month as u32, year: card.expiry_year });
    let postal_code = match change.postal_code {
        Some(typed) => typed,
        None => PostalCode::parse(&card.billing_postal_code).map_err(|_| AppError::InvalidPostalCode)?,
    };
    processor.update_card(&card.processor_token, expiry, &postal_code).await.map_err(|err| {
        tracing::warn!(error = %err, "processor refused a card update");
        AppError::ProcessorUnavailable
    })?;
    let mut tx = pool.begin().await?;
    let locked = lock_saved_card(&mut tx, actor.account_id, payment_method_id).await?;
    sqlx::query!(
        "UPDATE payment_methods SET expiry_month = $2, expiry_year = $3, billing_postal_code = $4, updated_at = now()
          WHERE id = $1 AND account_id = $5",
        payment_method_id,
        expiry.month as i32,
        expiry.year,
        postal_code.as_str(),
        actor.account_id,
    )
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, actor, Event::CardUpdated { card: &locked.label }).await?;
    tx.commit().await?;
    Ok(())
}

/// "Update card" with a processor that takes cards in the browser: the person entered the card again in
/// the processor's script (its new expiry or billing postal code), and the saved card becomes the one that
/// setup made — its default and its last failure stay; the card it replaces is let go at the processor.
#[tracing::instrument(name = "payments::replace_card", skip(pool, processor, actor, setup_id))]
pub async fn replace_card(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    actor: &Actor,
    payment_method_id: Uuid,
    setup_id: &str,
) -> Result<(), AppError> {
    let old = card_on_file(pool, actor.account_id, payment_method_id).await?;
    let customer = super::processor_records::customer_of(pool, actor.account_id)
        .await?
        .ok_or(AppError::CardSetupIncomplete)?;
    let new = processor.card_from_setup(&customer, setup_id).await.map_err(|err| match err {
        super::processor::ProcessorError::Unavailable(_) => AppError::ProcessorUnavailable,
        _ => AppError::CardSetupIncomplete,
    })?;
    let mut tx = pool.begin().await?;
    let locked = lock_saved_card(&mut tx, actor.account_id, payment_method_id).await?;
    sqlx::query!(
        "UPDATE payment_methods SET processor_token = $2, brand = $3, last4 = $4, expiry_month = $5, expiry_year = $6,
                billing_postal_code = $7, updated_at = now()
          WHERE id = $1 AND account_id = $8",
        payment_method_id,
        new.token,
        new.brand as CardBrand,
        new.last4,
        new.expiry.month as i32,
        new.expiry.year,
        new.postal_code.as_str(),
        actor.account_id,
    )
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, actor, Event::CardUpdated { card: &locked.label }).await?;
    tx.commit().await?;
    if let Err(err) = processor.forget_card(&old.processor_token).await {
        tracing::warn!(error = %err, "a replaced card could not be let go at the processor");
    }
    Ok(())
}

/// Makes one saved card the default (and no other).
#[tracing::instrument(name = "payments::make_default", skip(pool, actor))]
pub async fn make_default(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let locked = lock_saved_card(&mut tx, actor.account_id, id).await?;
    if locked.is_default {
        return Ok(()); // already the default: nothing changes, nothing to log
    }
    sqlx::query!(
        "UPDATE payment_methods SET is_default = false WHERE account_id = $1 AND is_default",
        actor.account_id,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE payment_methods SET is_default = true, updated_at = now() WHERE id = $1 AND account_id = $2",
        id,
        actor.account_id,
    )
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, actor, Event::CardMadeDefault { card: &locked.label }).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a saved card (kept for history, never charged again). If it was the default, the oldest
/// remaining card becomes the default.
#[tracing::instrument(name = "payments::remove_card", skip(pool, actor))]
pub async fn remove(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let locked = lock_saved_card(&mut tx, actor.account_id, id).await?;
    sqlx::query!(
        "UPDATE payment_methods SET removed_at = now(), is_default = false, updated_at = now()
          WHERE id = $1 AND account_id = $2",
        id,
        actor.account_id,
    )
    .execute(&mut *tx)
    .await?;
    if locked.is_default {
        pass_default_on(&mut tx, actor.account_id).await?;
    }
    audit::record(&mut tx, actor, Event::CardRemoved { card: &locked.label }).await?;
    auto_top_up::settings::card_removed(&mut tx, actor, id, &locked.label).await?;
    tx.commit().await?;
    Ok(())
}

/// In the transaction that ends `member`'s membership (which holds the account's wallet lock): the cards
/// they saved on this account are removed with it — a card is its saver's, and it leaves with them. A
/// rule that charged one turns off with its banner; a removed default passes to the oldest card left.
pub async fn remove_cards_saved_by(
    conn: &mut PgConnection,
    actor: &Actor,
    member: Uuid,
) -> Result<(), AppError> {
    let removed = sqlx::query!(
        r#"WITH theirs AS (
              SELECT id, is_default FROM payment_methods
               WHERE account_id = $1 AND added_by = $2 AND removed_at IS NULL
               ORDER BY id FOR UPDATE)
           UPDATE payment_methods p SET removed_at = now(), is_default = false, updated_at = now()
             FROM theirs WHERE p.account_id = $1 AND p.id = theirs.id
           RETURNING p.id, p.brand || ' •••• ' || p.last4 AS "label!", theirs.is_default AS "was_default!""#,
        actor.account_id,
        member,
    )
    .fetch_all(&mut *conn)
    .await?;
    for card in &removed {
        audit::record(conn, actor, Event::CardRemoved { card: &card.label }).await?;
        auto_top_up::settings::card_removed(conn, actor, card.id, &card.label).await?;
    }
    if removed.iter().any(|card| card.was_default) {
        pass_default_on(conn, actor.account_id).await?;
    }
    Ok(())
}

/// Saves the card an attempt was paid with for the attempt's account (Add Funds' "Save this card"); the
/// account's first card becomes its default.
pub async fn save_from_attempt(conn: &mut PgConnection, attempt_id: Uuid) -> Result<Uuid, AppError> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO payment_methods
            (account_id, processor_token, brand, last4, expiry_month, expiry_year, billing_postal_code, is_default,
             added_by)
         SELECT a.account_id, a.processor_token, a.card_brand, a.card_last4, a.card_expiry_month,
                a.card_expiry_year, a.card_postal_code,
                NOT EXISTS (SELECT 1 FROM payment_methods p WHERE p.account_id = a.account_id AND p.is_default),
                a.made_by
           FROM payment_attempts a WHERE a.id = $1
         RETURNING id",
        attempt_id,
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// A charge on the card went through: whatever decline it showed is cleared.
pub async fn clear_error(conn: &mut PgConnection, account_id: Uuid, card_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE payment_methods SET has_error = false, error_code = NULL, error_message = NULL,
                error_at = NULL, updated_at = now() WHERE id = $1 AND account_id = $2",
        card_id,
        account_id,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A charge on the card was declined: the card shows the decline's reason and fix until it is updated or
/// charged successfully.
pub async fn mark_declined(
    conn: &mut PgConnection,
    account_id: Uuid,
    card_id: Uuid,
    code: DeclineCode,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE payment_methods SET has_error = true, error_code = $2, error_message = $3,
                error_at = now(), updated_at = now() WHERE id = $1 AND account_id = $4",
        card_id,
        code as DeclineCode,
        code.message(),
        account_id,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// In a team deletion's transaction: every saved card of the account is removed (kept for history).
pub async fn remove_all_of_account(conn: &mut PgConnection, account_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE payment_methods SET removed_at = now(), is_default = false, updated_at = now()
          WHERE account_id = $1 AND removed_at IS NULL",
        account_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The oldest saved card becomes the default, after the default was removed.
async fn pass_default_on(conn: &mut PgConnection, account_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE payment_methods SET is_default = true
          WHERE account_id = $1 AND id = (SELECT id FROM payment_methods WHERE account_id = $1 AND removed_at IS NULL
                       ORDER BY created_at LIMIT 1)",
        account_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A saved card held for the rest of a transaction.
struct LockedCard {
    is_default: bool,
    /// "Visa •••• 4242", for the audit log.
    label: String,
}

/// Locks a saved card of this account for the rest of the transaction — after the account's wallet, the
/// lock every change of an account's cards and members takes first (one order, so no deadlock with "Delete
/// team" or a top-up's settlement). Another account's card, or a removed one, is "not found".
async fn lock_saved_card(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
) -> Result<LockedCard, AppError> {
    sqlx::query!("SELECT FROM wallets WHERE account_id = $1 FOR UPDATE", account_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query_as!(
        LockedCard,
        r#"SELECT is_default, brand || ' •••• ' || last4 AS "label!"
             FROM payment_methods WHERE id = $1 AND account_id = $2 AND removed_at IS NULL FOR UPDATE"#,
        id,
        account_id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)
}
