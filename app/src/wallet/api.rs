//! Wallet server functions.

use crate::error::AppError;
use crate::money::Usd;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {super::db, crate::auth::session::require_user, crate::request::pool};

/// The header and wallet page balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletSummary {
    pub balance: Usd,
    pub currency: String,
}

/// One ledger entry as the activity list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRow {
    pub id: i64,
    pub when: String,
    pub kind: String,
    pub amount: Usd,
    pub balance_after: Usd,
    pub reference: String,
}

#[server(endpoint = "wallet/summary")]
pub async fn get_wallet_summary() -> Result<WalletSummary, AppError> {
    let user = require_user().await?;
    db::summary(&pool()?, user.account_id).await
}

#[server(endpoint = "wallet/activity")]
pub async fn get_recent_activity() -> Result<Vec<ActivityRow>, AppError> {
    let user = require_user().await?;
    db::recent_activity(&pool()?, user.account_id, 10).await
}
