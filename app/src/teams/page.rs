//! `/dashboard/team`: labels and buttons are docs/CONTRACT.md's ("Teams"). On a personal account it
//! creates a team; on a team it lists the members (role, joined, spend this month) with "Change role" and
//! "Remove", makes and revokes invite links, and holds "Members can add funds". Buttons a role may not
//! use are not shown, and the server refuses them anyway.

use super::server_fns::{
    get_team_page, ChangeRole, CreateTeam, DeleteTeam, RemoveMember, RevokeInvite, SaveTeamSettings,
    SetMemberBudget, TeamPage,
};
use crate::ui::form_error::{url_error, ErrorMessage, FormError};
use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use strum::IntoEnumIterator;
use tollgate_domain::teams::member::Member;
use tollgate_domain::teams::role::{Action, Role};
use tollgate_domain::teams::view::{CreatedInvite, MemberRow, PendingInvite, TeamView};

fn done_message(done: Option<String>) -> Option<&'static str> {
    Some(match done.as_deref()? {
        "settings_saved" => "Team settings saved.",
        "invite_revoked" => "Invite link revoked.",
        "role_changed" => "Role changed.",
        "budget_set" => "Monthly budget saved.",
        "member_removed" => "Member removed. Their keys and chat connections were revoked.",
        "team_deleted" => "Team deleted. You are back on your personal account.",
        _ => return None,
    })
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let page = Resource::new(|| (), |_| get_team_page());
    let query = use_query_map();
    let done = Signal::derive(move || done_message(query.read().get("done")));
    let error = url_error();
    let error_message = Signal::derive(move || error.get().map(|e| e.message()));
    // The invite link a form post just made (server/src/channels/pages/invite_form.rs): in that one response
    // only.
    #[cfg(feature = "ssr")]
    let created = use_context::<super::server_fns::JustCreatedInvite>().map(|c| c.0);
    #[cfg(not(feature = "ssr"))]
    let created: Option<CreatedInvite> = None;
    let created = Resource::new(
        || (),
        move |_| {
            let created = created.clone();
            async move { created }
        },
    );
    view! {
        <main class="page">
            <div role="status" aria-live="polite">
                {move || done.get().map(|message| view! { <p class="notice">{message}</p> })}
            </div>
            <FormError id="team-error" message=error_message/>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let created = created.await;
                    match page.await {
                        Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                        Ok(TeamPage { viewer, team: None }) => view! { <CreateTeamCard viewer/> }.into_any(),
                        Ok(TeamPage { viewer, team: Some(team) }) => view! { <TeamCards viewer team created/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn CreateTeamCard(viewer: Member) -> impl IntoView {
    let create = ServerAction::<CreateTeam>::new();
    view! {
        <h1>"Team"</h1>
        <section class="card" aria-labelledby="create-team-heading">
            <h2 id="create-team-heading">"Create a team"</h2>
            <p class="muted">{format!(
                "A team has its own wallet, cards, keys and usage, shared with the people you invite. You ({}) will be its Owner.",
                viewer.email
            )}</p>
            <ActionForm action=create attr:class="stack narrow">
                <div class="field">
                    <label for="team-name">"Team name"</label>
                    <input id="team-name" name="team_name" type="text" maxlength="100" required autocomplete="organization" aria-describedby="team-error"/>
                </div>
                <button type="submit" class="button primary" data-pending="Creating…">"Create team"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn TeamCards(viewer: Member, team: TeamView, created: Option<CreatedInvite>) -> impl IntoView {
    let manages = viewer.may(Action::ManageMembers);
    let manages_owners = viewer.may(Action::ManageOwners);
    let save = ServerAction::<SaveTeamSettings>::new();
    let members = team.members.clone();
    view! {
        <h1>{team.name.clone()}</h1>
        <section class="card" aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            <ScrollTable label="Members">
                <table class="table stacked" data-testid="members">
                    <thead>
                        <tr>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Joined"</th>
                            <th scope="col" class="num">"Spend this month"</th>
                            <th scope="col">"Monthly budget"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {members.into_iter().map(|row| view! { <MemberRowView row viewer=viewer.clone()/> }).collect_view()}
                    </tbody>
                </table>
            </ScrollTable>
        </section>
        {manages.then(|| view! { <InviteCard invites=team.invites.clone() created=created.clone()/> })}
        <section class="card" aria-labelledby="team-settings-heading">
            <h2 id="team-settings-heading">"Team settings"</h2>
            <ActionForm action=save attr:class="stack narrow">
                <label class="checkbox">
                    <input type="checkbox" name="members_can_fund" value="on" checked=team.members_can_fund disabled=!manages/>
                    "Members can add funds"
                </label>
                <p class="hint">"When off, only Owners and Admins can add funds and save cards. Members' agents and chat apps are refused too."</p>
                {manages.then(|| view! { <button type="submit" class="button" data-pending="Saving…">"Save"</button> })}
            </ActionForm>
        </section>
        {manages_owners.then(|| view! { <DeleteTeamCard name=team.name.clone()/> })}
    }
}

/// "Delete team", for Owners: the team's name typed to confirm; refused while the wallet holds money.
#[component]
fn DeleteTeamCard(name: String) -> impl IntoView {
    let delete = ServerAction::<DeleteTeam>::new();
    view! {
        <section class="card" aria-labelledby="delete-team-heading">
            <h2 id="delete-team-heading">"Delete team"</h2>
            <p class="muted">"Deleting the team ends every member's access and revokes all its keys, chat connections, cards and invite links. Its wallet must be at $0.00. Its history is kept."</p>
            <ActionForm action=delete attr:class="stack narrow">
                <div class="field">
                    <label for="delete-team-name">{format!("Type \"{name}\" to confirm")}</label>
                    <input id="delete-team-name" name="confirm_name" type="text" maxlength="100" required autocomplete="off" aria-describedby="team-error"/>
                </div>
                <button type="submit" class="button danger" data-pending="Deleting…">"Delete team"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn MemberRowView(row: MemberRow, viewer: Member) -> impl IntoView {
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let is_self = row.user_id == viewer.user_id;
    let touches_owner = row.role == Role::Owner;
    let may_change =
        if touches_owner { viewer.may(Action::ManageOwners) } else { viewer.may(Action::ManageMembers) };
    let roles: Vec<Role> =
        Role::iter().filter(|r| *r != Role::Owner || viewer.may(Action::ManageOwners)).collect();
    let select_id = format!("role-{}", row.user_id);
    let role_label = format!("Role for {}", row.email);
    let budget_id = format!("budget-{}", row.user_id);
    let budget_label = format!("Monthly budget for {}", row.email);
    let budget = ServerAction::<SetMemberBudget>::new();
    view! {
        <tr data-member=row.email.clone()>
            <td class="wrap lead">{row.email.clone()}{is_self.then_some(" (you)")}</td>
            <td data-label="Role">{row.role.to_string()}</td>
            <td data-label="Joined">{row.joined.clone()}</td>
            <td data-label="Spend this month" class="num">{row.spend_this_month.exact()}</td>
            <td data-label="Monthly budget">{row.monthly_budget.map(|b| b.display()).unwrap_or_else(|| "None".to_string())}</td>
            <td class="wrap">
                <div class="row-actions">
                {may_change.then(|| view! {
                    <ActionForm action=budget attr:class="inline-form">
                        <input type="hidden" name="user_id" value=row.user_id.to_string()/>
                        <label for=budget_id.clone() class="visually-hidden">{budget_label.clone()}</label>
                        <input id=budget_id.clone() name="monthly_budget" type="text" inputmode="decimal" class="budget-input" placeholder="No budget"
                            value=row.monthly_budget.map(|b| b.amount().normalize().to_string()).unwrap_or_default()/>
                        <button type="submit" class="button" data-pending="Saving…">"Set budget"</button>
                    </ActionForm>
                })}
                {may_change.then(|| view! {
                    <ActionForm action=change attr:class="inline-form">
                        <input type="hidden" name="user_id" value=row.user_id.to_string()/>
                        <label for=select_id.clone() class="visually-hidden">{role_label.clone()}</label>
                        <select id=select_id.clone() name="role">
                            {roles.iter().map(|r| view! { <option value=r.as_str() selected=*r == row.role>{r.to_string()}</option> }).collect_view()}
                        </select>
                        <button type="submit" class="button" data-pending="Changing…">"Change role"</button>
                    </ActionForm>
                })}
                {(may_change || is_self).then(|| view! {
                    <ActionForm action=remove attr:class="inline-form">
                        <input type="hidden" name="user_id" value=row.user_id.to_string()/>
                        <button type="submit" class="button danger" data-pending="Removing…">
                            {if is_self { "Leave team" } else { "Remove" }}
                        </button>
                    </ActionForm>
                })}
                </div>
            </td>
        </tr>
    }
}

#[component]
fn InviteCard(invites: Vec<PendingInvite>, created: Option<CreatedInvite>) -> impl IntoView {
    let revoke = ServerAction::<RevokeInvite>::new();
    // "Invite" opens the form (`?invite=1`, so it works as a plain link-like form with JavaScript off).
    let query = use_query_map();
    let open = query.read_untracked().get("invite").is_some();
    view! {
        <section class="card" aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Invite"</h2>
            <p class="muted">"An invite link can be used once, by anyone who has it, for 7 days. No email is sent: copy the link to the person."</p>
            {created.map(|invite| view! {
                <div class="notice invite-link" data-testid="new-invite">
                    <p>{format!("Invite link for a new {} (shown once, valid until {}):", invite.role, invite.expires)}</p>
                    <p><code data-testid="new-invite-link" data-path=invite.path.clone()>{invite.url.clone()}</code></p>
                </div>
            })}
            {if open {
                // A plain form to `POST /dashboard/team`: the link is shown in that response only.
                view! {
                    <form method="post" action="/dashboard/team" class="filters">
                        <div class="field">
                            <label for="invite-role">"Role"</label>
                            <select id="invite-role" name="role">
                                {Role::INVITABLE.into_iter().map(|r| view! { <option value=r.as_str() selected=r == Role::Member>{r.to_string()}</option> }).collect_view()}
                            </select>
                        </div>
                        <button type="submit" class="button primary" data-pending="Creating…">"Create invite link"</button>
                    </form>
                }.into_any()
            } else {
                view! {
                    <form method="get" action="/dashboard/team">
                        <input type="hidden" name="invite" value="1"/>
                        <button type="submit" class="button primary">"Invite"</button>
                    </form>
                }.into_any()
            }}
            {(!invites.is_empty()).then(|| view! {
                <h3>"Pending invite links"</h3>
                <ul class="plain-list" data-testid="pending-invites">
                    {invites.into_iter().map(|invite| view! {
                        <li>
                            {format!("{} · made by {} · valid until {}", invite.role, invite.created_by, invite.expires)}
                            <ActionForm action=revoke attr:class="inline-form">
                                <input type="hidden" name="invite_id" value=invite.id.to_string()/>
                                <button type="submit" class="button danger" data-pending="Revoking…">"Revoke"</button>
                            </ActionForm>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}
