//! Teams (docs/CONTRACT.md "Teams"): an account several people share, each with a role. The header's
//! "Account" switch picks the account a session acts for; `/dashboard/team` creates a team, invites by
//! link, changes roles, removes members and holds "Members can add funds"; `/invite/{token}` joins. Roles,
//! members and what the pages show: `tollgate_domain::teams`; their storage: `tollgate_core::teams`.

pub mod invite_page;
pub mod member;
pub mod page;
pub mod server_fns;
