//! The daily summary: per local day, spend and completed calls, by service, with totals. Also the table
//! form of the usage chart (what JavaScript-off and screen-reader users read).

use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;
use tollgate_domain::metering::report::UsageSummary;

#[component]
pub fn DailySummaryTable(summary: UsageSummary) -> impl IntoView {
    let services = summary.services();
    let header = services.clone();
    view! {
        <ScrollTable label="Daily summary">
            <table class="table" data-testid="daily-summary">
                <caption class="visually-hidden">{format!("Spend and completed calls per day, {}", summary.timezone)}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Day"</th>
                        <th scope="col" class="num">"Requests"</th>
                        <th scope="col" class="num">"Spend"</th>
                        {header.into_iter().map(|s| view! { <th scope="col" class="num hide-narrow">{s}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {summary
                        .items
                        .iter()
                        .rev()
                        .map(|day| {
                            let per_service = services
                                .iter()
                                .map(|name| {
                                    let cell = day
                                        .services
                                        .iter()
                                        .find(|s| &s.service == name)
                                        .map(|s| format!("{} · {}", s.cost.exact(), s.requests))
                                        .unwrap_or_else(|| "—".to_string());
                                    view! { <td class="num hide-narrow">{cell}</td> }
                                })
                                .collect_view();
                            view! {
                                <tr data-day=day.date.to_string()>
                                    <th scope="row">{day.date.format("%a %b %-d, %Y").to_string()}</th>
                                    <td class="num">{day.requests}</td>
                                    <td class="num">{day.cost.exact()}</td>
                                    {per_service}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
                <tfoot>
                    <tr>
                        <th scope="row">"Total"</th>
                        <td class="num" data-testid="total-requests">{summary.totals.requests}</td>
                        <td class="num" data-testid="total-spend">{summary.totals.cost.exact()}</td>
                        {summary.services().into_iter().map(|_| view! { <td class="hide-narrow"></td> }).collect_view()}
                    </tr>
                </tfoot>
            </table>
        </ScrollTable>
    }
}
