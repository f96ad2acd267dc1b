//! Saved payment methods: brand, •••• last4, expiry, default badge, expired and error states, and the
//! buttons "Make default", "Remove", "Update card".

use super::attempt_panel::UpdateCardForm;
use super::server_fns::{MakeDefaultCard, RemoveCard, UpdateCard};
use leptos::prelude::*;
use tollgate_domain::payments::payment_method::PaymentMethodView;
use uuid::Uuid;

#[component]
pub fn SavedCards(
    cards: Vec<PaymentMethodView>,
    make_default: ServerAction<MakeDefaultCard>,
    remove: ServerAction<RemoveCard>,
    update: ServerAction<UpdateCard>,
    /// `?edit=<card id>`: that card's "Update card" form is open.
    editing: Option<Uuid>,
    /// A failed "Save card" of that form.
    error: Option<String>,
) -> impl IntoView {
    if cards.is_empty() {
        return view! { <p class="empty">"No saved cards yet. Add funds with a card and keep \"Save this card\" checked to save it."</p> }
            .into_any();
    }
    view! {
        <ul class="card-list">
            {cards
                .into_iter()
                .map(|card| {
                    let id = card.id;
                    let state = if card.expired {
                        Some(("Expired", "badge badge-danger"))
                    } else if card.error_message.is_some() {
                        Some(("Needs attention", "badge badge-danger"))
                    } else {
                        None
                    };
                    view! {
                        <li class="saved-card" data-card=card.label.clone()>
                            <div class="saved-card-main">
                                <span class="saved-card-label">{card.label.clone()}</span>
                                <span class="muted">{format!("Expires {}", card.expiry)}</span>
                                {card.is_default.then(|| view! { <span class="badge">"Default"</span> })}
                                {state.map(|(text, class)| view! { <span class=class>{text}</span> })}
                            </div>
                            {card.error_message.clone().map(|message| view! { <p class="decline">{message}</p> })}
                            <div class="row">
                                {(!card.is_default).then(|| {
                                    view! {
                                        <ActionForm action=make_default>
                                            <input type="hidden" name="payment_method_id" value=id.to_string()/>
                                            <button type="submit" class="button small">"Make default"</button>
                                        </ActionForm>
                                    }
                                })}
                                <form method="get" action="/dashboard/wallet">
                                    <input type="hidden" name="edit" value=id.to_string()/>
                                    <button type="submit" class="button small">"Update card"</button>
                                </form>
                                <ActionForm action=remove>
                                    <input type="hidden" name="payment_method_id" value=id.to_string()/>
                                    <button type="submit" class="button small ghost">"Remove"</button>
                                </ActionForm>
                            </div>
                            {(Some(card.id) == editing).then(|| view! {
                                <UpdateCardForm action=update card_id=card.id return_to="/dashboard/wallet".to_string() error=error.clone()/>
                            })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
