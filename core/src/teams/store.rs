//! Teams in Postgres: creating one, its members and invite links, role changes, budgets and removals.
//! Every change of who belongs takes the account's wallet and membership rows `FOR UPDATE` first, so two
//! Admins acting at once (on one server or several) can't both remove the last Owner.

use crate::accounts::store::{insert_account, AccountKind};
use crate::audit::{self, Actor, Event};
use crate::client_ip::ClientIp;
use crate::keys::db as keys_db;
use crate::oauth::store as oauth_store;
use crate::payments::auto_top_up::settings as auto_top_up_settings;
use crate::payments::{attempt_store, card_store, checkout_session};
use crate::random::random_hex;
use crate::webhooks::{store as webhooks_store, store::MakerGone};
use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::teams::member::Member;
use tollgate_domain::teams::role::{Action, Role};
use tollgate_domain::teams::view::{
    AccountChoice, CreatedInvite, InvitePreview, MemberRow, MonthlyBudget, PendingInvite, TeamName, TeamView,
};
use tollgate_domain::utc::shown_utc;
use uuid::Uuid;

/// Teams one person may have made and not deleted: each is a wallet and a ledger, so there is a bound.
pub const MAX_TEAMS_MADE: i64 = 20;

/// How long an invite link can be used.
pub const INVITE_LIFETIME: TimeDelta = TimeDelta::days(7);

/// The accounts `user_id` may act for: their personal one first, then their teams by name.
pub async fn accounts_of(pool: &PgPool, user_id: Uuid) -> Result<Vec<AccountChoice>, AppError> {
    let rows = sqlx::query!(
        "SELECT a.id, a.kind, a.name FROM memberships m JOIN accounts a ON a.id = m.account_id
          WHERE m.user_id = $1
          ORDER BY a.kind = 'team', lower(a.name), a.id",
        user_id,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let is_team = row.kind == "team";
            let label = if is_team { row.name } else { "Personal".to_string() };
            AccountChoice { id: row.id, label, is_team }
        })
        .collect())
}

/// Whether `user_id` belongs to `account_id` (before a session switches to it).
pub async fn is_member(pool: &PgPool, account_id: Uuid, user_id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM memberships WHERE account_id = $1 AND user_id = $2) AS "exists!""#,
        account_id,
        user_id,
    )
    .fetch_one(pool)
    .await?)
}

/// A new team with its empty wallet, `owner` its Owner — at most [`MAX_TEAMS_MADE`] of theirs at once.
#[tracing::instrument(name = "teams::create", skip(pool, name, owner))]
pub async fn create_team(
    pool: &PgPool,
    owner: &Member,
    ip: ClientIp,
    name: &TeamName,
) -> Result<Uuid, AppError> {
    let mut tx = pool.begin().await?;
    // One person's team creations one at a time, so the count below holds.
    sqlx::query!("SELECT FROM users WHERE id = $1 FOR NO KEY UPDATE", owner.user_id)
        .execute(&mut *tx)
        .await?;
    let made: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM accounts WHERE created_by = $1 AND kind = 'team' AND deleted_at IS NULL"#,
        owner.user_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    if made >= MAX_TEAMS_MADE {
        return Err(AppError::TooManyTeams);
    }
    let account_id = insert_account(&mut tx, name.as_str(), AccountKind::Team, owner.user_id).await?;
    let actor = Actor { account_id, ..Actor::member(owner, ip) };
    audit::record(&mut tx, &actor, Event::TeamCreated { name: name.as_str() }).await?;
    tx.commit().await?;
    Ok(account_id)
}

struct MemberDbRow {
    user_id: Uuid,
    email: String,
    role: Role,
    created_at: DateTime<Utc>,
    spend_this_month: Decimal,
    monthly_budget: Option<Decimal>,
}

