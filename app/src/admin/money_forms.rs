//! The account page's money forms: "Grant promotional credit", "Adjust balance", a deposit's "Refund", and
//! the approvals waiting for a second person. Each posts to its server function and works without
//! JavaScript; refusals come back in the page's error region (`admin-error`).

use super::server_fns::{
    AdjustBalance, Approve, GrantPromotionalCredit, RecordDisputeOutcome, RefundDeposit,
};
use leptos::prelude::*;
use tollgate_domain::back_office::{DepositFileRow, DisputeFileRow, StaffView, WaitingKind, WaitingRow};
use tollgate_domain::staff::StaffPower;
use uuid::Uuid;

/// What the page says after an action (`?done=`): only the words of ours.
pub fn done_message(done: &str) -> Option<&'static str> {
    Some(match done {
        "granted" => "Promotional credit granted.",
        "paused" => "Key paused.",
        "adjusted" => "Balance adjusted.",
        "awaiting_approval" => {
            "Saved: it waits for a second finance or admin person's approval. Nothing has moved yet."
        }
        "refunded" => "Refund sent to the card.",
        "refund_failed" => "The processor refused the refund: the money is back in the wallet (see Refunds).",
        "refund_pending" => {
            "Refund sent; the processor's answer is pending. It is asked again within a minute."
        }
        "refused" => "Refused: it no longer fits, so nothing moved.",
        "dispute_won" => "Recorded: the dispute was won, and its amount is back in the wallet.",
        "dispute_lost" => "Recorded: the dispute was lost; its amount stays withdrawn.",
        _ => return None,
    })
}

#[component]
pub fn GrantForm(action: ServerAction<GrantPromotionalCredit>, account_id: String) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="grant-heading">
            <h2 id="grant-heading">"Grant promotional credit"</h2>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="account_id" value=account_id/>
                <div class="field">
                    <label for="grant-amount">"Amount"</label>
                    <div class="money-input">
                        <span aria-hidden="true">"$"</span>
                        <input id="grant-amount" name="amount" inputmode="decimal" autocomplete="off" required aria-describedby="grant-hint admin-error"/>
                    </div>
                    <p id="grant-hint" class="hint">"Spent before paid credit; what is left of it leaves the wallet when it expires. Never refunded to a card."</p>
                </div>
                <div class="field">
                    <label for="grant-expires">"Expires on"</label>
                    <input id="grant-expires" name="expires_on" type="date" required aria-describedby="grant-expires-hint admin-error"/>
                    <p id="grant-expires-hint" class="hint">"At the start of that day, in the account's timezone."</p>
                </div>
                <div class="field">
                    <label for="grant-reason">"Reason"</label>
                    <input id="grant-reason" name="reason" required maxlength="500" aria-describedby="admin-error"/>
                </div>
                <div class="row">
                    <button type="submit" class="button primary" data-pending="Granting…">"Grant credit"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn AdjustForm(action: ServerAction<AdjustBalance>, account_id: String) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="adjust-heading">
            <h2 id="adjust-heading">"Adjust balance"</h2>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="account_id" value=account_id/>
                <div class="field">
                    <label for="adjust-amount">"Adjustment"</label>
                    <div class="money-input">
                        <span aria-hidden="true">"$"</span>
                        <input id="adjust-amount" name="amount" inputmode="decimal" autocomplete="off" required aria-describedby="adjust-hint admin-error"/>
                    </div>
                    <p id="adjust-hint" class="hint">"Paid credit: positive adds, negative (-5.00) takes away, never below zero. Above $1,000.00 either way, a second person approves it first."</p>
                </div>
                <div class="field">
                    <label for="adjust-reason">"Reason for the adjustment"</label>
                    <input id="adjust-reason" name="reason" required maxlength="500" aria-describedby="admin-error"/>
                </div>
                <div class="row">
                    <button type="submit" class="button" data-pending="Saving…">"Adjust balance"</button>
                </div>
            </ActionForm>
        </section>
    }
}

