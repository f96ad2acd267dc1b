//! The new-card inputs (CONTRACT.md "Add Funds flow"): "Card number", "Expiry", "CVC", "Billing postal
//! code" and "Save this card" (checked by default). Used by Add Funds and by the hosted checkout page; the
//! values travel only in the POST body of "Continue", which tokenizes them at once.

use leptos::prelude::*;

#[component]
pub fn NewCardFields() -> impl IntoView {
    view! {
        <div class="field">
            <label for="add-card-number">"Card number"</label>
            <input id="add-card-number" name="card_number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242"/>
        </div>
        <div class="field-row">
            <div class="field">
                <label for="add-expiry">"Expiry"</label>
                <input id="add-expiry" name="expiry" autocomplete="cc-exp" placeholder="MM/YY"/>
            </div>
            <div class="field">
                <label for="add-cvc">"CVC"</label>
                <input id="add-cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="123"/>
            </div>
        </div>
        <div class="field">
            <label for="add-postal">"Billing postal code"</label>
            <input id="add-postal" name="postal_code" autocomplete="postal-code"/>
        </div>
        <label class="checkbox">
            <input type="checkbox" name="save_card" value="on" checked=true/>
            <span>"Save this card"</span>
        </label>
    }
}
