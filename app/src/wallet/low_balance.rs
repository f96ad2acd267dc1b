//! The low-balance signal: a banner on the wallet page while the balance is below the account's threshold
//! (the same rule gives `low_balance: true` in `/v1/balance`), and the form that sets the threshold.

use super::server_fns::SetLowBalanceAlert;
use crate::ui::form_error::FormError;
use leptos::prelude::*;
use tollgate_domain::ledger::wallet::WalletSummary;

/// Shown only while the balance is below the threshold.
#[component]
pub fn LowBalanceBanner(wallet: WalletSummary) -> impl IntoView {
    let threshold = wallet.low_balance_threshold?;
    wallet.low_balance.then(|| {
        view! {
            <p class="banner banner-warn" role="status" data-testid="low-balance-banner">
                {format!(
                    "Low balance: {} is below your alert threshold of {}. Add funds so your agents' paid calls keep running.",
                    wallet.balance.display(),
                    threshold.display(),
                )}
            </p>
        }
    })
}

#[component]
pub fn LowBalanceAlertForm(
    action: ServerAction<SetLowBalanceAlert>,
    current: Option<String>,
    /// A failed save's message.
    error: Option<String>,
) -> impl IntoView {
    view! {
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <div class="field">
                <label for="alert-threshold">"Alert below"</label>
                <div class="money-input">
                    <span aria-hidden="true">"$"</span>
                    <input id="alert-threshold" name="threshold" inputmode="decimal" autocomplete="off" placeholder="Off" value=current aria-describedby="alert-hint low-balance-error"/>
                </div>
                <p id="alert-hint" class="hint">"Show a banner (and tell agents via the API) when the balance falls below this. Leave empty to turn it off."</p>
            </div>
            <FormError id="low-balance-error" message=Signal::stored(error)/>
            <div class="row">
                <button type="submit" class="button" data-pending="Saving…">"Save alert"</button>
            </div>
        </ActionForm>
    }
}
