//! The list of a person's signed-in sessions (`user_sessions`), kept beside the session store's own rows
//! (`tower_sessions.session`, docs/ARCHITECTURE.md "Sessions") so the person can end the others: Settings'
//! "Sign out other sessions", and every password change.

use sqlx::PgPool;
use tollgate_domain::error::AppError;
use uuid::Uuid;

/// The absolute lifetime of a signed-in session (docs/CONTRACT.md "Limits and account security").
pub const SESSION_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// Lists a new signed-in session under its person.
pub async fn record(pool: &PgPool, session_id: &str, user_id: Uuid) -> Result<(), AppError> {
    sqlx::query!("INSERT INTO user_sessions (session_id, user_id) VALUES ($1, $2)", session_id, user_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends every session of `user_id` but `current`, on every server at once (the store's rows are deleted);
/// how many were still live.
pub async fn end_others(pool: &PgPool, user_id: Uuid, current: &str) -> Result<u64, AppError> {
    // Checked at run time: `tower_sessions.session` is made by the session store at start-up, not by a
    // migration, so the compile-time check's database doesn't have it.
    let live: i64 = sqlx::query_scalar(
        "WITH others AS (
             DELETE FROM user_sessions WHERE user_id = $1 AND session_id <> $2
             RETURNING session_id, created_at
         ), ended AS (
             DELETE FROM tower_sessions.session s USING others
              WHERE s.id = others.session_id
             RETURNING s.expiry_date, others.created_at
         )
         SELECT count(*) FROM ended WHERE expiry_date > now() AND created_at > now() - make_interval(days => $3)",
    )
    .bind(user_id)
    .bind(current)
    .bind(SESSION_LIFETIME.num_days() as i32)
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(live).unwrap_or(0))
}

/// Forgets sessions past their lifetime, however active, and the list's rows of sessions the store already
/// ended (the maintenance pass); how many.
pub async fn forget_ended(pool: &PgPool) -> Result<u64, AppError> {
    // Checked at run time: the session store makes `tower_sessions.session` at start-up, not a migration.
    let expired = sqlx::query(
        "DELETE FROM tower_sessions.session WHERE id IN (
             SELECT session_id FROM user_sessions WHERE created_at < now() - make_interval(days => $1))",
    )
    .bind(SESSION_LIFETIME.num_days() as i32)
    .execute(pool)
    .await?
    .rows_affected();
    let ended = sqlx::query(
        "DELETE FROM user_sessions us
          WHERE NOT EXISTS (SELECT 1 FROM tower_sessions.session s WHERE s.id = us.session_id)",
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(expired + ended)
}
