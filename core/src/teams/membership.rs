//! Who a signed-in person is on the account their session acts for. The session keeps only which account
//! that is; the role and the team's settings are read here on every request, so a role change or a
//! removal holds at once, on every server (docs/ARCHITECTURE.md "Teams").

use sqlx::PgPool;
use tollgate_domain::error::AppError;
use tollgate_domain::teams::member::{Member, TeamFacts};
use tollgate_domain::teams::role::Role;
use uuid::Uuid;

struct MembershipRow {
    account_id: Uuid,
    role: Role,
    kind: String,
    name: String,
    members_can_fund: bool,
}

/// The member `user_id` (`email`) is on `account_id` — or, when that membership is gone (removed from the
/// team, the team deleted), on their personal account. A person with neither is signed out.
pub async fn resolve(
    pool: &PgPool,
    user_id: Uuid,
    email: &str,
    account_id: Uuid,
) -> Result<Member, AppError> {
    let row: Option<MembershipRow> = sqlx::query_as!(
        MembershipRow,
        r#"SELECT m.account_id, m.role AS "role: Role", a.kind, a.name, a.members_can_fund
           FROM memberships m JOIN accounts a ON a.id = m.account_id
          WHERE m.user_id = $1 AND (m.account_id = $2 OR a.kind = 'personal')
          ORDER BY (m.account_id = $2) DESC, m.created_at
          LIMIT 1"#,
        user_id,
        account_id,
    )
    .fetch_optional(pool)
    .await?;
    let row = row.ok_or(AppError::NotSignedIn)?;
    Ok(Member {
        user_id,
        email: email.to_string(),
        account_id: row.account_id,
        role: row.role,
        team: (row.kind == "team")
            .then_some(TeamFacts { name: row.name, members_can_fund: row.members_can_fund }),
    })
}
