//! The new-card inputs (docs/CONTRACT.md "Add Funds flow", "Card processors") as one component, used by Add
//! Funds on the wallet page and by the hosted checkout page. Which inputs depend on the processor:
//! - the sandbox takes the card on Tollgate's own fields; their values travel only in the POST body of
//!   "Continue" (docs/ARCHITECTURE.md "Add Funds without card data in URLs"), and what they parse into is
//!   `tollgate_domain::payments::new_card`;
//! - Stripe takes it in its card Element (`public/card-entry.js` with Stripe.js): the card goes from the
//!   browser to Stripe and never to Tollgate, which gets the setup's id in `setup_intent`. Without
//!   JavaScript there is no Element, and the page says so.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use {
    tollgate_core::payments::add_funds::CardChoice, tollgate_core::payments::processor::CardEntry,
    tollgate_domain::error::AppError, tollgate_domain::payments::new_card::NewCardForm,
};

/// Who a saved card is kept for, which decides how "Save this card" reads and whether it starts ticked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveCardFor {
    /// The account holder on their wallet page: ticked, they pay with their own card.
    Myself,
    /// Someone paying a hosted checkout link: unticked, and it says that the wallet's owner (and their
    /// funding keys) could charge it later (docs/CONTRACT.md "/checkout/{id}").
    WalletOwner,
}

/// What the browser's card script is answered when it asks to set a card up: the secret it confirms the
/// setup with, or why not (a message for the person).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSetupAnswer {
    pub client_secret: Option<String>,
    pub error: Option<String>,
}

/// The new-card inputs. `setup_with`: where the card script asks to set a card up (a server function's
/// path) and the fields it sends there (`checkout_id=…` on a checkout page).
#[component]
pub fn NewCardFields(save_for: SaveCardFor, setup_with: (&'static str, String)) -> impl IntoView {
    let (save_label, save_checked) = match save_for {
        SaveCardFor::Myself => ("Save this card", true),
        SaveCardFor::WalletOwner => {
            ("Save this card so the wallet's owner can add funds with it later", false)
        }
    };
    let save = view! {
        <label class="checkbox">
            <input type="checkbox" name="save_card" value="on" checked=save_checked/>
            <span>{save_label}</span>
        </label>
    };
    match processor_script_key() {
        Some(publishable_key) => {
            view! {
                {card_element(publishable_key, setup_with)}
                {save}
            }
            .into_any()
        }
        None => view! {
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
            {save}
        }
        .into_any(),
    }
}

/// The processor's card Element with what its script needs: where to set a card up and the field the
/// finished setup's id goes in.
fn card_element(publishable_key: String, (setup_url, setup_fields): (&'static str, String)) -> impl IntoView {
    view! {
        <div class="field card-entry" data-card-entry=publishable_key data-setup-url=setup_url data-setup-fields=setup_fields>
            <span class="label" id="card-element-label">"Card"</span>
            <div id="card-element" class="card-element" role="group" aria-labelledby="card-element-label"></div>
            <p class="needs-js hint" id="card-needs-js">"Adding a new card needs JavaScript"</p>
            <p class="form-error" role="alert" aria-live="assertive" data-card-error></p>
        </div>
        <input type="hidden" name="setup_intent" value=""/>
    }
}

/// The card Element alone (no "Save this card"), where the processor takes cards in the browser: "Update
/// card" enters the card again there.
pub fn processor_card_fields() -> Option<impl IntoView> {
    processor_script_key().map(|key| card_element(key, ("/api/wallet/card-setup", String::new())))
}

/// The publishable key of the processor's card script, when the processor takes cards that way.
pub fn processor_script_key() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        crate::content_security_policy::processor_script().map(|(_, _, key)| key)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// The new card a "Continue" posted, the way this processor takes cards: Tollgate's fields, or the setup
/// its script finished in the browser (none: JavaScript was off).
#[cfg(feature = "ssr")]
pub fn posted_new_card(
    entry: &CardEntry,
    form: &NewCardForm,
    setup_intent: Option<String>,
) -> Result<CardChoice, AppError> {
    match entry {
        CardEntry::TollgateForm => Ok(CardChoice::New { card: form.parse()?, save: form.save() }),
        CardEntry::ProcessorScript { .. } => match setup_intent.filter(|id| !id.trim().is_empty()) {
            Some(setup_id) => Ok(CardChoice::SetUp { setup_id, save: form.save() }),
            None => Err(AppError::NewCardNeedsJavascript),
        },
    }
}

/// A card setup's answer for the browser's card script: errors as a message it shows.
#[cfg(feature = "ssr")]
pub fn setup_answer(
    setup: Result<tollgate_core::payments::processor::CardSetup, AppError>,
) -> CardSetupAnswer {
    match setup {
        Ok(setup) => CardSetupAnswer { client_secret: Some(setup.client_secret), error: None },
        Err(err) => CardSetupAnswer { client_secret: None, error: Some(err.message()) },
    }
}
