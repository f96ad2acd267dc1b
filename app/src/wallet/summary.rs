//! The balance as the header, the wallet page and `/v1/balance` show it.

use leptos::prelude::Resource;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::wallet::WalletSummary;

/// The summary the dashboard header reads, put into context by the dashboard frame
/// (`layout::dashboard`) so the wallet page reads the same one: one read per render.
#[derive(Clone, Copy)]
pub struct WalletResource(pub Resource<Result<WalletSummary, AppError>>);
