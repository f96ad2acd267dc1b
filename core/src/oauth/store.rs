//! Chat connections in PostgreSQL: registered apps, authorization codes and tokens. Every secret is kept
//! as its SHA-256 only (`keys::secret::sha256`), every state change is one conditional statement, so a
//! code or refresh token is used once even when two requests race, on one server or several.

use crate::audit::{self, Actor, Channel, Event};
use crate::keys::db as keys_db;
use crate::keys::secret::sha256;
use crate::random::random_hex;
use sqlx::{PgConnection, PgPool};
use tollgate_domain::error::AppError;
use tollgate_domain::keys::settings::{KeySettings, KeyStatus};
use tollgate_domain::oauth::authorize_request::{AuthorizeRequest, ChatApp};
use tollgate_domain::oauth::pkce::CodeChallenge;
use tollgate_domain::oauth::registration::{ClientAuthentication, ClientRegistration};
use uuid::Uuid;

/// How long an access token works: short, so a leaked one soon stops working (the refresh token renews it).
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
const REFRESH_TOKEN_DAYS: i32 = 30;
/// How an access token starts: `/mcp` tells it from a spend key (`tg_sk_`) by this.
pub const ACCESS_TOKEN_PREFIX: &str = "tg_at_";
const CODE_SECONDS: i32 = 300;

/// What a registration answers: the new client's id, and its secret when it is a confidential client (shown
/// in this answer only).
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: Option<String>,
}

pub async fn register(
    pool: &PgPool,
    registration: &ClientRegistration,
) -> Result<RegisteredClient, AppError> {
    let client_id = format!("tgc_{}", random_hex(16));
    let client_secret = (registration.authentication != ClientAuthentication::None)
        .then(|| format!("tgcs_{}", random_hex(24)));
    let uris: Vec<&str> = registration.redirect_uris.iter().map(|u| u.as_str()).collect();
    let method: &'static str = registration.authentication.into();
    sqlx::query!(
        "INSERT INTO oauth_clients (client_id, client_secret_sha256, client_name, redirect_uris, token_endpoint_auth_method)
         VALUES ($1, $2, $3, $4, $5)",
        client_id,
        client_secret.as_deref().map(|s| sha256(s).to_vec()),
        registration.client_name,
        &uris[..] as &[&str],
        method,
    )
    .execute(pool)
    .await?;
    Ok(RegisteredClient { client_id, client_secret })
}

/// The registered app `client_id` names, if any.
pub async fn chat_app(pool: &PgPool, client_id: &str) -> Result<Option<ChatApp>, AppError> {
    if client_id.len() > 64 {
        return Ok(None);
    }
    Ok(sqlx::query_as!(
        ChatApp,
        "SELECT client_id, client_name, redirect_uris FROM oauth_clients WHERE client_id = $1",
        client_id,
    )
    .fetch_optional(pool)
    .await?)
}

/// Whether `user_id` has connected `client_id` before (allowed it on the consent page, on any account):
/// such an app may be sent its errors without the person seeing them.
pub async fn has_connected(pool: &PgPool, user_id: Uuid, client_id: &str) -> Result<bool, AppError> {
    keys_db::has_connection_of(pool, user_id, client_id).await
}

/// Whether `client_id` with `secret` (if it sent one) is a registered client that proved itself as it
/// registered to: public clients send no secret, confidential ones their secret.
pub async fn client_is_authentic(
    pool: &PgPool,
    client_id: &str,
    secret: Option<&str>,
) -> Result<bool, AppError> {
    if client_id.len() > 64 {
        return Ok(false);
    }
    let stored: Option<Option<Vec<u8>>> = sqlx::query_scalar!(
        "SELECT client_secret_sha256 FROM oauth_clients WHERE client_id = $1",
        client_id,
    )
    .fetch_optional(pool)
    .await?;
    Ok(match (stored, secret) {
        (Some(None), None) => true,
        (Some(Some(hash)), Some(secret)) => hash == sha256(secret),
        _ => false,
    })
}

