//! What Tollgate's staff do to an account from the back office (docs/CONTRACT.md "Back office"). Each
//! action checks the staff member's role on the server, needs a reason, and writes — in the transaction of
//! the change — the account's audit log (channel "Tollgate staff", who = the staff member) and the staff
//! log. Reading an account for the back office is `reads::back_office`.

mod actions;
pub mod adjustments;
mod money;

pub use actions::{grant_promotional_credit, pause_key, StaffActor};
pub use money::{adjust, approve, refund, settle_dispute, Approval, Approved, RefundResult};
