//! Users, their personal accounts and memberships, and their password hashes.

use crate::audit::{self, Actor, Event};
use crate::client_ip::ClientIp;
use sqlx::{PgConnection, PgPool};
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use uuid::Uuid;

/// A person and the account they act for: their personal one, the oldest account they own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub email: String,
}

/// Creates a user with their personal account, an owner membership and an empty USD wallet — all or
/// nothing, so no user ever exists without a wallet.
#[tracing::instrument(name = "accounts::create_user_with_account", skip_all)]
pub async fn create_user_with_account(
    pool: &PgPool,
    email: &Email,
    password_hash: &str,
) -> Result<Person, AppError> {
    let mut tx = pool.begin().await?;
    let user_id: Uuid = match sqlx::query_scalar!(
        "INSERT INTO users (email, password_hash) VALUES ($1, $2)
         ON CONFLICT (email) DO NOTHING RETURNING id",
        email.as_str(),
        password_hash,
    )
    .fetch_optional(&mut *tx)
    .await?
    {
        Some(id) => id,
        None => return Err(AppError::EmailTaken),
    };
    let account_id = insert_account(&mut tx, email.as_str(), AccountKind::Personal, user_id).await?;
    tx.commit().await?;
    Ok(Person { user_id, account_id, email: email.as_str().to_string() })
}

/// A personal account (one per user) or a team (docs/CONTRACT.md "Teams").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    Personal,
    Team,
}

/// A new account with its empty USD wallet and `owner` as its Owner, in the caller's transaction: no
/// account ever exists without a wallet and an Owner.
pub async fn insert_account(
    conn: &mut PgConnection,
    name: &str,
    kind: AccountKind,
    owner: Uuid,
) -> Result<Uuid, AppError> {
    let kind = match kind {
        AccountKind::Personal => "personal",
        AccountKind::Team => "team",
    };
    let account_id: Uuid = sqlx::query_scalar!(
        "INSERT INTO accounts (name, kind, created_by) VALUES ($1, $2, $3) RETURNING id",
        name,
        kind,
        owner,
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO memberships (account_id, user_id, role) VALUES ($1, $2, 'owner')",
        account_id,
        owner,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("INSERT INTO wallets (account_id) VALUES ($1)", account_id,).execute(&mut *conn).await?;
    Ok(account_id)
}

/// What login needs to check a password: the stored hash and the person it would sign in.
pub struct LoginRecord {
    pub person: Person,
    pub password_hash: String,
}

struct LoginRow {
    user_id: Uuid,
    password_hash: String,
    account_id: Uuid,
}

#[tracing::instrument(name = "accounts::find_login", skip_all)]
pub async fn find_login(pool: &PgPool, email: &Email) -> Result<Option<LoginRecord>, AppError> {
    let row: Option<LoginRow> = sqlx::query_as!(
        LoginRow,
        "SELECT u.id AS user_id, u.password_hash, m.account_id
           FROM users u
           JOIN memberships m ON m.user_id = u.id AND m.role = 'owner'
          WHERE u.email = $1
          ORDER BY m.created_at
          LIMIT 1",
        email.as_str(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| LoginRecord {
        person: Person {
            user_id: row.user_id,
            account_id: row.account_id,
            email: email.as_str().to_string(),
        },
        password_hash: row.password_hash,
    }))
}

#[tracing::instrument(name = "accounts::password_hash", skip(pool))]
pub async fn password_hash(pool: &PgPool, user_id: Uuid) -> Result<String, AppError> {
    sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotSignedIn)
}

/// Replaces the password hash; the change is logged on the person's own (personal) account, since a
/// password belongs to the person, not to any team they are on.
#[tracing::instrument(name = "accounts::set_password_hash", skip_all, fields(%user_id))]
pub async fn set_password_hash(
    pool: &PgPool,
    user_id: Uuid,
    hash: &str,
    ip: ClientIp,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let personal: Uuid = sqlx::query_scalar!(
        "UPDATE users u SET password_hash = $2
           FROM memberships m JOIN accounts a ON a.id = m.account_id AND a.kind = 'personal'
          WHERE u.id = $1 AND m.user_id = u.id
          RETURNING a.id",
        user_id,
        hash,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotSignedIn)?;
    audit::record(&mut tx, &Actor::person(personal, user_id, ip), Event::PasswordChanged).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the account's timezone (the usage views' days).
#[tracing::instrument(name = "accounts::set_timezone", skip(pool, tz, actor), fields(tz = tz.name()))]
pub async fn set_timezone(pool: &PgPool, actor: &Actor, tz: chrono_tz::Tz) -> Result<(), AppError> {
    let account_id = actor.account_id;
    // Under the wallet row lock, like every charge: no batch writes daily rows in the old timezone after
    // the rebuild (see the usage_daily migration).
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT FROM wallets WHERE account_id = $1 FOR UPDATE", account_id)
        .execute(&mut *tx)
        .await?;
    let changed = sqlx::query!(
        "UPDATE accounts SET timezone = $2 WHERE id = $1 AND timezone <> $2",
        account_id,
        tz.name(),
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed > 0 {
        sqlx::query!("SELECT rebuild_usage_daily($1)", account_id,).execute(&mut *tx).await?;
        let event = Event::SettingChanged { setting: "Timezone", value: tz.name().to_string() };
        audit::record(&mut tx, actor, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets (or with `None` clears) the low-balance alert threshold (logged when it changes).
#[tracing::instrument(name = "accounts::set_low_balance_threshold", skip(pool, actor))]
pub async fn set_low_balance_threshold(
    pool: &PgPool,
    actor: &Actor,
    threshold: Option<Usd>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let changed = sqlx::query!(
        "UPDATE accounts SET low_balance_threshold = $2
          WHERE id = $1 AND low_balance_threshold IS DISTINCT FROM $2",
        actor.account_id,
        threshold.map(Usd::amount),
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if changed {
        let value = threshold.map_or_else(|| "off".to_string(), |t| t.to_string());
        audit::record(&mut tx, actor, Event::SettingChanged { setting: "Low-balance alert", value }).await?;
    }
    tx.commit().await?;
    Ok(())
}
