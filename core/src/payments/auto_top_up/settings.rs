//! The rule as stored (`auto_top_up_settings`): reading it for the page, `/v1` and the chat; a person's
//! changes (turn on, save, turn off); and turning it off when its card is removed.
//!
//! Lock order, shared with the worker's claim and every card change (so none of them can deadlock another):
//! the account row, then the card, then the rule's row.

use super::job;
use crate::audit::{self, Actor, Event};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor, PgPool};
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::auto_top_up::rule::{AutoTopUpRule, AutoTopUpView};
use uuid::Uuid;

/// What the rule has charged (or is charging) this calendar month (UTC), `$1` the account: what the
/// monthly limit is counted against. Declined charges took nothing and don't count.
pub(super) const SPENT_THIS_MONTH_SQL: &str = "(SELECT COALESCE(sum(a.amount), 0) FROM payment_attempts a
      WHERE a.account_id = $1 AND a.channel = 'auto_top_up' AND a.status IN ('pending', 'succeeded')
        AND a.created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')";

#[derive(sqlx::FromRow)]

struct StoredRule {
    enabled: Option<bool>,
    threshold: Option<Decimal>,
    top_up_to: Option<Decimal>,
    monthly_limit: Option<Decimal>,
    payment_method_id: Option<Uuid>,
    card_label: Option<String>,
    disabled_reason: Option<String>,
    spent_this_month: Decimal,
}

/// The account's rule (off, with no rule, if it was never set).
#[tracing::instrument(name = "auto_top_up::view", skip(db))]
pub async fn view(db: impl PgExecutor<'_>, account_id: Uuid) -> Result<AutoTopUpView, AppError> {
    let row: StoredRule = sqlx::query_as(&format!(
        "SELECT s.enabled, s.threshold, s.top_up_to, s.monthly_limit, s.payment_method_id,
                p.brand || ' •••• ' || p.last4 AS card_label, s.disabled_reason,
                {SPENT_THIS_MONTH_SQL} AS spent_this_month
           FROM (SELECT $1::uuid AS account_id) AS this
           LEFT JOIN auto_top_up_settings s ON s.account_id = this.account_id
           LEFT JOIN payment_methods p ON p.account_id = s.account_id AND p.id = s.payment_method_id"
    ))
    .bind(account_id)
    .fetch_one(db)
    .await?;
    let rule = match (row.threshold, row.top_up_to, row.monthly_limit) {
        (Some(t), Some(to), Some(l)) => Some(AutoTopUpRule::stored(t, to, l)),
        _ => None,
    };
    Ok(AutoTopUpView {
        enabled: row.enabled.unwrap_or(false),
        rule,
        payment_method_id: row.payment_method_id,
        card_label: row.card_label,
        spent_this_month: Usd::new(row.spent_this_month),
        disabled_reason: row.disabled_reason,
    })
}

/// What a person asks of the rule.
#[derive(Clone, Copy, Debug)]
pub enum Change {
    /// "Turn on auto top-up" with this rule and card (`None`: the default card). Clears a banner.
    TurnOn { rule: AutoTopUpRule, card: Option<Uuid> },
    /// "Save": a new rule or card, on or off as it was.
    Save { rule: AutoTopUpRule, card: Option<Uuid> },
    /// "Turn off auto top-up".
    TurnOff,
}

#[derive(PartialEq)]
struct Current {
    enabled: bool,
    threshold: Decimal,
    top_up_to: Decimal,
    monthly_limit: Decimal,
    payment_method_id: Uuid,
    disabled_reason: Option<String>,
    set_by_key_id: Option<Uuid>,
}