/// A deposit's "Refund" form, in its row: an amount (at most what is refundable) and a reason.
#[component]
pub fn RefundCell(
    action: ServerAction<RefundDeposit>,
    account_id: Uuid,
    deposit: DepositFileRow,
) -> impl IntoView {
    let id = deposit.payment_id.simple().to_string();
    let (amount_id, reason_id) = (format!("refund-amount-{id}"), format!("refund-reason-{id}"));
    let what = format!("the {} deposit of {}", deposit.amount.display(), deposit.when);
    view! {
        <ActionForm action=action attr:class="inline-form" attr:novalidate=true>
            <input type="hidden" name="account_id" value=account_id.to_string()/>
            <input type="hidden" name="payment_id" value=deposit.payment_id.to_string()/>
            <label for=amount_id.clone() class="visually-hidden">{format!("Amount to refund of {what}")}</label>
            <input id=amount_id name="amount" inputmode="decimal" autocomplete="off" required
                placeholder=deposit.refundable.json_cents() aria-describedby="admin-error"/>
            <label for=reason_id.clone() class="visually-hidden">{format!("Reason for refunding {what}")}</label>
            <input id=reason_id name="reason" required maxlength="500" placeholder="Reason" aria-describedby="admin-error"/>
            <button type="submit" class="button" data-pending="Refunding…">"Refund"</button>
        </ActionForm>
    }
}

/// Refunds and adjustments above $1,000.00 waiting for a second person: "Approve" for a finance or admin
/// person who didn't ask for it.
#[component]
pub fn WaitingSection(
    waiting: Vec<WaitingRow>,
    me: StaffView,
    account_id: Uuid,
    action: ServerAction<Approve>,
) -> impl IntoView {
    if waiting.is_empty() {
        return ().into_any();
    }
    let may_approve = me.role.may(StaffPower::Approve);
    view! {
        <section class="card" aria-labelledby="waiting-heading">
            <h2 id="waiting-heading">"Waiting for approval"</h2>
            <ul class="plain-list" data-testid="admin-waiting">
                {waiting.into_iter().map(|w| {
                    let what = match w.kind {
                        WaitingKind::Refund => format!("Refund of {}", w.amount.display()),
                        WaitingKind::Adjustment => format!("Adjustment of {}", w.amount.display()),
                    };
                    let mine = w.requested_by == me.email;
                    let kind = match w.kind { WaitingKind::Refund => "Refund", WaitingKind::Adjustment => "Adjustment" };
                    view! {
                        <li>
                            <span class="wrap">{format!("{what}, asked by {} on {}: {}", w.requested_by, w.requested_at, w.reason)}</span>
                            {match (may_approve, mine) {
                                (true, false) => view! {
                                    <ActionForm action=action attr:class="inline-form">
                                        <input type="hidden" name="account_id" value=account_id.to_string()/>
                                        <input type="hidden" name="kind" value=kind/>
                                        <input type="hidden" name="id" value=w.id.to_string()/>
                                        <button type="submit" class="button primary" aria-label=format!("Approve: {what}")>"Approve"</button>
                                    </ActionForm>
                                }.into_any(),
                                (_, true) => view! { <span class="muted">"Waiting for someone else"</span> }.into_any(),
                                (false, false) => ().into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

/// An open dispute's "Won" / "Lost", in its row, with a reason.
#[component]
pub fn DisputeOutcomeCell(
    action: ServerAction<RecordDisputeOutcome>,
    account_id: Uuid,
    dispute: DisputeFileRow,
) -> impl IntoView {
    let reason_id = format!("dispute-reason-{}", dispute.id.simple());
    view! {
        <ActionForm action=action attr:class="inline-form" attr:novalidate=true>
            <input type="hidden" name="account_id" value=account_id.to_string()/>
            <input type="hidden" name="dispute_id" value=dispute.id.to_string()/>
            <label for=reason_id.clone() class="visually-hidden">{format!("Reason for the outcome of dispute {}", dispute.processor_dispute_id)}</label>
            <input id=reason_id name="reason" required maxlength="500" placeholder="Reason" aria-describedby="admin-error"/>
            <button type="submit" class="button" name="outcome" value="won">"Won"</button>
            <button type="submit" class="button" name="outcome" value="lost">"Lost"</button>
        </ActionForm>
    }
}
