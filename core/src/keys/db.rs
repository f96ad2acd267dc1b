//! Spend keys in Postgres: create (the secret leaves only in the answer), list, pause/resume/revoke, and
//! authenticate a presented secret. Every query is scoped by account.

use super::secret;
use crate::audit::{self, Actor, Event};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use tollgate_domain::error::AppError;
use tollgate_domain::keys::settings::{
    CreatedKey, DailyFundingLimit, KeyName, KeySettings, KeyStatus, LimitPeriod, RateLimit, SpendKeyView,
    SpendLimit,
};
use tollgate_domain::money::Usd;
use tollgate_domain::teams::role::{Action, Role};
use tollgate_domain::utc::shown_utc;
use uuid::Uuid;

/// A presented secret that matched a key, with what the key may do.
#[derive(Clone, Debug)]
pub struct AuthenticatedKey {
    pub key_id: Uuid,
    pub account_id: Uuid,
    pub allowed_services: Option<Vec<String>>,
    pub allow_funding: bool,
    pub rate_limit: Option<RateLimit>,
    /// The role on the key's account of the person who made it (`None`: no longer a member).
    pub maker_role: Option<Role>,
    /// The account's "Members can add funds" (docs/CONTRACT.md "Teams").
    pub members_can_fund: bool,
}

impl AuthenticatedKey {
    pub fn may_call(&self, service: &str) -> bool {
        self.allowed_services.as_ref().is_none_or(|allowed| allowed.iter().any(|s| s == service))
    }

    /// Whether the person who made this key may add funds to its account: the guide's prerequisite, on
    /// every funding channel after the key's own "Allow adding funds".
    pub fn maker_may_fund(&self) -> Result<(), AppError> {
        match self.maker_role {
            Some(role) => role.require(Action::AddFunds, self.members_can_fund),
            None => Err(AppError::NotPermitted),
        }
    }
}

struct PresentedKeyRow {
    key_id: Uuid,
    account_id: Uuid,
    status: KeyStatus,
    allowed_services: Option<Vec<String>>,
    allow_funding: bool,
    rate_limit_per_minute: Option<i32>,
    maker_role: Option<Role>,
    members_can_fund: bool,
}

/// The key a bearer secret names. Unknown, paused and revoked keys are refused with their own message.
#[tracing::instrument(name = "keys::authenticate", skip_all)]
pub async fn authenticate(pool: &PgPool, presented: &str) -> Result<AuthenticatedKey, AppError> {
    if !presented.starts_with(secret::PREFIX) || presented.len() > 128 {
        return Err(AppError::UnknownSpendKey);
    }
    // What authenticating reads of a key: the key, its maker's role and the account's funding setting
    // (the same columns as `authenticate_by_id`).
    let row = sqlx::query_as!(
        PresentedKeyRow,
        r#"SELECT k.id AS key_id, k.account_id, k.status AS "status: KeyStatus", k.allowed_services,
                  k.allow_funding, k.rate_limit_per_minute, m.role AS "maker_role?: Role", a.members_can_fund
             FROM spend_keys k
             JOIN accounts a ON a.id = k.account_id
             LEFT JOIN memberships m ON m.account_id = k.account_id AND m.user_id = k.created_by
            WHERE k.secret_sha256 = $1"#,
        &secret::sha256(presented)[..],
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::UnknownSpendKey)?;
    row.admitted()
}

/// The key a credential other than its secret stands for (a chat connection's OAuth access token):
/// refused like a presented secret when paused or revoked.
#[tracing::instrument(name = "keys::authenticate_by_id", skip(pool))]
pub async fn authenticate_by_id(pool: &PgPool, key_id: Uuid) -> Result<AuthenticatedKey, AppError> {
    let row = sqlx::query_as!(
        PresentedKeyRow,
        r#"SELECT k.id AS key_id, k.account_id, k.status AS "status: KeyStatus", k.allowed_services,
                  k.allow_funding, k.rate_limit_per_minute, m.role AS "maker_role?: Role", a.members_can_fund
             FROM spend_keys k
             JOIN accounts a ON a.id = k.account_id
             LEFT JOIN memberships m ON m.account_id = k.account_id AND m.user_id = k.created_by
            WHERE k.id = $1"#,
        key_id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::UnknownSpendKey)?;
    row.admitted()
}