/// Applies `change` for `actor` (logged when something changed). Turning the rule on (or saving it on)
/// while the balance is already below its threshold queues a top-up at once, as a debit crossing it would.
/// A rule set by an agent's key (`actor.key_id`) remembers the key: its charges count against the key's
/// daily funding limit and stop with the key (`worker`).
#[tracing::instrument(name = "auto_top_up::change", skip(pool, actor), fields(account_id = %actor.account_id))]
pub async fn change(pool: &PgPool, actor: &Actor, change: Change) -> Result<AutoTopUpView, AppError> {
    let account_id = actor.account_id;
    let mut tx = pool.begin().await?;
    let deleted: Option<bool> = sqlx::query_scalar!(
        r#"SELECT deleted_at IS NOT NULL AS "deleted!" FROM accounts WHERE id = $1 FOR NO KEY UPDATE"#,
        account_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if deleted != Some(false) {
        return Err(AppError::NotFound);
    }
    let (rule, card, asked_on) = match change {
        Change::TurnOn { rule, card } => (rule, card, true),
        Change::Save { rule, card } => (rule, card, false),
        Change::TurnOff => {
            turn_off(&mut tx, actor).await?;
            tx.commit().await?;
            return view(pool, account_id).await;
        }
    };
    let (card_id, card_label) = lock_card(&mut tx, account_id, card).await?;
    let before: Option<Current> = sqlx::query_as!(
        Current,
        "SELECT enabled, threshold, top_up_to, monthly_limit, payment_method_id, disabled_reason, set_by_key_id
           FROM auto_top_up_settings WHERE account_id = $1 FOR UPDATE",
        account_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let was_on = before.as_ref().is_some_and(|b| b.enabled);
    // Turning on a rule that is on changes its fields only: the decline count (and so "off after 2
    // declines") isn't reset by an agent that sends its settings again.
    let turn_on = asked_on && !was_on;
    // A rule Tollgate turned off (declines, its card removed) waits for a person to look at the card.
    if turn_on && actor.key_id.is_some() && before.as_ref().is_some_and(|b| b.disabled_reason.is_some()) {
        return Err(AppError::AutoTopUpNeedsPerson);
    }
    let enabled = turn_on || was_on;
    let after: Current = sqlx::query_as!(
        Current,
        "INSERT INTO auto_top_up_settings
            (account_id, enabled, threshold, top_up_to, monthly_limit, payment_method_id, set_by_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $8)
         ON CONFLICT (account_id) DO UPDATE
            SET enabled = excluded.enabled, threshold = excluded.threshold, top_up_to = excluded.top_up_to,
                monthly_limit = excluded.monthly_limit, payment_method_id = excluded.payment_method_id,
                set_by_key_id = excluded.set_by_key_id,
                consecutive_declines = CASE WHEN $7 THEN 0 ELSE auto_top_up_settings.consecutive_declines END,
                disabled_reason = CASE WHEN $7 THEN NULL ELSE auto_top_up_settings.disabled_reason END,
                updated_at = now()
         RETURNING enabled, threshold, top_up_to, monthly_limit, payment_method_id, disabled_reason, set_by_key_id",
        account_id,
        enabled,
        rule.threshold().amount(),
        rule.top_up_to().amount(),
        rule.monthly_limit().amount(),
        card_id,
        turn_on,
        actor.key_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    if before.as_ref() != Some(&after) {
        let value = describe(enabled, &rule, &card_label);
        audit::record(&mut tx, actor, Event::SettingChanged { setting: "Auto top-up", value }).await?;
    }
    let balance: Decimal =
        sqlx::query_scalar!("SELECT balance FROM wallets WHERE account_id = $1", account_id)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    if enabled && balance < rule.threshold().amount() {
        // Its own transaction, holding no lock a worker's claim could be waiting for. The change is saved
        // by now: a failure here is logged, not answered as if the change had failed.
        let queued = async {
            let mut conn = pool.acquire().await?;
            job::enqueue(&mut conn, account_id).await
        };
        if let Err(err) = queued.await {
            tracing::error!(%account_id, error = %err, "auto top-up turned on below its threshold but not queued");
        }
    }
    view(pool, account_id).await
}

/// The rule in the audit log's words.
fn describe(enabled: bool, rule: &AutoTopUpRule, card: &str) -> String {
    format!(
        "{} — below {}, top up to {}, up to {} a month, {card}",
        if enabled { "on" } else { "off" },
        rule.threshold().display(),
        rule.top_up_to().display(),
        rule.monthly_limit().display(),
    )
}

/// "Turn off auto top-up" (also clears a banner of Tollgate's turning it off).
async fn turn_off(conn: &mut PgConnection, actor: &Actor) -> Result<(), AppError> {
    let was_on: Option<bool> = sqlx::query_scalar!(
        "UPDATE auto_top_up_settings s SET enabled = false, disabled_reason = NULL, updated_at = now()
           FROM (SELECT enabled FROM auto_top_up_settings WHERE account_id = $1 FOR UPDATE) AS before
          WHERE s.account_id = $1 AND (s.enabled OR s.disabled_reason IS NOT NULL)
         RETURNING before.enabled",
        actor.account_id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if was_on == Some(true) {
        let event = Event::SettingChanged { setting: "Auto top-up", value: "off".to_string() };
        audit::record(conn, actor, event).await?;
    }
    Ok(())
}

/// The card the rule will charge — the one named, or the default — locked for share until commit (a
/// removal waits, then turns the rule off). `CardNotSaved` for a card this account doesn't keep;
/// `AutoTopUpNeedsCard` when there is no default card.
async fn lock_card(
    conn: &mut PgConnection,
    account_id: Uuid,
    card: Option<Uuid>,
) -> Result<(Uuid, String), AppError> {
    let found = sqlx::query!(
        r#"SELECT id, brand || ' •••• ' || last4 AS "label!" FROM payment_methods
            WHERE account_id = $1 AND removed_at IS NULL AND (id = $2 OR ($2::uuid IS NULL AND is_default))
              FOR SHARE"#,
        account_id,
        card,
    )
    .fetch_optional(&mut *conn)
    .await?;
    found.map(|row| (row.id, row.label)).ok_or(if card.is_some() {
        AppError::CardNotSaved
    } else {
        AppError::AutoTopUpNeedsCard
    })
}

/// In a card removal's transaction (which holds the card's lock): a rule that charges this card is turned
/// off, with the reason on the wallet page.
pub async fn card_removed(
    conn: &mut PgConnection,
    actor: &Actor,
    card_id: Uuid,
    card_label: &str,
) -> Result<(), AppError> {
    let reason = format!(
        "Auto top-up was turned off because {card_label} was removed. Choose another card, then turn auto top-up back on."
    );
    let turned_off = sqlx::query!(
        "UPDATE auto_top_up_settings SET enabled = false, disabled_reason = $3, updated_at = now()
          WHERE account_id = $1 AND payment_method_id = $2 AND enabled",
        actor.account_id,
        card_id,
        reason,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if turned_off == 1 {
        job::announce_turned_off(conn, actor, &reason).await?;
    }
    Ok(())
}

/// In a team deletion's transaction: the rule stops (a deleted team's queued jobs are skipped by the
/// worker).
pub async fn turn_off_for_deleted_account(conn: &mut PgConnection, account_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE auto_top_up_settings SET enabled = false, updated_at = now() WHERE account_id = $1",
        account_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// In the transaction of a card dispute that took the wallet below zero (docs/CONTRACT.md "Disputes"):
/// the rule is turned off — a wallet that owes a dispute is not charged on its own — with the banner's words,
/// the audit row and `auto_top_up.disabled`. Its owner turns it back on once a deposit paid the debt.
pub async fn turn_off_after_dispute(conn: &mut PgConnection, account_id: Uuid) -> Result<(), AppError> {
    let reason = "Auto top-up was turned off because a card dispute took the wallet below zero. Add funds, then turn auto top-up back on.";
    let turned_off = sqlx::query!(
        "UPDATE auto_top_up_settings SET enabled = false, disabled_reason = $2, updated_at = now()
          WHERE account_id = $1 AND enabled",
        account_id,
        reason,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if turned_off == 1 {
        job::announce_turned_off(conn, &job::rule_itself(account_id), reason).await?;
    }
    Ok(())
}