/// The person allowed the app: a spend key for the connection (named after the app, with the limits the
/// person chose) and a single-use code for the app, in one transaction. Answers the code.
pub async fn connect(
    pool: &PgPool,
    actor: &Actor,
    request: &AuthorizeRequest,
    settings: &KeySettings,
) -> Result<String, AppError> {
    let (account_id, made_by) = (
        actor.account_id,
        actor.user_id.ok_or_else(|| AppError::bug("a chat connection made by no person"))?,
    );
    let mut tx = pool.begin().await?;
    let (key_id, _secret) =
        keys_db::insert(&mut tx, account_id, made_by, settings, Some(&request.app.client_id)).await?;
    audit::record(&mut tx, actor, Event::ConnectionCreated { app: &request.app.client_name }).await?;
    let code = format!("tg_ac_{}", random_hex(24));
    sqlx::query!(
        "INSERT INTO oauth_codes (code_sha256, account_id, client_id, spend_key_id, redirect_uri, code_challenge, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))",
        &sha256(&code)[..],
        account_id,
        request.app.client_id,
        key_id,
        request.redirect_uri.as_str(),
        request.code_challenge.as_str(),
        f64::from(CODE_SECONDS),
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// A new access token and the refresh token that renews it.
#[derive(Debug)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
}

/// Why a grant was refused (`invalid_grant`, RFC 6749 §5.2), in words for the app's developer.
#[derive(Debug)]
pub enum GrantError {
    Invalid(&'static str),
    App(AppError),
}

impl From<AppError> for GrantError {
    fn from(err: AppError) -> GrantError {
        GrantError::App(err)
    }
}

impl From<sqlx::Error> for GrantError {
    fn from(err: sqlx::Error) -> GrantError {
        GrantError::App(err.into())
    }
}

/// The code's grant, exchanged for tokens once. A code presented again revokes what it was exchanged for
/// (someone else has it). Any mismatch still uses the code up.
pub async fn redeem_code(
    pool: &PgPool,
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<TokenPair, GrantError> {
    let mut tx = pool.begin().await?;
    let used = sqlx::query!(
        r#"UPDATE oauth_codes SET used_at = now() WHERE code_sha256 = $1 AND used_at IS NULL
           RETURNING account_id, client_id, spend_key_id, redirect_uri, code_challenge,
                     expires_at > now() AS "fresh!""#,
        &sha256(code)[..],
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|u| (u.account_id, u.client_id, u.spend_key_id, u.redirect_uri, u.code_challenge, u.fresh));
    let Some((account_id, code_client, key_id, code_redirect, challenge, fresh)) = used else {
        let replayed: Option<Uuid> = sqlx::query_scalar!(
            "SELECT spend_key_id FROM oauth_codes WHERE code_sha256 = $1",
            &sha256(code)[..],
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(key_id) = replayed {
            end_connection(&mut tx, key_id).await?;
            tx.commit().await?;
            return Err(GrantError::Invalid("this code was already used; the tokens it gave are revoked"));
        }
        return Err(GrantError::Invalid("unknown code"));
    };
    let refusal = if code_client != client_id {
        Some("the code was issued to another client")
    } else if !fresh {
        Some("the code has expired")
    } else if code_redirect != redirect_uri {
        Some("redirect_uri differs from the authorization request's")
    } else if !CodeChallenge::parse(&challenge).is_some_and(|c| c.is_answered_by(verifier)) {
        Some("code_verifier does not match the code_challenge")
    } else {
        None
    };
    if let Some(refusal) = refusal {
        tx.commit().await?; // the code stays used
        return Err(GrantError::Invalid(refusal));
    }
    ensure_connection_open(&mut tx, key_id).await?;
    let pair = issue(&mut tx, account_id, client_id, key_id).await?;
    tx.commit().await?;
    Ok(pair)
}

/// A refresh token exchanged for a new pair (rotation: it works once). A used one presented again revokes
/// every token of the connection — the app and a thief can't both keep going.
pub async fn refresh(pool: &PgPool, client_id: &str, refresh_token: &str) -> Result<TokenPair, GrantError> {
    let mut tx = pool.begin().await?;
    let rotated = sqlx::query!(
        "UPDATE oauth_tokens SET used_at = now()
          WHERE token_sha256 = $1 AND kind = 'refresh' AND client_id = $2
            AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
         RETURNING account_id, spend_key_id",
        &sha256(refresh_token)[..],
        client_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| (r.account_id, r.spend_key_id));
    let Some((account_id, key_id)) = rotated else {
        let reused: Option<Uuid> = sqlx::query_scalar!(
            "SELECT spend_key_id FROM oauth_tokens
              WHERE token_sha256 = $1 AND kind = 'refresh' AND client_id = $2 AND used_at IS NOT NULL",
            &sha256(refresh_token)[..],
            client_id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(key_id) = reused {
            end_connection(&mut tx, key_id).await?;
            tx.commit().await?;
            return Err(GrantError::Invalid(
                "this refresh token was already used; the connection's tokens are revoked",
            ));
        }
        return Err(GrantError::Invalid("unknown, expired or revoked refresh token"));
    };
    ensure_connection_open(&mut tx, key_id).await?;
    let pair = issue(&mut tx, account_id, client_id, key_id).await?;
    tx.commit().await?;
    Ok(pair)
}

/// RFC 7009 revocation by the app that holds `token`. A refresh token ends the connection (its key is
/// revoked, so the Keys page shows it); an access token just stops working. Unknown tokens are ignored.
pub async fn revoke(pool: &PgPool, client_id: &str, token: &str) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let found = sqlx::query!(
        "UPDATE oauth_tokens SET revoked_at = COALESCE(revoked_at, now())
          WHERE token_sha256 = $1 AND client_id = $2 RETURNING kind, spend_key_id",
        &sha256(token)[..],
        client_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(found) = found {
        if found.kind == "refresh" {
            end_connection(&mut tx, found.spend_key_id).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The connection (spend key) an access token stands for, while the token is unexpired and unrevoked.
pub async fn key_of_access_token(pool: &PgPool, token: &str) -> Result<Uuid, AppError> {
    if token.len() > 128 {
        return Err(AppError::UnknownSpendKey);
    }
    sqlx::query_scalar!(
        "SELECT spend_key_id FROM oauth_tokens
          WHERE token_sha256 = $1 AND kind = 'access' AND revoked_at IS NULL AND expires_at > now()",
        &sha256(token)[..],
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::UnknownSpendKey)
}

async fn issue(
    tx: &mut PgConnection,
    account_id: Uuid,
    client_id: &str,
    key_id: Uuid,
) -> Result<TokenPair, AppError> {
    let pair = TokenPair {
        access_token: format!("{ACCESS_TOKEN_PREFIX}{}", random_hex(24)),
        refresh_token: format!("tg_rt_{}", random_hex(24)),
    };
    sqlx::query!(
        "INSERT INTO oauth_tokens (token_sha256, kind, account_id, client_id, spend_key_id, expires_at) VALUES
            ($1, 'access', $3, $4, $5, now() + make_interval(secs => $6)),
            ($2, 'refresh', $3, $4, $5, now() + make_interval(days => $7))",
        &sha256(&pair.access_token)[..],
        &sha256(&pair.refresh_token)[..],
        account_id,
        client_id,
        key_id,
        ACCESS_TOKEN_SECONDS as f64,
        REFRESH_TOKEN_DAYS,
    )
    .execute(&mut *tx)
    .await?;
    Ok(pair)
}

/// A revoked connection gets no new tokens (a paused one does: pausing is temporary, and `/mcp` refuses
/// its calls while paused).
async fn ensure_connection_open(tx: &mut PgConnection, key_id: Uuid) -> Result<(), GrantError> {
    match keys_db::status_held(tx, key_id).await? {
        Some(KeyStatus::Active | KeyStatus::Paused) => Ok(()),
        _ => Err(GrantError::Invalid("the connection was revoked on the Keys page")),
    }
}

/// Ends a connection: its tokens stop working and its key shows as revoked on the Keys page. (A replayed
/// code or refresh token means someone else has it, so the connection can't be trusted any more; the
/// person connects the app again.)
async fn end_connection(tx: &mut PgConnection, key_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE oauth_tokens SET revoked_at = now() WHERE spend_key_id = $1 AND revoked_at IS NULL",
        key_id,
    )
    .execute(&mut *tx)
    .await?;
    if let Some(ended) = keys_db::revoke(tx, key_id).await? {
        let (account_id, made_by, name) = (ended.account_id, ended.made_by, ended.name);
        // Ended by the app (or by a replayed code or token): the connection itself acted.
        let actor = Actor {
            account_id,
            user_id: Some(made_by),
            key_id: Some(key_id),
            channel: Channel::Chat,
            ip: None,
        };
        audit::record(tx, &actor, Event::ConnectionRevoked { app: &name }).await?;
    }
    Ok(())
}

/// In a team deletion's transaction: every token of the account's chat connections stops working.
pub async fn revoke_all_of_account(conn: &mut PgConnection, account_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE oauth_tokens SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL",
        account_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets codes and tokens a day past their expiry (the day's grace keeps a replayed code detectable),
/// and apps no person connected within a day of registering — anyone may register, so unused
/// registrations would otherwise pile up without bound (the maintenance pass); how many.
pub async fn forget_expired(pool: &PgPool) -> Result<u64, AppError> {
    let codes = sqlx::query!("DELETE FROM oauth_codes WHERE expires_at < now() - interval '1 day'")
        .execute(pool)
        .await?
        .rows_affected();
    let tokens = sqlx::query!("DELETE FROM oauth_tokens WHERE expires_at < now() - interval '1 day'")
        .execute(pool)
        .await?
        .rows_affected();
    let clients = sqlx::query!(
        "DELETE FROM oauth_clients c WHERE c.created_at < now() - interval '24 hours'
           AND NOT EXISTS (SELECT 1 FROM spend_keys k WHERE k.oauth_client_id = c.client_id)"
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(codes + tokens + clients)
}