/// The team page: its members (Owners first) with what each spent this month, and its pending invites.
pub async fn team_view(pool: &PgPool, account_id: Uuid) -> Result<TeamView, AppError> {
    let team = sqlx::query!(
        "SELECT name, members_can_fund FROM accounts WHERE id = $1 AND kind = 'team'",
        account_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let (name, members_can_fund) = (team.name, team.members_can_fund);
    let members: Vec<MemberDbRow> = sqlx::query_as!(
        MemberDbRow,
        r#"SELECT m.user_id, u.email, m.role AS "role: Role", m.created_at AS "created_at: _", m.monthly_budget,
                CASE WHEN m.budget_month = date_trunc('month', now() AT TIME ZONE 'UTC')::date
                     THEN m.month_spend ELSE 0 END AS "spend_this_month!"
           FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.account_id = $1
          ORDER BY array_position(ARRAY['owner', 'admin', 'member'], m.role), m.created_at"#,
        account_id,
    )
    .fetch_all(pool)
    .await?;
    let invites = sqlx::query!(
        r#"SELECT i.id, i.role AS "role: Role", u.email, i.expires_at AS "expires_at: DateTime<Utc>"
             FROM team_invitations i JOIN users u ON u.id = i.created_by
            WHERE i.account_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
            ORDER BY i.created_at DESC"#,
        account_id,
    )
    .fetch_all(pool)
    .await?;
    Ok(TeamView {
        name,
        members_can_fund,
        members: members
            .into_iter()
            .map(|m| MemberRow {
                user_id: m.user_id,
                email: m.email,
                role: m.role,
                joined: m.created_at.format("%b %-d, %Y").to_string(),
                spend_this_month: Usd::new(m.spend_this_month),
                monthly_budget: m.monthly_budget.map(Usd::new),
            })
            .collect(),
        invites: invites
            .into_iter()
            .map(|invite| PendingInvite {
                id: invite.id,
                role: invite.role,
                created_by: invite.email,
                expires: shown_utc(invite.expires_at),
            })
            .collect(),
    })
}

/// "Members can add funds" and "Save" (logged when it changes).
pub async fn set_members_can_fund(pool: &PgPool, actor: &Actor, on: bool) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let changed = sqlx::query!(
        "UPDATE accounts SET members_can_fund = $2 WHERE id = $1 AND kind = 'team' AND members_can_fund <> $2",
        actor.account_id,
        on,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if changed {
        let value = if on { "on" } else { "off" }.to_string();
        audit::record(&mut tx, actor, Event::SettingChanged { setting: "Members can add funds", value })
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A single-use invite link for `role`, valid [`INVITE_LIFETIME`]; only its token's hash is kept.
pub async fn create_invite(pool: &PgPool, by: &Actor, role: Role) -> Result<CreatedInvite, AppError> {
    if !Role::INVITABLE.contains(&role) {
        return Err(AppError::RoleInvalid);
    }
    let token = random_hex(24);
    let mut tx = pool.begin().await?;
    let expires_at: DateTime<Utc> = sqlx::query_scalar!(
        r#"INSERT INTO team_invitations (account_id, token_sha256, role, created_by, expires_at)
         SELECT $1, $2, $3, $4, now() + make_interval(days => $5)
           FROM accounts WHERE id = $1 AND kind = 'team'
         RETURNING expires_at AS "expires_at: DateTime<Utc>""#,
        by.account_id,
        &token_hash(&token)[..],
        role as Role,
        by.user_id,
        INVITE_LIFETIME.num_days() as i32,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    audit::record(&mut tx, by, Event::MemberInvited { role: role.label() }).await?;
    tx.commit().await?;
    let path = format!("/invite/{token}");
    Ok(CreatedInvite { url: path.clone(), path, role, expires: shown_utc(expires_at) })
}

/// "Revoke" on a pending invite of this team.
pub async fn revoke_invite(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let revoked: Option<Role> = sqlx::query_scalar!(
        r#"UPDATE team_invitations SET revoked_at = now()
          WHERE id = $1 AND account_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL
          RETURNING role AS "role: Role""#,
        id,
        actor.account_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(role) = revoked {
        audit::record(&mut tx, actor, Event::InviteRevoked { role: role.label() }).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]

struct InviteRow {
    id: Uuid,
    account_id: Uuid,
    team_name: String,
    role: Role,
    expired: bool,
    accepted: bool,
    revoked: bool,
    /// The role its maker has on the team now (`None`: they left it).
    maker_role: Option<Role>,
}

impl InviteRow {
    fn unusable(&self) -> Option<AppError> {
        let maker_may_invite = self.maker_role.is_some_and(|role| role.may(Action::ManageMembers, false));
        if self.accepted {
            Some(AppError::InviteUsed)
        } else if self.revoked || !maker_may_invite {
            Some(AppError::InviteRevoked)
        } else if self.expired {
            Some(AppError::InviteExpired)
        } else {
            None
        }
    }
}

async fn find_invite(conn: &mut PgConnection, token: &str, lock: bool) -> Result<InviteRow, AppError> {
    if token.len() != 48 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::InviteUnknown);
    }
    let sql = format!(
        "SELECT i.id, i.account_id, a.name AS team_name, i.role, i.expires_at <= now() AS expired,
                i.accepted_at IS NOT NULL AS accepted, i.revoked_at IS NOT NULL AS revoked,
                (SELECT m.role FROM memberships m WHERE m.account_id = i.account_id AND m.user_id = i.created_by)
                  AS maker_role
           FROM team_invitations i JOIN accounts a ON a.id = i.account_id
          WHERE i.token_sha256 = $1 {}",
        if lock { "FOR UPDATE OF i" } else { "" }
    );
    sqlx::query_as(&sql)
        .bind(&token_hash(token)[..])
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::InviteUnknown)
}

/// What an invite link offers (the invite page, before "Accept").
pub async fn preview_invite(pool: &PgPool, token: &str) -> Result<InvitePreview, AppError> {
    let invite = find_invite(&mut *pool.acquire().await?, token, false).await?;
    Ok(InvitePreview { unusable: invite.unusable(), team_name: invite.team_name, role: invite.role })
}

/// "Accept": `user_id` joins the team with the invite's role and the link is used up — once, however
/// often it is pressed (the row is locked). Someone already on the team keeps their role and the link
/// stays usable for the person it was meant for. Answers the team's account.
#[tracing::instrument(name = "teams::accept_invite", skip(pool, token, joining))]
pub async fn accept_invite(
    pool: &PgPool,
    token: &str,
    joining: &Member,
    ip: ClientIp,
) -> Result<Uuid, AppError> {
    let user_id = joining.user_id;
    let mut tx = pool.begin().await?;
    let invite = find_invite(&mut tx, token, true).await?;
    if let Some(problem) = invite.unusable() {
        return Err(problem);
    }
    let joined = sqlx::query!(
        "INSERT INTO memberships (account_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        invite.account_id,
        user_id,
        invite.role as Role,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if joined {
        sqlx::query!(
            "UPDATE team_invitations SET accepted_by = $2, accepted_at = now() WHERE id = $1",
            invite.id,
            user_id,
        )
        .execute(&mut *tx)
        .await?;
        let actor = Actor { account_id: invite.account_id, ..Actor::member(joining, ip) };
        let event = Event::MemberJoined { email: &joining.email, role: invite.role.label() };
        audit::record(&mut tx, &actor, event).await?;
    }
    tx.commit().await?;
    Ok(invite.account_id)
}

/// Locks the team's wallet, then its memberships, and answers each member's role (the caller decides under
/// that lock). The wallet first, in the order a charge takes its locks (wallet, keys, the key makers'
/// memberships): a removal revokes keys a charge may hold, and two orders would deadlock.
async fn lock_members(conn: &mut PgConnection, account_id: Uuid) -> Result<Vec<LockedMember>, AppError> {
    sqlx::query!("SELECT FROM wallets WHERE account_id = $1 FOR UPDATE", account_id)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_as!(
        LockedMember,
        r#"SELECT m.user_id, m.role AS "role: Role", u.email
             FROM memberships m JOIN accounts a ON a.id = m.account_id AND a.kind = 'team'
             JOIN users u ON u.id = m.user_id
            WHERE m.account_id = $1 ORDER BY m.user_id FOR UPDATE OF m"#,
        account_id,
    )
    .fetch_all(conn)
    .await?)
}

/// A member of a team, held by [`lock_members`].
struct LockedMember {
    user_id: Uuid,
    role: Role,
    email: String,
}

/// `actor` as the lock found them: their role read under the lock, not before it (two Admins removing each
/// other at once: the second finds itself gone). No longer on the team: not permitted.
fn locked_actor(members: &[LockedMember], actor: &Member) -> Result<Member, AppError> {
    let locked = find_member(members, actor.user_id).map_err(|_| AppError::NotPermitted)?;
    Ok(Member { role: locked.role, ..actor.clone() })
}

/// In the transaction that removes `target` or takes away their right to manage members: the pending
/// invite links they made are revoked and the webhook endpoints they added stop (docs/CONTRACT.md "Teams").
async fn end_what_they_made(
    conn: &mut PgConnection,
    actor: &Actor,
    target: Uuid,
    why: MakerGone,
) -> Result<(), AppError> {
    let revoked: Vec<Role> = sqlx::query_scalar!(
        r#"UPDATE team_invitations SET revoked_at = now()
          WHERE account_id = $1 AND created_by = $2 AND accepted_at IS NULL AND revoked_at IS NULL
         RETURNING role AS "role: Role""#,
        actor.account_id,
        target,
    )
    .fetch_all(&mut *conn)
    .await?;
    for role in revoked {
        audit::record(conn, actor, Event::InviteRevoked { role: role.label() }).await?;
    }
    webhooks_store::disable_endpoints_of(conn, actor, target, why).await
}

/// The member `target` among `members`.
fn find_member(members: &[LockedMember], target: Uuid) -> Result<&LockedMember, AppError> {
    members.iter().find(|m| m.user_id == target).ok_or(AppError::NotFound)
}

/// May `actor` touch `target` (currently `current`, becoming `next`: `None` for a removal)? Owners are
/// only made, changed or removed by an Owner; everyone else by an Admin or Owner; anyone may leave.
fn check_change(actor: &Member, target: Uuid, current: Role, next: Option<Role>) -> Result<(), AppError> {
    let leaving = target == actor.user_id && next.is_none();
    if leaving {
        return Ok(());
    }
    let touches_owner = current == Role::Owner || next == Some(Role::Owner);
    actor.require(if touches_owner { Action::ManageOwners } else { Action::ManageMembers })
}

/// "Change role". The last Owner can't be demoted.
#[tracing::instrument(name = "teams::change_role", skip(pool, actor), fields(account_id = %actor.account_id))]
pub async fn change_role(
    pool: &PgPool,
    actor: &Member,
    ip: ClientIp,
    target: Uuid,
    role: Role,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let members = lock_members(&mut tx, actor.account_id).await?;
    let actor = &locked_actor(&members, actor)?;
    let changed = find_member(&members, target)?;
    let current = changed.role;
    check_change(actor, target, current, Some(role))?;
    let owners_after = members.iter().filter(|m| m.role == Role::Owner && m.user_id != target).count()
        + usize::from(role == Role::Owner);
    if owners_after == 0 {
        return Err(AppError::LastOwner);
    }
    sqlx::query!(
        "UPDATE memberships SET role = $3 WHERE account_id = $1 AND user_id = $2",
        actor.account_id,
        target,
        role as Role,
    )
    .execute(&mut *tx)
    .await?;
    if role != current {
        let event = Event::RoleChanged { email: &changed.email, from: current.label(), to: role.label() };
        audit::record(&mut tx, &Actor::member(actor, ip), event).await?;
    }
    if !role.may(Action::ManageMembers, false) {
        end_what_they_made(&mut tx, &Actor::member(actor, ip), target, MakerGone::RoleChanged).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A member's "Monthly budget" (`None`: no limit). Owners' budgets are an Owner's to set.
#[tracing::instrument(name = "teams::set_budget", skip(pool, actor), fields(account_id = %actor.account_id))]
pub async fn set_budget(
    pool: &PgPool,
    actor: &Member,
    ip: ClientIp,
    target: Uuid,
    budget: Option<MonthlyBudget>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let members = lock_members(&mut tx, actor.account_id).await?;
    let actor = &locked_actor(&members, actor)?;
    let changed = find_member(&members, target)?;
    actor.require(if changed.role == Role::Owner { Action::ManageOwners } else { Action::ManageMembers })?;
    let updated = sqlx::query!(
        "UPDATE memberships SET monthly_budget = $3
          WHERE account_id = $1 AND user_id = $2 AND monthly_budget IS DISTINCT FROM $3",
        actor.account_id,
        target,
        budget.map(|b| b.usd().amount()),
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if updated {
        let event = Event::BudgetChanged { email: &changed.email, budget: budget.map(|b| b.usd()) };
        audit::record(&mut tx, &Actor::member(actor, ip), event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// "Remove" (or leaving): the membership ends and, in the same transaction, every key and chat connection
/// the member made on this team is revoked — a batch of their calls queued meanwhile finds the key
/// revoked when it locks it — as are the invite links they made; the webhook endpoints they added stop
/// and the cards they saved are removed. Their past usage stays. The last Owner can't go.
#[tracing::instrument(name = "teams::remove_member", skip(pool, actor), fields(account_id = %actor.account_id))]
pub async fn remove_member(
    pool: &PgPool,
    actor: &Member,
    ip: ClientIp,
    target: Uuid,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let members = lock_members(&mut tx, actor.account_id).await?;
    let actor = &locked_actor(&members, actor)?;
    let leaving = find_member(&members, target)?;
    let current = leaving.role;
    check_change(actor, target, current, None)?;
    if current == Role::Owner && members.iter().filter(|m| m.role == Role::Owner).count() == 1 {
        return Err(AppError::LastOwner);
    }
    keys_db::revoke_all_made_by(&mut tx, actor.account_id, target).await?;
    sqlx::query!("DELETE FROM memberships WHERE account_id = $1 AND user_id = $2", actor.account_id, target)
        .execute(&mut *tx)
        .await?;
    let email = leaving.email.as_str();
    let event =
        if target == actor.user_id { Event::MemberLeft { email } } else { Event::MemberRemoved { email } };
    let audit_actor = Actor::member(actor, ip);
    audit::record(&mut tx, &audit_actor, event).await?;
    end_what_they_made(&mut tx, &audit_actor, target, MakerGone::LeftTheTeam).await?;
    card_store::remove_cards_saved_by(&mut tx, &audit_actor, target).await?;
    tx.commit().await?;
    Ok(())
}

/// "Delete team": an Owner, typing the team's name. Refused while its wallet holds money or a top-up is
/// in progress (the money would have nowhere to go). In one transaction, under the wallet lock a charge
/// takes: open checkout links expire, every key and chat connection is revoked (and its tokens), pending
/// invites are revoked, saved cards removed (and auto top-up turned off) and every membership ended — so
/// members' sessions fall back to their personal accounts — and the account is marked deleted. Its ledger,
/// calls and audit log stay.
#[tracing::instrument(name = "teams::delete_team", skip(pool, actor, typed_name), fields(account_id = %actor.account_id))]
pub async fn delete_team(
    pool: &PgPool,
    actor: &Member,
    ip: ClientIp,
    typed_name: &str,
) -> Result<(), AppError> {
    actor.require(Action::ManageOwners)?;
    let account_id = actor.account_id;
    let mut tx = pool.begin().await?;
    // The wallet (as a charge locks it), then the account row a top-up's claim locks: a claim waiting
    // here finds the team deleted, and one that got in first is a pending attempt seen below.
    let team = sqlx::query!(
        "SELECT a.name, w.balance FROM accounts a JOIN wallets w ON w.account_id = a.id
          WHERE a.id = $1 AND a.kind = 'team' AND a.deleted_at IS NULL
            FOR UPDATE OF w FOR NO KEY UPDATE OF a",
        account_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let (name, balance) = (team.name, team.balance);
    if typed_name.trim() != name {
        return Err(AppError::DeleteConfirmationInvalid);
    }
    // Still an Owner, now that no role can change.
    let members = lock_members(&mut tx, account_id).await?;
    if find_member(&members, actor.user_id)?.role != Role::Owner {
        return Err(AppError::NotPermitted);
    }
    // Checkout links first: a page claiming one waits for this, then finds it expired.
    checkout_session::expire_all_of_account(&mut tx, account_id).await?;
    let charging = attempt_store::has_pending(&mut tx, account_id).await?;
    if balance > Decimal::ZERO || charging {
        return Err(AppError::TeamHasBalance);
    }
    // Everything of the team stops with it, each through its own storage.
    oauth_store::revoke_all_of_account(&mut tx, account_id).await?;
    keys_db::revoke_all_of_account(&mut tx, account_id).await?;
    sqlx::query!(
        "UPDATE team_invitations SET revoked_at = now()
          WHERE account_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL",
        account_id,
    )
    .execute(&mut *tx)
    .await?;
    card_store::remove_all_of_account(&mut tx, account_id).await?;
    auto_top_up_settings::turn_off_for_deleted_account(&mut tx, account_id).await?;
    sqlx::query!("DELETE FROM memberships WHERE account_id = $1", account_id).execute(&mut *tx).await?;
    sqlx::query!("UPDATE accounts SET deleted_at = now() WHERE id = $1", account_id)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, &Actor::member(actor, ip), Event::TeamDeleted { name: &name }).await?;
    tx.commit().await?;
    Ok(())
}

/// Forgets unused invite links a week past their expiry: they have said "expired" long enough (the
/// maintenance pass); how many.
pub async fn forget_expired_invites(pool: &PgPool) -> Result<u64, AppError> {
    Ok(sqlx::query!(
        "DELETE FROM team_invitations WHERE accepted_at IS NULL AND expires_at < now() - interval '7 days'"
    )
    .execute(pool)
    .await?
    .rows_affected())
}