impl PresentedKeyRow {
    /// What the key may do, unless it is paused or revoked.
    fn admitted(self) -> Result<AuthenticatedKey, AppError> {
        let row = self;
        if let Some(refusal) = row.status.refusal() {
            return Err(refusal);
        }
        Ok(AuthenticatedKey {
            key_id: row.key_id,
            account_id: row.account_id,
            allowed_services: row.allowed_services,
            allow_funding: row.allow_funding,
            rate_limit: row.rate_limit_per_minute.and_then(RateLimit::stored),
            maker_role: row.maker_role,
            members_can_fund: row.members_can_fund,
        })
    }
}

/// Counts one request of `key` in the current UTC minute; over its "Rate limit", refused with the
/// seconds until the next minute (`Retry-After`). One upsert, so the count is exact across servers.
#[tracing::instrument(name = "keys::count_request", skip_all, fields(key_id = %key.key_id))]
pub async fn count_request(pool: &PgPool, key: &AuthenticatedKey) -> Result<Result<(), u64>, AppError> {
    let Some(limit) = key.rate_limit else { return Ok(Ok(())) };
    count_in_minute(pool, key.key_id, limit.per_minute()).await
}

/// Free calls a key without a "Rate limit" may make a minute: a free call costs nothing, so nothing else
/// would bound the rows it writes (docs/CONTRACT.md "Limits and account security").
pub const FREE_CALLS_PER_MINUTE: u32 = RateLimit::SUGGESTED;

/// Counts one free call (a paid call's price came to $0) of a key that has no "Rate limit" of its own
/// against [`FREE_CALLS_PER_MINUTE`]; a key with one was counted against it already (`count_request`).
pub async fn count_free_call(pool: &PgPool, key: &AuthenticatedKey) -> Result<Result<(), u64>, AppError> {
    if key.rate_limit.is_some() {
        return Ok(Ok(()));
    }
    count_in_minute(pool, key.key_id, FREE_CALLS_PER_MINUTE).await
}

async fn count_in_minute(pool: &PgPool, key_id: Uuid, per_minute: u32) -> Result<Result<(), u64>, AppError> {
    let counted = sqlx::query!(
        r#"INSERT INTO spend_key_minutes AS m (spend_key_id, minute, calls)
           VALUES ($1, date_trunc('minute', now()), 1)
           ON CONFLICT (spend_key_id, minute) DO UPDATE SET calls = m.calls + 1
           RETURNING calls,
                     extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now())::float8
                       AS "seconds_left!""#,
        key_id,
    )
    .fetch_one(pool)
    .await?;
    let (calls, seconds_left) = (counted.calls, counted.seconds_left);
    if i64::from(calls) <= i64::from(per_minute) {
        Ok(Ok(()))
    } else {
        Ok(Err(seconds_left.ceil().clamp(1.0, 60.0) as u64))
    }
}

/// Creates a key; the answer carries the secret, which is stored nowhere (only its SHA-256).
/// The key is the `actor`'s: theirs to pause or revoke, and it stops when they leave the team.
#[tracing::instrument(name = "keys::create", skip(pool, settings, actor))]
pub async fn create(pool: &PgPool, actor: &Actor, settings: &KeySettings) -> Result<CreatedKey, AppError> {
    let made_by = actor.user_id.ok_or_else(|| AppError::bug("a key made by no person"))?;
    let mut tx = pool.begin().await?;
    let (id, new) = insert(&mut tx, actor.account_id, made_by, settings, None).await?;
    audit::record(&mut tx, actor, Event::KeyCreated { name: settings.name.as_str() }).await?;
    tx.commit().await?;
    let key = keys_of(pool, actor.account_id, Some(id))
        .await?
        .pop()
        .ok_or_else(|| AppError::bug("a key just made is not listed"))?;
    Ok(CreatedKey { key, secret: new.secret })
}

