//! `/dashboard/settings` (docs/CONTRACT.md "Limits and account security", "Webhooks"): change the password
//! and sign out other sessions — both end every other session of the user at once, on every server —, the
//! account's billing details and its webhook endpoints.

pub mod billing_fns;
pub mod billing_section;
pub mod page;
pub mod server_fns;
pub mod webhook_fns;
pub mod webhooks_section;
