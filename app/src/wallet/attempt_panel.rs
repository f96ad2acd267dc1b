//! Steps 2 and 3 of Add Funds: confirm a draft, then its result — the new balance and a receipt, or the
//! decline with its fix right there ("Update card", "Use another card", "Retry").

use super::dialog::Dialog;
use super::server_fns::{AttemptPanel, ConfirmAddFunds, RetryAddFunds, UpdateCard};
use crate::ui::bank_check::BankCheck;
use crate::ui::form_error::FormError;
use crate::ui::new_card_fields::processor_card_fields;
use leptos::prelude::*;
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::attempt::AttemptStatus;
use uuid::Uuid;

#[component]
pub fn AttemptPanelView(
    panel: AttemptPanel,
    confirm: ServerAction<ConfirmAddFunds>,
    retry: ServerAction<RetryAddFunds>,
    update: ServerAction<UpdateCard>,
    /// `?edit=<card id>`: the "Update card" form is open.
    editing: Option<Uuid>,
    #[prop(into)] url_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let attempt = panel.attempt;
    let id = attempt.id;
    let error = Signal::derive(move || url_error.get().map(|e| e.message()));
    let body = match attempt.status {
        AttemptStatus::Draft => {
            let after = Usd::new(panel.balance_now.amount() + attempt.amount.amount());
            view! {
                <h2 id="attempt-heading">"Confirm your deposit"</h2>
                <dl class="summary">
                    <dt>"Amount"</dt><dd>{attempt.amount.display()}</dd>
                    <dt>"Card"</dt><dd>{attempt.card_label.clone()}</dd>
                    <dt>"Balance after"</dt><dd>{after.display()}</dd>
                </dl>
                <ActionForm action=confirm attr:class="row">
                    <input type="hidden" name="attempt_id" value=id.to_string()/>
                    <button type="submit" class="button primary" data-pending="Charging your card…">"Confirm"</button>
                    <a class="button ghost" href="/dashboard/wallet">"Cancel"</a>
                </ActionForm>
            }
            .into_any()
        }
        AttemptStatus::Pending if attempt.authenticate_with.is_some() => view! {
            <BankCheck secret=attempt.authenticate_with.clone().unwrap_or_default() check_again=("/api/wallet/finish", vec![("attempt_id", id.to_string())])/>
        }
        .into_any(),
        AttemptStatus::Pending => view! {
            <h2 id="attempt-heading">"Your payment is processing"</h2>
            <p>"We'll credit your wallet as soon as the card processor answers. " <a href=format!("/dashboard/wallet?attempt={id}")>"Check again"</a></p>
        }
        .into_any(),
        AttemptStatus::Succeeded => view! {
            <h2 id="attempt-heading">"Funds added"</h2>
            <p class="success" role="status">
                {format!("{} was added to your wallet. New balance: ", attempt.amount.display())}
                <strong>{attempt.balance_after.map(|b| b.display()).unwrap_or_default()}</strong>
            </p>
            <div class="row">
                <a class="button" href=format!("/dashboard/wallet/receipts/{id}")>"Receipt"</a>
                <a class="button ghost" href="/dashboard/wallet">"Done"</a>
            </div>
        }
        .into_any(),
        AttemptStatus::Failed => {
            let card_id = attempt.payment_method_id;
            view! {
                <h2 id="attempt-heading">"Payment failed"</h2>
                <p class="decline" role="alert">{attempt.decline_message.clone().unwrap_or_default()}</p>
                <p class="muted">{format!("{} on {}", attempt.amount.display(), attempt.card_label)}</p>
                <div class="row">
                    {card_id.map(|card| view! {
                        <form method="get" action="/dashboard/wallet">
                            <input type="hidden" name="attempt" value=id.to_string()/>
                            <input type="hidden" name="edit" value=card.to_string()/>
                            <button type="submit" class="button">"Update card"</button>
                        </form>
                    })}
                    <form method="get" action="/dashboard/wallet">
                        <input type="hidden" name="add" value="1"/>
                        <input type="hidden" name="card" value="new"/>
                        <button type="submit" class="button">"Use another card"</button>
                    </form>
                    // Retry charges only a card the account keeps (a card not saved is never charged again).
                    {card_id.map(|_| view! {
                        <ActionForm action=retry>
                            <input type="hidden" name="attempt_id" value=id.to_string()/>
                            <button type="submit" class="button primary" data-pending="Retrying…">"Retry"</button>
                        </ActionForm>
                    })}
                </div>
                {card_id.filter(|card| Some(*card) == editing).map(|card| view! {
                    <UpdateCardForm action=update card_id=card return_to=format!("/dashboard/wallet?attempt={id}") error=None/>
                })}
            }
            .into_any()
        }
    };
    view! {
        <Dialog labelled_by="attempt-heading">
            {body}
            <FormError id="attempt-error" message=error/>
        </Dialog>
    }
}

/// "Update card": a new expiry, a new billing postal code, or both; a field left blank keeps its value
/// (fixing the billing address is typing the postal code alone). The number can't change. `error` is a
/// failed save's message (in the attempt panel, the panel shows it instead).
#[component]
pub fn UpdateCardForm(
    action: ServerAction<UpdateCard>,
    card_id: Uuid,
    return_to: String,
    error: Option<String>,
) -> impl IntoView {
    if let Some(fields) = processor_card_fields() {
        // The processor takes cards in the browser: the card is entered again in its card Element.
        return view! {
            <ActionForm action=action attr:class="stack update-card" attr:novalidate=true>
                <input type="hidden" name="payment_method_id" value=card_id.to_string()/>
                <input type="hidden" name="return_to" value=return_to/>
                <p class="hint">"Enter the card again with its new expiry or billing postal code."</p>
                {fields}
                <FormError id="update-card-error" message=Signal::stored(error)/>
                <div class="row">
                    <button type="submit" class="button primary" data-pending="Saving…">"Save card"</button>
                </div>
            </ActionForm>
        }
        .into_any();
    }
    view! {
        <ActionForm action=action attr:class="stack update-card" attr:novalidate=true>
            <input type="hidden" name="payment_method_id" value=card_id.to_string()/>
            <input type="hidden" name="return_to" value=return_to/>
            <div class="field-row">
                <div class="field">
                    <label for="update-expiry">"New expiry"</label>
                    <input id="update-expiry" name="new_expiry" autocomplete="cc-exp" placeholder="MM/YY" aria-describedby="update-card-hint"/>
                </div>
                <div class="field">
                    <label for="update-postal">"New billing postal code"</label>
                    <input id="update-postal" name="new_postal_code" autocomplete="postal-code" aria-describedby="update-card-hint"/>
                </div>
            </div>
            <p id="update-card-hint" class="hint">"Fill in only what changed: a blank field keeps its current value."</p>
            <FormError id="update-card-error" message=Signal::stored(error)/>
            <div class="row">
                <button type="submit" class="button primary" data-pending="Saving…">"Save card"</button>
            </div>
        </ActionForm>
    }
    .into_any()
}
