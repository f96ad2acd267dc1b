//! Step 1 of Add Funds (docs/CONTRACT.md "Add Funds flow"): amount, then a saved card or a new one.
//! "Continue" posts to `start_add_funds`; new card data travels only in that POST body, never in a URL.

use super::amount_field::TopUpAmountField;
use super::dialog::Dialog;
use super::server_fns::StartAddFunds;
use crate::ui::form_error::FormError;
use crate::ui::new_card_fields::{NewCardFields, SaveCardFor};
use leptos::prelude::*;
use tollgate_domain::error::AppError;
use tollgate_domain::payments::payment_method::PaymentMethodView;

#[component]
pub fn AddFundsPanel(
    action: ServerAction<StartAddFunds>,
    cards: Vec<PaymentMethodView>,
    /// `?card=new` ("Use another card") preselects a new card.
    prefer_new_card: bool,
    #[prop(into)] url_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let usable: Vec<PaymentMethodView> = cards.into_iter().filter(|c| !c.expired).collect();
    let has_saved = !usable.is_empty();
    let default_id = usable.iter().find(|c| c.is_default).or(usable.first()).map(|c| c.id);

    let error = Signal::derive(move || url_error.get().map(|e| e.message()));

    view! {
        <Dialog labelled_by="add-funds-heading">
            <h2 id="add-funds-heading">"Add Funds"</h2>
            <ActionForm action=action attr:class="stack add-funds-form" attr:novalidate=true>
                <TopUpAmountField/>
                <fieldset class="card-choice" class:hidden=!has_saved>
                    <legend>"Pay with"</legend>
                    {usable
                        .into_iter()
                        .map(|card| {
                            let id = card.id.to_string();
                            let checked = !prefer_new_card && Some(card.id) == default_id;
                            view! {
                                <label class="radio">
                                    <input type="radio" name="card" value=id checked=checked/>
                                    <span>{card.label}</span>
                                    <span class="muted">" · expires " {card.expiry}</span>
                                    {card.is_default.then(|| view! { <span class="badge">"Default"</span> })}
                                </label>
                            }
                        })
                        .collect_view()}
                    <label class="radio">
                        <input type="radio" name="card" value="new" checked=!has_saved || prefer_new_card/>
                        <span>"Use a new card"</span>
                    </label>
                </fieldset>
                // Shown by CSS while "Use a new card" is checked (`:has`), so it works with JavaScript off too.
                <div class="new-card stack">
                    <NewCardFields save_for=SaveCardFor::Myself setup_with=("/api/wallet/card-setup", String::new())/>
                </div>
                <FormError id="add-funds-error" message=error/>
                <div class="row">
                    <button type="submit" class="button primary" data-pending="Checking…">"Continue"</button>
                    <a class="button ghost" href="/dashboard/wallet">"Cancel"</a>
                </div>
            </ActionForm>
        </Dialog>
    }
}
