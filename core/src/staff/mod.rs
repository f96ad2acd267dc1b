//! Tollgate's staff (docs/CONTRACT.md "Back office"): who is staff and with which role, and the staff log
//! every back-office action and every change of who is staff writes, in the transaction of the change.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::error::AppError;
use tollgate_domain::staff::StaffRole;
use uuid::Uuid;

/// How the staff log names a change made with `tollgate staff` on the server's command line.
pub const COMMAND_LINE: &str = "command line";

/// A staff member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffMember {
    pub user_id: Uuid,
    pub email: String,
    pub role: StaffRole,
    pub added_at: DateTime<Utc>,
    pub added_by: String,
}

/// What adding someone did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    New,
    /// They were staff already, with this other role.
    RoleChanged {
        from: StaffRole,
    },
    /// They were staff already, with this role: nothing changed.
    Unchanged,
}

/// Makes the person with a Tollgate login `email` staff with `role` (or changes their role), in one
/// transaction with its staff log row; `by` is who did it, as the log names them.
#[tracing::instrument(name = "staff::add", skip(pool))]
pub async fn add(pool: &PgPool, email: &Email, role: StaffRole, by: &str) -> Result<Added, AppError> {
    let mut tx = pool.begin().await?;
    let user_id = sqlx::query_scalar!("SELECT id FROM users WHERE email = $1 FOR UPDATE", email.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::StaffNeedsLogin)?;
    let before = sqlx::query_scalar!(
        r#"SELECT role AS "role: StaffRole" FROM staff WHERE user_id = $1 FOR UPDATE"#,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let added = match before {
        None => Added::New,
        Some(from) if from == role => return Ok(Added::Unchanged),
        Some(from) => Added::RoleChanged { from },
    };
    sqlx::query!(
        "INSERT INTO staff (user_id, role, added_by) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET role = EXCLUDED.role",
        user_id,
        role as StaffRole,
        by,
    )
    .execute(&mut *tx)
    .await?;
    let (action, details) = match added {
        Added::RoleChanged { from } => (
            "staff.role_changed",
            serde_json::json!({ "email": email.as_str(), "from": from.as_str(), "to": role.as_str() }),
        ),
        _ => ("staff.added", serde_json::json!({ "email": email.as_str(), "role": role.as_str() })),
    };
    log(&mut tx, by, action, None, None, details).await?;
    tx.commit().await?;
    Ok(added)
}

/// Ends `email`'s staff role; answers whether they were staff. Their login stays.
#[tracing::instrument(name = "staff::remove", skip(pool))]
pub async fn remove(pool: &PgPool, email: &Email, by: &str) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let removed = sqlx::query_scalar!(
        r#"DELETE FROM staff s USING users u WHERE u.id = s.user_id AND u.email = $1
           RETURNING s.role AS "role: StaffRole""#,
        email.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(role) = removed else {
        return Ok(false);
    };
    let details = serde_json::json!({ "email": email.as_str(), "role": role.as_str() });
    log(&mut tx, by, "staff.removed", None, None, details).await?;
    tx.commit().await?;
    Ok(true)
}

/// The person's staff role, if they have one (read on every `/admin` request: a removed person loses it at
/// once).
pub async fn role_of(pool: &PgPool, user_id: Uuid) -> Result<Option<StaffRole>, AppError> {
    Ok(sqlx::query_scalar!(r#"SELECT role AS "role: StaffRole" FROM staff WHERE user_id = $1"#, user_id)
        .fetch_optional(pool)
        .await?)
}

/// Everyone who is staff, by email.
pub async fn list(pool: &PgPool) -> Result<Vec<StaffMember>, AppError> {
    Ok(sqlx::query_as!(
        StaffMember,
        r#"SELECT s.user_id, u.email, s.role AS "role: StaffRole", s.added_at AS "added_at: _", s.added_by
             FROM staff s JOIN users u ON u.id = s.user_id ORDER BY u.email"#
    )
    .fetch_all(pool)
    .await?)
}

/// Appends a row to the staff log in the caller's transaction: `actor` did `action` (`area.verb`), on
/// `account_id` if any, for `reason`, with what it changed in `details`.
pub async fn log(
    conn: &mut PgConnection,
    actor: &str,
    action: &str,
    account_id: Option<Uuid>,
    reason: Option<&str>,
    details: Value,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO staff_log (actor, action, account_id, reason, details) VALUES ($1, $2, $3, $4, $5)",
        actor,
        action,
        account_id,
        reason,
        details,
    )
    .execute(conn)
    .await?;
    Ok(())
}
