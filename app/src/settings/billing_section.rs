//! Settings → "Billing details": the form Owners and Admins save, or — for a Member — what is saved.

use super::billing_fns::{BillingPanel, SaveBillingDetails};
use crate::ui::form_error::FormError;
use leptos::prelude::*;
use tollgate_domain::accounts::billing::{BillingDetails, TAX_ID_TYPES};
use tollgate_domain::accounts::countries::COUNTRIES;

#[component]
pub fn BillingSection(
    panel: BillingPanel,
    save: ServerAction<SaveBillingDetails>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let BillingPanel { details, may_edit } = panel;
    let body = if may_edit {
        view! { <BillingForm details save error/> }.into_any()
    } else {
        match details {
            Some(details) => view! {
                <address class="billing-lines">
                    {details.printed_lines().into_iter().map(|line| view! { <span>{line}</span><br/> }).collect_view()}
                </address>
                <p class="muted">"Only Owners and Admins can change them."</p>
            }
            .into_any(),
            None => view! { <p class="muted">"None yet. Only Owners and Admins can add them."</p> }.into_any(),
        }
    };
    view! {
        <section class="card" aria-labelledby="billing-heading">
            <h2 id="billing-heading">"Billing details"</h2>
            <p class="muted">"Printed on your receipts and monthly statements."</p>
            {body}
        </section>
    }
}

#[component]
fn BillingForm(
    details: Option<BillingDetails>,
    save: ServerAction<SaveBillingDetails>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let (name, address, country) = match &details {
        Some(d) => (d.legal_name.clone(), d.address.clone(), d.country.clone()),
        None => (String::new(), String::new(), String::new()),
    };
    let (tax_kind, tax_value) = match details.and_then(|d| d.tax_id) {
        Some(tax) => (tax.kind, tax.value),
        None => (String::new(), String::new()),
    };
    view! {
        <ActionForm action=save attr:class="stack narrow" attr:novalidate=true>
            <div class="field">
                <label for="billing-name">"Legal name"</label>
                <input id="billing-name" name="legal_name" type="text" autocomplete="organization" maxlength="200" required value=name aria-describedby="billing-error"/>
            </div>
            <div class="field">
                <label for="billing-address">"Address"</label>
                <textarea id="billing-address" name="address" rows="3" autocomplete="street-address" maxlength="500" aria-describedby="billing-error">{address}</textarea>
            </div>
            <div class="field">
                <label for="billing-country">"Country"</label>
                <select id="billing-country" name="country" autocomplete="country" required aria-describedby="billing-error">
                    <option value="" selected=country.is_empty()>"Choose a country"</option>
                    {COUNTRIES.iter().map(|(code, label)| {
                        let selected = *code == country;
                        view! { <option value=*code selected=selected>{*label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="billing-tax-type">"Tax ID type"</label>
                <select id="billing-tax-type" name="tax_id_type" aria-describedby="billing-error">
                    <option value="" selected=tax_kind.is_empty()>"None"</option>
                    {TAX_ID_TYPES.iter().map(|(kind, label)| {
                        let selected = *kind == tax_kind;
                        view! { <option value=*kind selected=selected>{*label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="billing-tax-value">"Tax ID"</label>
                <input id="billing-tax-value" name="tax_id_value" type="text" maxlength="40" value=tax_value aria-describedby="billing-tax-hint billing-error"/>
                <p id="billing-tax-hint" class="hint">"As your tax office writes it, e.g. DE123456789."</p>
            </div>
            <FormError id="billing-error" message=error/>
            <button type="submit" class="button primary" data-pending="Saving…">"Save billing details"</button>
        </ActionForm>
    }
}
