//! `/dashboard/wallet`: the balance, Add Funds with saved cards and decline reasons, the low-balance alert,
//! auto top-up, the recent-activity chart, deposit history, the ledger's recent entries and receipts. The money itself
//! moves in `payments` (Add Funds) and `ledger`; this folder is the page, its components and server
//! functions, and the page's own reads (`db.rs`).

pub mod activity;
pub mod add_funds_panel;
pub mod alert_threshold;
pub mod amount_field;
pub mod attempt_panel;
pub mod auto_top_up;
pub mod auto_top_up_fns;
pub mod deposit_table;
pub mod dialog;
pub mod low_balance;
pub mod page;
pub mod receipt_page;
pub mod saved_cards;
pub mod server_fns;
pub mod summary;
