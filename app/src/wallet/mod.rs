//! `/dashboard/wallet`: the balance, Add Funds with saved cards and decline reasons, deposit history and
//! receipts. The money path itself is `add_funds.rs` (server only); the sandbox processor is in `server/`.

pub mod add_funds_panel;
pub mod amount_field;
pub mod api;
pub mod attempt;
pub mod attempt_panel;
pub mod card;
pub mod cards;
pub mod dialog;
pub mod history;
pub mod low_balance;
pub mod new_card_fields;
pub mod page;
pub mod receipt_page;

#[cfg(feature = "ssr")]
pub mod add_funds;
#[cfg(feature = "ssr")]
pub mod agent_funding;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod ledger;
#[cfg(feature = "ssr")]
pub mod payment_methods;
#[cfg(feature = "ssr")]
pub mod processor;
