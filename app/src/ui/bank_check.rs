//! "Confirm with your bank": a payment whose bank wants its person (3-D Secure) waits here, on the wallet
//! page or a checkout page, until they answer in the processor's window (`public/card-entry.js` opens it
//! with Stripe.js), then the page is loaded again and shows the outcome. Without JavaScript the window
//! can't open, and the page says so; the payment is given up after a while and nothing is charged.

use crate::ui::new_card_fields::processor_script_key;
use leptos::prelude::*;

/// `secret`: what the processor's script completes the payment with; `check_again`: the page that reads
/// its outcome.
#[component]
pub fn BankCheck(secret: String, check_again: String) -> impl IntoView {
    let link = check_again.clone();
    view! {
        <h2 id="attempt-heading">"Confirm with your bank"</h2>
        <p>"Your bank wants to confirm this payment. Nothing is charged until you do."</p>
        <div class="bank-check stack" data-bank-check=secret data-card-entry=processor_script_key().unwrap_or_default() data-check-again=check_again.clone()>
            <p class="needs-js hint">"Confirming with your bank needs JavaScript."</p>
            <div class="row">
                <button type="button" class="button primary" data-open-bank-check>"Confirm with your bank"</button>
                <a class="button ghost" href=link>"Check again"</a>
            </div>
        </div>
    }
}