/// Inserts a key (on `conn`, so a caller's transaction can hold it with what it belongs to): its id and
/// its secret. `made_by`: the member it belongs to (their own to pause or revoke; it stops when they leave).
/// `oauth_client_id`: the chat app it connects (a "Chat connection", created on the consent page).
pub async fn insert(
    conn: &mut sqlx::PgConnection,
    account_id: Uuid,
    made_by: Uuid,
    settings: &KeySettings,
    oauth_client_id: Option<&str>,
) -> Result<(Uuid, secret::NewSecret), AppError> {
    ensure_known_services(conn, settings).await?;
    let new = secret::generate();
    let id: Uuid = sqlx::query_scalar!(
        "INSERT INTO spend_keys
            (account_id, name, secret_sha256, display_prefix, limit_amount, limit_period, allowed_services,
             allow_funding, daily_funding_limit, rate_limit_per_minute, oauth_client_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING id",
        account_id,
        settings.name.as_str(),
        &new.sha256[..],
        new.display_prefix,
        settings.limit.map(|l| l.amount.amount()),
        settings.limit.map(|l| l.period) as Option<LimitPeriod>,
        settings.allowed_services.as_deref(),
        settings.allow_funding,
        settings.daily_funding_limit.usd().amount(),
        settings.rate_limit.map(|r| r.per_minute() as i32),
        oauth_client_id,
        made_by,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((id, new))
}

/// Every service `settings` allows is in the catalog.
async fn ensure_known_services(
    conn: &mut sqlx::PgConnection,
    settings: &KeySettings,
) -> Result<(), AppError> {
    if let Some(services) = &settings.allowed_services {
        let known: i64 =
            sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM services WHERE id = ANY($1)"#, services)
                .fetch_one(&mut *conn)
                .await?;
        if known != services.len() as i64 {
            return Err(AppError::UnknownService);
        }
    }
    Ok(())
}

/// A `spend_keys` row as the Keys page lists it.
struct KeyRow {
    id: Uuid,
    name: String,
    display_prefix: String,
    status: KeyStatus,
    limit_amount: Option<Decimal>,
    limit_period: Option<LimitPeriod>,
    /// The names of the services it may call (`None`: every service).
    service_names: Option<Vec<String>>,
    /// Their ids.
    allowed_services: Option<Vec<String>>,
    allow_funding: bool,
    daily_funding_limit: Decimal,
    rate_limit_per_minute: Option<i32>,
    cycle_start: Option<DateTime<Utc>>,
    cycle_spend: Decimal,
    total_spend: Decimal,
    request_count: i64,
    last_used_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    chat_connection: bool,
    created_by: Uuid,
    made_by_email: String,
}

impl KeyRow {
    fn view(self, now: DateTime<Utc>) -> SpendKeyView {
        let limit = SpendLimit::stored(self.limit_amount, self.limit_period);
        // The stored cycle spend belongs to the cycle it started in; in a newer cycle nothing is spent yet.
        let current_cycle = limit.and_then(|l| l.period.cycle_start(now));
        let cycle_spend = if self.cycle_start == current_cycle { self.cycle_spend } else { Decimal::ZERO };
        SpendKeyView {
            id: self.id,
            name: self.name,
            prefix: self.display_prefix,
            status: self.status,
            limit,
            allowed_services: self.service_names,
            allowed_service_ids: self.allowed_services,
            allow_funding: self.allow_funding,
            daily_funding_limit: DailyFundingLimit::stored(self.daily_funding_limit),
            rate_limit: self.rate_limit_per_minute.and_then(RateLimit::stored),
            cycle_spend: Usd::new(cycle_spend),
            total_spend: Usd::new(self.total_spend),
            requests: self.request_count,
            last_used: self.last_used_at.map(shown_utc),
            created: shown_utc(self.created_at),
            chat_connection: self.chat_connection,
            made_by: self.created_by,
            made_by_email: self.made_by_email,
            may_change: false,
        }
    }
}

/// The account's keys, newest first; revoked keys last.
#[tracing::instrument(name = "keys::list", skip(pool))]
pub async fn list(pool: &PgPool, account_id: Uuid) -> Result<Vec<SpendKeyView>, AppError> {
    keys_of(pool, account_id, None).await
}

/// The account's keys (`only`: just that one).
async fn keys_of(pool: &PgPool, account_id: Uuid, only: Option<Uuid>) -> Result<Vec<SpendKeyView>, AppError> {
    let rows: Vec<KeyRow> = sqlx::query_as!(
        KeyRow,
        r#"SELECT k.id, k.name, k.display_prefix, k.status AS "status: KeyStatus", k.limit_amount,
                  k.limit_period AS "limit_period: LimitPeriod",
                  (SELECT array_agg(s.name ORDER BY s.name) FROM services s WHERE s.id = ANY(k.allowed_services))
                    AS service_names, k.allowed_services,
                  k.allow_funding, k.daily_funding_limit, k.rate_limit_per_minute, k.cycle_start AS "cycle_start: _", k.cycle_spend,
                  k.total_spend, k.request_count, k.last_used_at AS "last_used_at: _",
                  k.created_at AS "created_at: _", k.oauth_client_id IS NOT NULL AS "chat_connection!", k.created_by,
                  u.email AS made_by_email
             FROM spend_keys k JOIN users u ON u.id = k.created_by
            WHERE k.account_id = $1 AND ($2::uuid IS NULL OR k.id = $2)
            ORDER BY k.status = 'revoked', k.created_at DESC"#,
        account_id,
        only,
    )
    .fetch_all(pool)
    .await?;
    let now = Utc::now();
    Ok(rows.into_iter().map(|row| row.view(now)).collect())
}

/// "Pause", "Resume" and "Revoke" (posted as `pause`, `resume`, `revoke`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum StatusChange {
    Pause,
    Resume,
    Revoke,
}

/// Who made a key of this account (to decide whether a member may change it).
pub async fn maker_of(pool: &PgPool, account_id: Uuid, key_id: Uuid) -> Result<Uuid, AppError> {
    sqlx::query_scalar!(
        "SELECT created_by FROM spend_keys WHERE id = $1 AND account_id = $2",
        key_id,
        account_id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// The key as a status change finds it, locked.
struct KeyToChange {
    status: KeyStatus,
    name: String,
    is_connection: bool,
}

/// Changes a key's state. Pressing a button twice is harmless (and logged once); a revoked key stays
/// revoked.
#[tracing::instrument(name = "keys::change_status", skip(pool, actor))]
pub async fn change_status(
    pool: &PgPool,
    actor: &Actor,
    key_id: Uuid,
    change: StatusChange,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    change_status_in(&mut tx, actor, key_id, change, None).await?;
    tx.commit().await?;
    Ok(())
}

/// [`change_status`] in the caller's transaction; the audit row carries `reason` when one is given (a
/// staff action's). Answers whether the key's state changed.
pub async fn change_status_in(
    tx: &mut PgConnection,
    actor: &Actor,
    key_id: Uuid,
    change: StatusChange,
    reason: Option<&str>,
) -> Result<bool, AppError> {
    let key: KeyToChange = sqlx::query_as!(
        KeyToChange,
        r#"SELECT status AS "status: KeyStatus", name, oauth_client_id IS NOT NULL AS "is_connection!"
             FROM spend_keys WHERE id = $1 AND account_id = $2 FOR UPDATE"#,
        key_id,
        actor.account_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let current = key.status;
    let target = match (change, current) {
        (_, KeyStatus::Revoked) if change != StatusChange::Revoke => return Err(AppError::SpendKeyRevoked),
        (StatusChange::Pause, _) => KeyStatus::Paused,
        (StatusChange::Resume, _) => KeyStatus::Active,
        (StatusChange::Revoke, _) => KeyStatus::Revoked,
    };
    sqlx::query!(
        "UPDATE spend_keys
            SET status = $3,
                revoked_at = CASE WHEN $3 = 'revoked' THEN COALESCE(revoked_at, now()) END
          WHERE id = $1 AND account_id = $2 AND status <> 'revoked'",
        key_id,
        actor.account_id,
        target as KeyStatus,
    )
    .execute(&mut *tx)
    .await?;
    if target != current {
        let name = key.name.as_str();
        let event = match (target, key.is_connection) {
            (KeyStatus::Revoked, true) => Event::ConnectionRevoked { app: name },
            (KeyStatus::Revoked, false) => Event::KeyRevoked { name },
            (KeyStatus::Paused, _) => Event::KeyPaused { name },
            (KeyStatus::Active, _) => Event::KeyResumed { name },
        };
        match reason {
            Some(reason) => audit::record(&mut *tx, actor, Event::Because { event: &event, reason }).await?,
            None => audit::record(&mut *tx, actor, event).await?,
        }
    }
    Ok(target != current)
}

/// The channel a key's change is announced on at commit: every server drops its remembered keys
/// (`server/src/state/call_cache.rs`), so the next call sees the change.
pub const KEY_CHANGED_CHANNEL: &str = "tollgate_key_changed";

/// A key's settings as an edit finds them, locked.
struct KeyToEdit {
    name: String,
    status: KeyStatus,
    is_connection: bool,
    limit_amount: Option<Decimal>,
    limit_period: Option<LimitPeriod>,
    allowed_services: Option<Vec<String>>,
    allow_funding: bool,
    daily_funding_limit: Decimal,
    rate_limit_per_minute: Option<i32>,
}

impl KeyToEdit {
    fn settings(&self) -> KeySettings {
        let limit = SpendLimit::stored(self.limit_amount, self.limit_period);
        KeySettings {
            name: KeyName::stored(self.name.clone()),
            limit,
            allowed_services: self.allowed_services.clone(),
            allow_funding: self.allow_funding,
            daily_funding_limit: DailyFundingLimit::stored(self.daily_funding_limit),
            rate_limit: self.rate_limit_per_minute.and_then(RateLimit::stored),
        }
    }
}

/// "Save changes" on a key's (or chat connection's) edit form: its settings become what the form says —
/// a chat connection keeps its name, which the app gave it. A revoked key can't change. One audit row says
/// what changed (`key_changed`); a save that changes nothing writes none. At commit every server drops its
/// remembered copy of the key ([`KEY_CHANGED_CHANNEL`]), and the charging transaction reads the key's
/// services under its lock, so the next call sees the change.
#[tracing::instrument(name = "keys::update", skip(pool, actor, settings))]
pub async fn update(
    pool: &PgPool,
    actor: &Actor,
    key_id: Uuid,
    settings: &KeySettings,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let key: KeyToEdit = sqlx::query_as!(
        KeyToEdit,
        r#"SELECT name, status AS "status: KeyStatus", oauth_client_id IS NOT NULL AS "is_connection!", limit_amount,
                  limit_period AS "limit_period: LimitPeriod",
                  allowed_services, allow_funding, daily_funding_limit, rate_limit_per_minute
             FROM spend_keys WHERE id = $1 AND account_id = $2 FOR UPDATE"#,
        key_id,
        actor.account_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if key.status == KeyStatus::Revoked {
        return Err(AppError::SpendKeyRevoked);
    }
    ensure_known_services(&mut tx, settings).await?;
    let before = key.settings();
    let after = KeySettings {
        name: if key.is_connection { before.name.clone() } else { settings.name.clone() },
        ..settings.clone()
    };
    let changes = describe_changes(&before, &after);
    if changes.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE spend_keys
            SET name = $3, limit_amount = $4, limit_period = $5, allowed_services = $6, allow_funding = $7,
                daily_funding_limit = $8, rate_limit_per_minute = $9
          WHERE id = $1 AND account_id = $2",
        key_id,
        actor.account_id,
        after.name.as_str(),
        after.limit.map(|l| l.amount.amount()),
        after.limit.map(|l| l.period) as Option<LimitPeriod>,
        after.allowed_services.as_deref(),
        after.allow_funding,
        after.daily_funding_limit.usd().amount(),
        after.rate_limit.map(|r| r.per_minute() as i32),
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("SELECT FROM pg_notify($1, $2)", KEY_CHANGED_CHANNEL, key_id.to_string())
        .execute(&mut *tx)
        .await?;
    let event =
        Event::KeyChanged { name: before.name.as_str(), connection: key.is_connection, changes: &changes };
    audit::record(&mut tx, actor, event).await?;
    tx.commit().await?;
    Ok(())
}

/// What an edit changed, in words for the audit log ("spend limit none → $5.00 per day (UTC)").
fn describe_changes(before: &KeySettings, after: &KeySettings) -> Vec<String> {
    let limit = |l: &Option<SpendLimit>| l.map_or("none".to_string(), |l| l.describe());
    let services = |s: &Option<Vec<String>>| s.as_ref().map_or("all".to_string(), |s| s.join(", "));
    let rate =
        |r: &Option<RateLimit>| r.map_or("none".to_string(), |r| format!("{} a minute", r.per_minute()));
    let funding = |s: &KeySettings| {
        if s.allow_funding {
            format!("allowed, up to {} a day", s.daily_funding_limit.usd().display())
        } else {
            "not allowed".to_string()
        }
    };
    let mut changes = Vec::new();
    let mut note = |what: &str, from: String, to: String| {
        if from != to {
            changes.push(format!("{what} {from} → {to}"));
        }
    };
    note("name", format!("\"{}\"", before.name.as_str()), format!("\"{}\"", after.name.as_str()));
    note("spend limit", limit(&before.limit), limit(&after.limit));
    note("rate limit", rate(&before.rate_limit), rate(&after.rate_limit));
    note("services", services(&before.allowed_services), services(&after.allowed_services));
    note("adding funds", funding(before), funding(after));
    changes
}

/// In a team deletion's transaction: every key of the account is revoked (already revoked ones keep their
/// time).
pub async fn revoke_all_of_account(conn: &mut PgConnection, account_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE spend_keys SET status = 'revoked', revoked_at = COALESCE(revoked_at, now())
          WHERE account_id = $1 AND status <> 'revoked'",
        account_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// In a member's removal's transaction: every key `maker` made on the account is revoked, so a batch of
/// their calls queued meanwhile finds the key revoked when it locks it.
pub async fn revoke_all_made_by(
    conn: &mut PgConnection,
    account_id: Uuid,
    maker: Uuid,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE spend_keys SET status = 'revoked', revoked_at = now()
          WHERE account_id = $1 AND created_by = $2 AND status <> 'revoked'",
        account_id,
        maker,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether `user_id` made a chat connection (a key) for the app `client_id`, on any account.
pub async fn has_connection_of(pool: &PgPool, user_id: Uuid, client_id: &str) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM spend_keys WHERE oauth_client_id = $2 AND created_by = $1) AS "exists!""#,
        user_id,
        client_id,
    )
    .fetch_one(pool)
    .await?)
}

/// A key's status, held (`FOR SHARE`) until the caller's transaction ends, so it can't be revoked
/// meanwhile; `None` for an unknown key.
pub async fn status_held(conn: &mut PgConnection, key_id: Uuid) -> Result<Option<KeyStatus>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT status AS "status: KeyStatus" FROM spend_keys WHERE id = $1 FOR SHARE"#,
        key_id
    )
    .fetch_optional(conn)
    .await?)
}

