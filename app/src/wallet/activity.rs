//! "Recent activity": the latest ledger entries — deposits in, paid calls out — with the balance after each.
//! Amounts are exact (`-$0.0042`), never rounded to a cent; balances are shown to the cent, as everywhere.

use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;
use tollgate_domain::ledger::wallet::ActivityRow;

#[component]
pub fn ActivityTable(rows: Vec<ActivityRow>) -> impl IntoView {
    view! {
        <ScrollTable label="Recent activity">
            <table class="table stacked-phone">
                <thead>
                    <tr>
                        <th scope="col">"Date"</th>
                        <th scope="col" class="hide-narrow">"Type"</th>
                        <th scope="col" class="num">"Amount"</th>
                        <th scope="col" class="num">"Balance after"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let credit = !row.amount.is_negative();
                            // Exact, as charged: a paid call of $0.0042 must never read as $0.00.
                            let amount = if credit { format!("+{}", row.amount.exact()) } else { row.amount.exact() };
                            view! {
                                <tr>
                                    <td data-label="Date">{row.when}</td>
                                    <td class="hide-narrow" data-label="Type"><span class=format!("tag tag-{}", row.kind.tag())>{row.kind.label()}</span></td>
                                    <td class=if credit { "num credit" } else { "num" } data-label="Amount">{amount}</td>
                                    <td class="num" data-label="Balance after">{row.balance_after.display()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </ScrollTable>
    }
}
