//! Recent deposits and failed attempts, with the reason for each failure; those the auto top-up rule
//! made say "Auto top-up".

use super::server_fns::RetryAddFunds;
use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::attempt::AttemptRow;

/// A failed attempt whose card is still saved offers its fix right in its row: "Retry" (the same amount
/// on the same card, charged at once) and "Update card" (the attempt's result with the card's form open),
/// so a person who closed the result dialog needn't start Add Funds over.
#[component]
pub fn DepositHistory(rows: Vec<AttemptRow>, retry: ServerAction<RetryAddFunds>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No deposits yet."</p> }.into_any();
    }
    view! {
        <ScrollTable label="Deposits and failed attempts">
            <table class="table stacked-phone">
                <thead>
                    <tr>
                        <th scope="col">"Date"</th>
                        <th scope="col" class="num">"Amount"</th>
                        <th scope="col" class="hide-narrow">"Card"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Details"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let details = if row.succeeded {
                                view! { <a href=format!("/dashboard/wallet/receipts/{}", row.id)>"Receipt"</a> }.into_any()
                            } else {
                                let fix = row.retry_card.map(|card| {
                                    let what = format!("{} on {}", row.amount.display(), row.card_label);
                                    let (retry_name, update_name) = (format!("Retry {what}"), format!("Update card for {what}"));
                                    view! {
                                        <div class="row-fix">
                                            <ActionForm action=retry attr:class="inline-form">
                                                <input type="hidden" name="attempt_id" value=row.id.to_string()/>
                                                <button type="submit" class="button small primary" data-pending="Retrying…" aria-label=retry_name>"Retry"</button>
                                            </ActionForm>
                                            <a class="button small" href=format!("/dashboard/wallet?attempt={}&edit={card}", row.id) aria-label=update_name>"Update card"</a>
                                        </div>
                                    }
                                });
                                view! { <span class="decline-reason">{row.reason.clone().unwrap_or_default()}</span> {fix} }.into_any()
                            };
                            view! {
                                <tr>
                                    <td data-label="Date">{row.when}</td>
                                    <td class="num" data-label="Amount">{row.amount.display()}</td>
                                    <td class="hide-narrow" data-label="Card">{row.card_label}</td>
                                    <td data-label="Status">
                                        {if row.succeeded {
                                            view! { <span class="tag tag-deposit">"Succeeded"</span> }
                                        } else {
                                            view! { <span class="tag tag-failed">"Failed"</span> }
                                        }}
                                        {row.auto_top_up.then(|| view! { " " <span class="tag tag-auto">"Auto top-up"</span> })}
                                        {(row.refunded > Usd::ZERO).then(|| view! { " " <span class="tag tag-refund">{format!("Refunded {}", row.refunded.display())}</span> })}
                                    </td>
                                    <td class="wrap" data-label="Details">{details}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </ScrollTable>
    }
    .into_any()
}
