//! Recent deposits and failed attempts, with the reason for each failure; those the auto top-up rule
//! made say "Auto top-up".

use crate::payments::attempt::AttemptRow;
use leptos::prelude::*;

#[component]
pub fn DepositHistory(rows: Vec<AttemptRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No deposits yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="table">
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
                                view! { <span class="decline-reason">{row.reason.clone().unwrap_or_default()}</span> }.into_any()
                            };
                            view! {
                                <tr>
                                    <td>{row.when}</td>
                                    <td class="num">{row.amount.display()}</td>
                                    <td class="hide-narrow">{row.card_label}</td>
                                    <td>
                                        {if row.succeeded {
                                            view! { <span class="tag tag-deposit">"Succeeded"</span> }
                                        } else {
                                            view! { <span class="tag tag-failed">"Failed"</span> }
                                        }}
                                        {row.auto_top_up.then(|| view! { " " <span class="tag tag-auto">"Auto top-up"</span> })}
                                    </td>
                                    <td class="wrap">{details}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
