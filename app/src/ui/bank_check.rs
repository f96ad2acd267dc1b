//! "Confirm with your bank": a payment whose bank wants its person (3-D Secure) waits here, on the wallet
//! page or a checkout page, until they answer in the processor's window (`public/card-entry.js` opens it
//! with Stripe.js and then presses "Check again"), whose post reads the payment's outcome and records it.
//! Without JavaScript the window can't open, and the page says so; the payment is given up after a while
//! and nothing is charged.

use crate::ui::new_card_fields::processor_script_key;
use leptos::prelude::*;

/// `secret`: what the processor's script completes the payment with; `check_again`: the server function
/// that reads the payment's outcome, and the fields it is posted with.
#[component]
pub fn BankCheck(secret: String, check_again: (&'static str, Vec<(&'static str, String)>)) -> impl IntoView {
    let (action, fields) = check_again;
    view! {
        <h2 id="attempt-heading">"Confirm with your bank"</h2>
        <p>"Your bank wants to confirm this payment. Nothing is charged until you do."</p>
        <div class="bank-check stack" data-bank-check=secret data-card-entry=processor_script_key().unwrap_or_default()>
            <p class="needs-js hint">"Confirming with your bank needs JavaScript."</p>
            <div class="row">
                <button type="button" class="button primary" data-open-bank-check>"Confirm with your bank"</button>
                <form method="post" action=action data-check-again>
                    {fields.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
                    <button type="submit" class="button ghost" data-pending="Checking…">"Check again"</button>
                </form>
            </div>
        </div>
    }
}
