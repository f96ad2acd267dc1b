//! `/admin/accounts/:id`: one account's whole file — its balance split into paid, promotional and held,
//! promotional grants, deposits, ledger, keys, members, auto top-up and audit log — and the actions the
//! looking staff member's role allows, each with a reason.

use super::money_forms::{
    done_message, AdjustForm, DisputeOutcomeCell, GrantForm, RefundCell, WaitingSection,
};
use super::server_fns::{
    get_account_file, get_staff_me, AdjustBalance, Approve, GrantPromotionalCredit, PauseKey,
    RecordDisputeOutcome, RefundDeposit,
};
use crate::ui::form_error::{url_error, ErrorMessage, FormError};
use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use tollgate_domain::audit_log::{action_label, channel_label};
use tollgate_domain::back_office::{AccountFile, StaffView};
use tollgate_domain::keys::settings::KeyStatus;
use tollgate_domain::staff::StaffPower;
use uuid::Uuid;

#[component]
pub fn AccountPage() -> impl IntoView {
    let params = use_params_map();
    let account_id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<Uuid>().ok()));
    let file = Resource::new(
        move || account_id.get(),
        |id| async move {
            match id {
                Some(id) => get_account_file(id).await,
                None => Err(tollgate_domain::error::AppError::NotFound),
            }
        },
    );
    let me = Resource::new(|| (), |_| get_staff_me());
    let actions = Actions {
        grant: ServerAction::new(),
        pause: ServerAction::new(),
        adjust: ServerAction::new(),
        refund: ServerAction::new(),
        approve: ServerAction::new(),
        dispute: ServerAction::new(),
    };
    let url_error = url_error();
    let error = Signal::derive(move || {
        let failed =
            |value: Option<Result<(), tollgate_domain::error::AppError>>| value.and_then(Result::err);
        failed(actions.grant.value().get())
            .or_else(|| failed(actions.pause.value().get()))
            .or_else(|| failed(actions.adjust.value().get()))
            .or_else(|| failed(actions.refund.value().get()))
            .or_else(|| failed(actions.approve.value().get()))
            .or_else(|| failed(actions.dispute.value().get()))
            .or_else(|| url_error.get())
            .map(|e| e.message())
    });
    let query = use_query_map();
    // What the last action did (`?done=`), unless an error came back since.
    let done = Signal::derive(move || {
        error.get().is_none().then(|| query.read().get("done").and_then(|d| done_message(&d))).flatten()
    });
    view! {
        <main class="page">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match (file.await, me.await) {
                        (Ok(file), Ok(me)) => view! { <AccountFileView file me actions error done/> }.into_any(),
                        (Err(err), _) | (_, Err(err)) => view! {
                            <h1>"Account"</h1>
                            <ErrorMessage message=err.message()/>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The account page's forms, one action each.
#[derive(Clone, Copy)]
struct Actions {
    grant: ServerAction<GrantPromotionalCredit>,
    pause: ServerAction<PauseKey>,
    adjust: ServerAction<AdjustBalance>,
    refund: ServerAction<RefundDeposit>,
    approve: ServerAction<Approve>,
    dispute: ServerAction<RecordDisputeOutcome>,
}

#[component]
fn AccountFileView(
    file: AccountFile,
    me: StaffView,
    actions: Actions,
    error: Signal<Option<String>>,
    done: Signal<Option<&'static str>>,
) -> impl IntoView {
    let account_id = file.account_id.to_string();
    let pause = actions.pause;
    let may_pause = me.role.may(StaffPower::PauseKey);
    let may_refund = me.role.may(StaffPower::Refund);
    let may_settle = me.role.may(StaffPower::SettleDispute);
    view! {
        <div class="page-head">
            <h1>{file.name.clone()}</h1>
        </div>
        <p class="muted" data-testid="account-facts">
            {format!("{} account · opened {} · timezone {} · id {}", file.kind, file.opened, file.timezone, file.account_id)}
        </p>
        <section class="card balance-card" aria-labelledby="admin-balance-heading">
            <h2 id="admin-balance-heading" class="card-label">"Balance"</h2>
            <p class="balance-amount" data-testid="admin-balance">{file.balance.display()}</p>
            <dl class="facts">
                <div><dt>"Paid"</dt><dd data-testid="admin-paid">{file.paid.exact()}</dd></div>
                <div><dt>"Promotional"</dt><dd data-testid="admin-promotional">{file.promotional.exact()}</dd></div>
                <div><dt>"Held"</dt><dd>{file.held.exact()}</dd></div>
                <div><dt>"Auto top-up"</dt><dd>{file.auto_top_up.clone()}</dd></div>
            </dl>
        </section>
        <FormError id="admin-error" message=error/>
        {move || done.get().map(|done| view! { <p class="notice" role="status" data-testid="admin-done">{done}</p> })}
        <WaitingSection waiting=file.waiting.clone() me=me.clone() account_id=file.account_id action=actions.approve/>
        {me.role.may(StaffPower::GrantPromotionalCredit).then(|| view! { <GrantForm action=actions.grant account_id=account_id.clone()/> })}
        {me.role.may(StaffPower::Adjust).then(|| view! { <AdjustForm action=actions.adjust account_id=account_id.clone()/> })}
        <FileSection title="Promotional credit" testid="admin-grants" empty="No promotional credit granted."
            columns=&["Amount", "Left", "Expires (UTC)", "Reason", "Granted by"]
            rows=(!file.grants.is_empty()).then(|| file.grants.into_iter().map(|g| view! {
                <tr>
                    <td class="lead">{g.amount.display()}</td>
                    <td data-label="Left">{if g.expired { "Expired".to_string() } else { g.left.exact() }}</td>
                    <td data-label="Expires">{g.expires}</td>
                    <td data-label="Reason" class="wrap">{g.reason}</td>
                    <td data-label="Granted by" class="wrap">{g.granted_by}</td>
                </tr>
            }).collect_view().into_any())/>
        <FileSection title="Deposits and failed attempts" testid="admin-deposits" empty="No deposits yet."
            columns=&["Payment id", "Amount", "Card", "Status", "Refunded", "Refundable", "When (UTC)", "Refund"]
            rows=(!file.deposits.is_empty()).then(|| file.deposits.into_iter().map(|d| {
                let refund = (may_refund && d.refundable > tollgate_domain::money::Usd::ZERO)
                    .then(|| view! { <RefundCell action=actions.refund account_id=file.account_id deposit=d.clone()/> });
                view! {
                    <tr>
                        <td class="lead mono">{d.payment_id.to_string()}</td>
                        <td data-label="Amount">{d.amount.display()}</td>
                        <td data-label="Card">{d.card}</td>
                        <td data-label="Status">{if d.succeeded { "Succeeded".to_string() } else { format!("Failed: {}", d.failure.unwrap_or_default()) }}</td>
                        <td data-label="Refunded">{d.refunded.display()}</td>
                        <td data-label="Refundable">{d.refundable.display()}</td>
                        <td data-label="When">{d.when}</td>
                        <td data-label="Refund">{refund}</td>
                    </tr>
                }
            }).collect_view().into_any())/>
        <FileSection title="Refunds" testid="admin-refunds" empty="No refunds."
            columns=&["Amount", "Deposit", "Status", "Reason", "Asked by", "When (UTC)"]
            rows=(!file.refunds.is_empty()).then(|| file.refunds.into_iter().map(|r| view! {
                <tr>
                    <td class="lead">{r.amount.display()}</td>
                    <td data-label="Deposit" class="mono">{r.payment_id.to_string()}</td>
                    <td data-label="Status" class="wrap">{match r.failure {
                        Some(failure) => format!("{}: {failure}", refund_status(&r.status)),
                        None => refund_status(&r.status).to_string(),
                    }}</td>
                    <td data-label="Reason" class="wrap">{r.reason}</td>
                    <td data-label="Asked by" class="wrap">{r.requested_by}</td>
                    <td data-label="When">{r.requested_at}</td>
                </tr>
            }).collect_view().into_any())/>
        <FileSection title="Disputes" testid="admin-disputes" empty="No card disputes."
            columns=&["Amount", "Deposit", "Status", "Bank's reason", "Opened (UTC)", "Outcome"]
            rows=(!file.disputes.is_empty()).then(|| file.disputes.into_iter().map(|d| {
                let outcome = (may_settle && d.status == "opened")
                    .then(|| view! { <DisputeOutcomeCell action=actions.dispute account_id=file.account_id dispute=d.clone()/> });
                view! {
                    <tr>
                        <td class="lead">{d.amount.display()}</td>
                        <td data-label="Deposit" class="mono">{d.payment_id.to_string()}</td>
                        <td data-label="Status">{match d.status.as_str() { "opened" => "Open: amount withdrawn", "won" => "Won: returned", _ => "Lost" }}</td>
                        <td data-label="Bank's reason">{d.reason.unwrap_or_default()}</td>
                        <td data-label="Opened">{d.opened}</td>
                        <td data-label="Outcome">{outcome}</td>
                    </tr>
                }
            }).collect_view().into_any())/>
        <FileSection title="Ledger" testid="admin-ledger" empty="No entries yet."
            columns=&["Kind", "Amount", "Balance after", "Reference", "When (UTC)"]
            rows=(!file.ledger.is_empty()).then(|| file.ledger.into_iter().map(|e| view! {
                <tr>
                    <td class="lead"><span class=format!("tag tag-{}", e.kind.tag())>{e.kind.label()}</span></td>
                    <td data-label="Amount">{e.amount.exact()}</td>
                    <td data-label="Balance after">{e.balance_after.exact()}</td>
                    <td data-label="Reference" class="wrap mono">{e.reference}</td>
                    <td data-label="When">{e.when}</td>
                </tr>
            }).collect_view().into_any())/>
        <FileSection title="Keys" testid="admin-keys" empty="No keys."
            columns=&["Name", "Prefix", "Status", "Spent", "Action"]
            rows=(!file.keys.is_empty()).then(|| file.keys.into_iter().map(|k| {
                let active = k.status == KeyStatus::Active;
                let account_id = account_id.clone();
                let reason_id = format!("pause-reason-{}", k.id);
                view! {
                    <tr>
                        <td class="lead">{k.name.clone()}</td>
                        <td data-label="Prefix" class="mono">{k.prefix}</td>
                        <td data-label="Status">{format!("{:?}", k.status)}</td>
                        <td data-label="Spent">{k.total_spend.exact()}</td>
                        <td data-label="Action">
                            {(may_pause && active).then(move || view! {
                                <ActionForm action=pause attr:class="inline-form">
                                    <input type="hidden" name="account_id" value=account_id.clone()/>
                                    <input type="hidden" name="key_id" value=k.id.to_string()/>
                                    <label for=reason_id.clone() class="visually-hidden">{format!("Reason for pausing {}", k.name)}</label>
                                    <input id=reason_id name="reason" required maxlength="500" placeholder="Reason" aria-describedby="admin-error"/>
                                    <button type="submit" class="button">"Pause key"</button>
                                </ActionForm>
                            })}
                        </td>
                    </tr>
                }
            }).collect_view().into_any())/>
        <section class="card" aria-labelledby="admin-members-heading">
            <h2 id="admin-members-heading">"Members"</h2>
            <ul class="plain-list" data-testid="admin-members">
                {file.members.into_iter().map(|m| view! { <li>{format!("{} · {}", m.email, m.role.label())}</li> }).collect_view()}
            </ul>
        </section>
        <FileSection title="Audit log" testid="admin-audit" empty="Nothing has been recorded yet."
            columns=&["Action", "Detail", "Who", "Channel", "Time (UTC)"]
            rows=(!file.audit.is_empty()).then(|| file.audit.into_iter().map(|row| view! {
                <tr>
                    <td class="lead">{action_label(&row.action)}</td>
                    <td class="wrap">{row.detail}</td>
                    <td data-label="Who" class="wrap">{row.who}</td>
                    <td data-label="Channel">{channel_label(&row.channel)}</td>
                    <td data-label="When">{row.at}</td>
                </tr>
            }).collect_view().into_any())/>
    }
}

/// One part of the file: a card with its heading and its table, or — with no rows — a sentence saying so.
#[component]
fn FileSection(
    /// The heading, also the table's name.
    title: &'static str,
    /// The table's `data-testid`, and the heading's id with "-heading".
    testid: &'static str,
    /// What the card says when there are no rows.
    empty: &'static str,
    columns: &'static [&'static str],
    /// The table's rows; `None` when there are none.
    rows: Option<AnyView>,
) -> impl IntoView {
    let heading = format!("{testid}-heading");
    let labelled_by = heading.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=heading>{title}</h2>
            {match rows {
                None => view! { <p class="empty">{empty}</p> }.into_any(),
                Some(rows) => view! {
                    <ScrollTable label=title>
                        <table class="table stacked" data-testid=testid>
                            <thead><tr>
                                {columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </ScrollTable>
                }.into_any(),
            }}
        </section>
    }
}

/// How the back office words a refund's status.
fn refund_status(status: &str) -> &'static str {
    match status {
        "awaiting_approval" => "Waiting for approval",
        "pending" => "Sent, waiting for the processor",
        "succeeded" => "Refunded",
        "failed" => "Failed, money back in the wallet",
        "refused" => "Refused at approval",
        _ => "Unknown",
    }
}
