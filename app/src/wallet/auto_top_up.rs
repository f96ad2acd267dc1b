//! The wallet page's "Auto top-up" card: what the rule will do in one sentence while it is on, the form
//! that sets it, and the banner when Tollgate turned it off (docs/CONTRACT.md "Auto top-up").

use super::auto_top_up_fns::{AutoTopUpPanel, SaveAutoTopUp};
use crate::ui::form_error::FormError;
use leptos::prelude::*;
use tollgate_domain::payments::auto_top_up::AutoTopUpRule;
use tollgate_domain::payments::payment_method::PaymentMethodView;

/// Shown at the top of the wallet page while the rule is off because of its card (declines, removal).
#[component]
pub fn AutoTopUpBanner(panel: AutoTopUpPanel) -> impl IntoView {
    panel.view.disabled_reason.map(|reason| {
        view! { <p class="banner banner-warn" role="status" data-testid="auto-top-up-banner">{reason}</p> }
    })
}

#[component]
pub fn AutoTopUpCard(
    panel: AutoTopUpPanel,
    cards: Vec<PaymentMethodView>,
    action: ServerAction<SaveAutoTopUp>,
    /// A failed save's message.
    error: Option<String>,
) -> impl IntoView {
    let AutoTopUpPanel { view: rule_view, may_change } = panel;
    let status = match rule_view.sentence() {
        Some(sentence) => view! {
            <p class="auto-top-up-sentence" data-testid="auto-top-up-sentence">{sentence}</p>
            <p class="muted">{format!("Charged this month: {}", rule_view.spent_this_month.display())}</p>
        }
        .into_any(),
        None => view! {
            <p class="muted">"Off. Turn it on to keep your balance above a threshold: when it falls below, we charge a saved card once for the whole gap."</p>
        }
        .into_any(),
    };
    let form = if !may_change {
        view! { <p class="hint">"Only the team's Owners and Admins can change auto top-up."</p> }.into_any()
    } else if cards.is_empty() {
        view! { <p class="hint">"Add a card first: auto top-up charges a saved card."</p> }.into_any()
    } else {
        view! { <AutoTopUpForm rule_view=rule_view cards action error/> }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="auto-top-up-heading">
            <h2 id="auto-top-up-heading">"Auto top-up"</h2>
            {status}
            {form}
        </section>
    }
}

#[component]
fn AutoTopUpForm(
    rule_view: tollgate_domain::payments::auto_top_up::AutoTopUpView,
    cards: Vec<PaymentMethodView>,
    action: ServerAction<SaveAutoTopUp>,
    error: Option<String>,
) -> impl IntoView {
    let rule = rule_view.rule.unwrap_or_else(AutoTopUpRule::suggested);
    let chosen = rule_view
        .payment_method_id
        .filter(|id| cards.iter().any(|c| c.id == *id))
        .or_else(|| cards.iter().find(|c| c.is_default).map(|c| c.id));
    let enabled = rule_view.enabled;
    let money = |id: &'static str, name: &'static str, label: &'static str, value: String| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <div class="money-input">
                    <span aria-hidden="true">"$"</span>
                    <input id=id name=name inputmode="decimal" autocomplete="off" value=value aria-describedby="auto-top-up-error"/>
                </div>
            </div>
        }
    };
    view! {
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            {(!enabled).then(|| view! { <input type="hidden" name="turn" value="on"/> })}
            {money("auto-threshold", "threshold", "When balance falls below", rule.threshold().json_cents())}
            {money("auto-top-up-to", "top_up_to", "Top up to", rule.top_up_to().json_cents())}
            {money("auto-monthly-limit", "monthly_limit", "Monthly limit", rule.monthly_limit().json_cents())}
            <div class="field">
                <label for="auto-card">"Card"</label>
                <select id="auto-card" name="card">
                    {cards
                        .into_iter()
                        .map(|card| view! { <option value=card.id.to_string() selected=Some(card.id) == chosen>{card.label}</option> })
                        .collect_view()}
                </select>
            </div>
            <p class="hint">"At most 3 top-ups a day. After 2 declines in a row it turns itself off and stays off until you turn it back on."</p>
            <FormError id="auto-top-up-error" message=Signal::stored(error)/>
            <div class="row">
                {if enabled {
                    view! { <button type="submit" class="button" data-pending="Saving…">"Save"</button> }.into_any()
                } else {
                    view! { <button type="submit" class="button primary" data-pending="Turning on…">"Turn on auto top-up"</button> }.into_any()
                }}
            </div>
        </ActionForm>
        {enabled.then(|| view! {
            <ActionForm action=action>
                <input type="hidden" name="turn" value="off"/>
                <button type="submit" class="button ghost" data-pending="Turning off…">"Turn off auto top-up"</button>
            </ActionForm>
        })}
    }
}
