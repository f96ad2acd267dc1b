//! `/checkout/{id}`: pay the amount an agent asked for with a new card. Steps follow the URL like Add Funds
//! (`?attempt=<id>`), so the page works with JavaScript off; with it on, `public/enhance.js` sends the same posts without
//! page loads.

use super::server_fns::{get_checkout, ConfirmCheckout, StartCheckout};
use crate::ui::bank_check::BankCheck;
use crate::ui::form_error::{url_error, ErrorMessage, FormError};
use crate::ui::new_card_fields::{NewCardFields, SaveCardFor};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use tollgate_domain::error::AppError;
use tollgate_domain::payments::attempt::{AttemptStatus, AttemptView};
use tollgate_domain::payments::checkout_session::CheckoutState;
use uuid::Uuid;

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let checkout_id = move || params.read().get("id").unwrap_or_default();
    let attempt_id = move || query.read().get("attempt").and_then(|a| a.parse::<Uuid>().ok());
    let url_error = url_error();
    let start = ServerAction::<StartCheckout>::new();
    let confirm = ServerAction::<ConfirmCheckout>::new();
    let checkout =
        Resource::new(move || (checkout_id(), attempt_id()), |(id, attempt)| get_checkout(id, attempt));
    let error = Signal::derive(move || url_error.get().map(|e| e.message()));

    view! {
        <main class="auth-page">
            <section class="auth-card checkout" aria-labelledby="checkout-heading">
                <p class="brand">"Tollgate"</p>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match checkout.await {
                            Err(AppError::NotFound) => view! {
                                <h1 id="checkout-heading">"Checkout not found"</h1>
                                <p>"This checkout link is not valid. Ask for a new one."</p>
                            }.into_any(),
                            Err(err) => view! {
                                <h1 id="checkout-heading">"Checkout"</h1>
                                <ErrorMessage message=err.message()/>
                            }.into_any(),
                            Ok(view) => {
                                let id = checkout_id();
                                let heading = format!("Add {} to your Tollgate wallet", view.amount.display());
                                let body = match (view.state, view.attempt) {
                                    (CheckoutState::Completed, attempt) => completed(attempt).into_any(),
                                    (CheckoutState::Expired, _) => view! {
                                        <ErrorMessage message=AppError::CheckoutExpired.message()/>
                                    }.into_any(),
                                    (_, Some(attempt)) if attempt.status == AttemptStatus::Draft => {
                                        confirm_step(id, attempt, confirm).into_any()
                                    }
                                    (_, Some(attempt)) if attempt.status == AttemptStatus::Pending && attempt.authenticate_with.is_some() => view! {
                                        <BankCheck secret=attempt.authenticate_with.clone().unwrap_or_default() check_again=("/api/checkout/finish", vec![("checkout_id", id.clone()), ("attempt_id", attempt.id.to_string())])/>
                                    }.into_any(),
                                    (_, Some(attempt)) if attempt.status == AttemptStatus::Pending => view! {
                                        <p role="status">"Your payment is processing. "
                                            <a href=format!("/checkout/{id}?attempt={}", attempt.id)>"Check again"</a></p>
                                    }.into_any(),
                                    (_, failed) => card_step(id, failed, start, view.expires.clone()).into_any(),
                                };
                                view! { <h1 id="checkout-heading">{heading}</h1> {body} }.into_any()
                            }
                        }
                    })}
                </Suspense>
                <FormError id="checkout-error" message=error/>
            </section>
        </main>
    }
}

/// The paid link: "Return to your chat" (docs/CONTRACT.md "/checkout/{id}"), with the balance the payment left (the person paying
/// is the one their chat sent here), what was paid, and that the link is used up.
fn completed(attempt: Option<AttemptView>) -> impl IntoView {
    let headline = match attempt.as_ref().and_then(|a| a.balance_after) {
        Some(balance) => {
            format!("Payment complete. Return to your chat: your balance is {}.", balance.display())
        }
        None => "Payment complete. Return to your chat.".to_string(),
    };
    let paid = attempt.map(|a| format!("{} was added with {}. ", a.amount.display(), a.card_label));
    view! {
        <p class="success" role="status">{headline}</p>
        <p class="muted">{paid}"This checkout link has been used and can't be used again. You can close this page."</p>
    }
}

fn card_step(
    id: String,
    failed: Option<AttemptView>,
    start: ServerAction<StartCheckout>,
    expires: String,
) -> impl IntoView {
    view! {
        {failed.and_then(|a| a.decline_message).map(|message| view! { <p class="decline" role="alert">{message}</p> })}
        <ActionForm action=start attr:class="stack" attr:novalidate=true>
            <input type="hidden" name="checkout_id" value=id.clone()/>
            <NewCardFields save_for=SaveCardFor::WalletOwner setup_with=("/api/checkout/card-setup", format!("checkout_id={id}"))/>
            <p class="muted">{format!("This link works until {expires}, once.")}</p>
            <button type="submit" class="button primary" data-pending="Checking…">"Continue"</button>
        </ActionForm>
    }
}

fn confirm_step(id: String, attempt: AttemptView, confirm: ServerAction<ConfirmCheckout>) -> impl IntoView {
    view! {
        <dl class="summary">
            <dt>"Amount"</dt><dd>{attempt.amount.display()}</dd>
            <dt>"Card"</dt><dd>{attempt.card_label.clone()}</dd>
        </dl>
        <ActionForm action=confirm attr:class="row">
            <input type="hidden" name="checkout_id" value=id.clone()/>
            <input type="hidden" name="attempt_id" value=attempt.id.to_string()/>
            <button type="submit" class="button primary" data-pending="Charging your card…">"Confirm"</button>
            <a class="button ghost" href=format!("/checkout/{id}")>"Use another card"</a>
        </ActionForm>
    }
}