/// A key just revoked by [`revoke`]: whose it was and its name, for the audit log.
pub struct RevokedKey {
    pub account_id: Uuid,
    pub made_by: Uuid,
    pub name: String,
}

/// Revokes one key; `None` when it was already revoked (or is unknown).
pub async fn revoke(conn: &mut PgConnection, key_id: Uuid) -> Result<Option<RevokedKey>, AppError> {
    Ok(sqlx::query_as!(
        RevokedKey,
        "UPDATE spend_keys SET status = 'revoked', revoked_at = now() WHERE id = $1 AND status <> 'revoked'
         RETURNING account_id, created_by AS made_by, name",
        key_id,
    )
    .fetch_optional(conn)
    .await?)
}

/// A key of the demo account's history, made `days` before today (before its first call, as a real key
/// would be: "Created" before "Last used").
pub async fn backdate(conn: &mut PgConnection, key_id: Uuid, days: i32) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE spend_keys SET created_at = now() - make_interval(days => $2) WHERE id = $1",
        key_id,
        days
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets per-minute call counts past their minute, and ends chat connections that never started: the
/// app never redeemed its code, which has expired, so the Keys page doesn't list as active a connection
/// that can never be used (the maintenance pass); how many rows.
pub async fn forget_expired(pool: &PgPool) -> Result<u64, AppError> {
    let minutes = sqlx::query!("DELETE FROM spend_key_minutes WHERE minute < now() - interval '2 minutes'")
        .execute(pool)
        .await?
        .rows_affected();
    let unstarted = sqlx::query!(
        "UPDATE spend_keys k SET status = 'revoked', revoked_at = now()
         WHERE k.oauth_client_id IS NOT NULL AND k.status <> 'revoked'
           AND EXISTS (SELECT 1 FROM oauth_codes c WHERE c.spend_key_id = k.id AND c.expires_at < now() AND c.used_at IS NULL)
           AND NOT EXISTS (SELECT 1 FROM oauth_tokens t WHERE t.spend_key_id = k.id)"
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(minutes + unstarted)
}
