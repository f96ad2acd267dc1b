//! The new-card inputs (docs/CONTRACT.md "Add Funds flow") as one component, used by Add Funds on the
//! wallet page and by the hosted checkout page. The values travel only in the POST body of "Continue"
//! (docs/ARCHITECTURE.md "Add Funds without card data in URLs"); what they parse into is
//! `tollgate_domain::payments::new_card`.

use leptos::prelude::*;

/// Who a saved card is kept for, which decides how "Save this card" reads and whether it starts ticked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveCardFor {
    /// The account holder on their wallet page: ticked, they pay with their own card.
    Myself,
    /// Someone paying a hosted checkout link: unticked, and it says that the wallet's owner (and their
    /// funding keys) could charge it later (docs/CONTRACT.md "/checkout/{id}").
    WalletOwner,
}

#[component]
pub fn NewCardFields(save_for: SaveCardFor) -> impl IntoView {
    let (save_label, save_checked) = match save_for {
        SaveCardFor::Myself => ("Save this card", true),
        SaveCardFor::WalletOwner => {
            ("Save this card so the wallet's owner can add funds with it later", false)
        }
    };
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
            <input type="checkbox" name="save_card" value="on" checked=save_checked/>
            <span>{save_label}</span>
        </label>
    }
}
