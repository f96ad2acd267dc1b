//! Payments' vocabulary, shared by the pages and the money core: card inputs and their checks, decline codes
//! and their fixes, an attempt's status and views, a saved card's view, hosted checkouts' states and the
//! auto top-up rule. Taking payments: `tollgate_core::payments`.

pub mod attempt;
pub mod auto_top_up;
pub mod card;
pub mod checkout_session;
pub mod decline;
pub mod new_card;
pub mod payment_method;
pub mod refund;
