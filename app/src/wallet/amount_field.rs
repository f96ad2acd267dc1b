//! The Add Funds amount field: an island, so the browser checks the amount with the very rule the server
//! applies (`TopUpAmount::parse`, shared code) as soon as the field is left, before anything is sent.
//! Without JavaScript the server's answer says the same.

use leptos::prelude::*;
use tollgate_domain::error::AppError;
use tollgate_domain::money::TopUpAmount;

#[island]
pub fn TopUpAmountField() -> impl IntoView {
    let (amount, set_amount) = signal(String::new());
    let (left_once, set_left_once) = signal(false);
    let problem = move || {
        left_once
            .get()
            .then(|| TopUpAmount::parse(&amount.get()).err().map(|e| AppError::from(e).message()))
            .flatten()
    };
    view! {
        <div class="field">
            <label for="add-amount">"Amount"</label>
            <div class="money-input">
                <span aria-hidden="true">"$"</span>
                <input
                    id="add-amount"
                    name="amount"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="25.00"
                    aria-describedby="add-amount-hint add-funds-error"
                    on:input=move |ev| set_amount.set(event_target_value(&ev))
                    on:blur=move |_| set_left_once.set(true)
                />
            </div>
            <p id="add-amount-hint" class="hint" aria-live="polite">
                {move || problem().unwrap_or_else(|| "Between $10.00 and $10,000.00. USD only.".to_string())}
            </p>
        </div>
    }
}
