//! `/dashboard/statements`: the account's months, newest first, each from its opening to its closing
//! balance, with "Download PDF" and "Download CSV". Nothing on it changes anything.

use super::server_fns::get_statements;
use crate::ui::form_error::ErrorMessage;
use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;
use tollgate_domain::money::Usd;
use tollgate_domain::statements::{MonthStatement, StatementsView};

#[component]
pub fn StatementsPage() -> impl IntoView {
    let statements = Resource::new(|| (), |_| get_statements());
    view! {
        <main class="page">
            <h1>"Statements"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match statements.await {
                        Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                        Ok(view) => view! { <StatementsTable view/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn StatementsTable(view: StatementsView) -> impl IntoView {
    let StatementsView { timezone, months } = view;
    view! {
        <p class="muted">
            {format!("One statement per calendar month in your account's timezone ({timezone}); the current month is to date. ")}
            "Each month's closing balance is the next month's opening balance."
        </p>
        <ScrollTable label="Monthly statements">
            <table class="table stacked statements" data-testid="statements">
                <caption class="visually-hidden">"Monthly statements, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Month"</th>
                        <th scope="col" class="num">"Opening balance"</th>
                        <th scope="col" class="num">"Deposits"</th>
                        <th scope="col" class="num">"Refunds"</th>
                        <th scope="col" class="num">"Promotional credit"</th>
                        <th scope="col" class="num">"Adjustments"</th>
                        <th scope="col" class="num">"Disputes"</th>
                        <th scope="col" class="num">"Usage"</th>
                        <th scope="col" class="num">"Closing balance"</th>
                    </tr>
                </thead>
                <tbody>
                    {months.into_iter().map(|month| view! { <MonthRow month/> }).collect_view()}
                </tbody>
            </table>
        </ScrollTable>
    }
}

#[component]
fn MonthRow(month: MonthStatement) -> impl IntoView {
    let label = month.month.label();
    let promotional = promotional_cell(month.promotional_granted, month.promotional_expired);
    let disputes = Usd::new(month.disputes.amount() + month.disputes_won.amount());
    let (pdf, csv) = (month.file_path("pdf"), month.file_path("csv"));
    view! {
        <tr data-month=month.month.to_string()>
            <td class="lead">
                {label.clone()}
                {month.to_date.then(|| view! { " " <span class="to-date">"(to date)"</span> })}
                <span class="downloads">
                    <a href=pdf download>"Download PDF"<span class="visually-hidden">{format!(" for {label}")}</span></a>
                    " "
                    <a href=csv download>"Download CSV"<span class="visually-hidden">{format!(" for {label}")}</span></a>
                </span>
            </td>
            <td data-label="Opening balance" class="num">{month.opening.exact()}</td>
            <td data-label="Deposits" class="num">{month.deposits.exact()}</td>
            <td data-label="Refunds" class="num">{month.refunds.exact()}</td>
            <td data-label="Promotional credit" class="num">{promotional}</td>
            <td data-label="Adjustments" class="num">{month.adjustments.exact()}</td>
            <td data-label="Disputes" class="num">{disputes.exact()}</td>
            <td data-label="Usage" class="num">
                {month.usage.exact()}
                {(!month.usage_by_service.is_empty()).then(|| view! {
                    <ul class="plain-list by-service">
                        {month.usage_by_service.into_iter().map(|s| view! {
                            <li>{format!("{}: {} ({} {})", s.service, s.spent.exact(), s.calls, if s.calls == 1 { "call" } else { "calls" })}</li>
                        }).collect_view()}
                    </ul>
                })}
            </td>
            <td data-label="Closing balance" class="num"><strong>{month.closing.exact()}</strong></td>
        </tr>
    }
}

/// "+$5.00 granted, -$1.00 expired", or "$0.00" when neither moved.
fn promotional_cell(granted: Usd, expired: Usd) -> String {
    let mut parts = Vec::new();
    if !granted.amount().is_zero() {
        parts.push(format!("+{} granted", granted.exact()));
    }
    if !expired.amount().is_zero() {
        parts.push(format!("{} expired", expired.exact()));
    }
    if parts.is_empty() {
        Usd::ZERO.exact()
    } else {
        parts.join(", ")
    }
}
