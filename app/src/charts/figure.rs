//! The spend chart as a page shows it: the server's drawing (`bars.rs`), its one-sentence summary, and
//! the same numbers as a table.

use super::bars::SpendBars;
use super::spend::SpendChart;
use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;

/// The chart (drawn by the server, `bars.rs`; ECharts takes over on a pointer, `public/charts.js`), and the
/// same numbers as a table: visible with JavaScript off, for screen readers otherwise.
#[component]
pub fn SpendChartView(chart: SpendChart, testid: &'static str) -> impl IntoView {
    let summary = chart.summary();
    let has_deposits = chart.deposits.iter().any(|d| !d.amount().is_zero());
    let rows: Vec<_> =
        (0..chart.days.len()).rev().map(|d| (chart.days[d], chart.total(d), chart.deposits[d])).collect();
    let breakdown = |d: usize| {
        chart
            .services
            .iter()
            .filter(|(_, spend)| !spend[d].amount().is_zero())
            .map(|(service, spend)| format!("{service} {}", spend[d].exact()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let by_service: Vec<String> = (0..chart.days.len()).rev().map(breakdown).collect();
    view! {
        <figure class="chart-figure">
            <div class="chart" data-testid=testid data-chart=chart.option.clone() role="img" aria-label=summary.clone()>
                <SpendBars chart=chart.clone()/>
            </div>
            <figcaption class="muted chart-caption">{summary}</figcaption>
            <ScrollTable label="Spend per day" class="chart-table">
                <table class="table">
                    <caption class="visually-hidden">"Spend per day"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Day"</th>
                            <th scope="col" class="num">"Spend"</th>
                            <th scope="col" class="hide-narrow">"By service"</th>
                            {has_deposits.then(|| view! { <th scope="col" class="num">"Deposits"</th> })}
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .zip(by_service)
                            .map(|((day, total, deposit), services)| view! {
                                <tr>
                                    <th scope="row">{day.format("%b %-d").to_string()}</th>
                                    <td class="num">{total.exact()}</td>
                                    <td class="hide-narrow wrap">{services}</td>
                                    {has_deposits.then(|| view! {
                                        <td class="num">{if deposit.amount().is_zero() { String::new() } else { deposit.display() }}</td>
                                    })}
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </ScrollTable>
        </figure>
    }
}
