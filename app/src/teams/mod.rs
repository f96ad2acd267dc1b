//! Teams (docs/CONTRACT.md "Teams"): an account several people share, each with a role. The header's
//! "Account" switch picks the account a session acts for; `/dashboard/team` creates a team, invites by
//! link, changes roles, removes members and holds "Members can add funds"; `/invite/{token}` joins. Roles and what each may do:
//! `tollgate_domain::teams::role`.

pub mod invite_page;
pub mod member;
pub mod page;
pub mod server_fns;
pub mod view;

#[cfg(feature = "ssr")]
pub mod db;
