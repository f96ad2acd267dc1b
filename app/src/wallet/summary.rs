//! The balance as the header, the wallet page and `/v1/balance` show it.

use leptos::prelude::Resource;
use serde::{Deserialize, Serialize};
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletSummary {
    pub wallet_id: Uuid,
    pub balance: Usd,
    pub currency: String,
    /// The account's alert threshold, if one is set.
    pub low_balance_threshold: Option<Usd>,
    /// The balance is below the threshold (the banner and the API's `low_balance`).
    pub low_balance: bool,
    /// Why the person looking can't add funds to this account (a team Member while "Members can add
    /// funds" is off), or `None` when they can. Only the dashboard fills it in.
    #[serde(default)]
    pub funding_refused: Option<AppError>,
}

/// The summary the dashboard header reads, put into context by the dashboard frame
/// (`layout::dashboard`) so the wallet page reads the same one: one read per render.
#[derive(Clone, Copy)]
pub struct WalletResource(pub Resource<Result<WalletSummary, AppError>>);
