//! The spend chart as a page shows it: the server's drawing (`bars.rs`), its one-sentence summary, and
//! the same numbers as a table.

use super::bars::spend_bars;
use super::spend::SpendChart;
use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;

/// The chart (drawn by the server, `bars.rs`; ECharts takes over on a pointer, `public/charts.js`), and the
/// same numbers as a table: visible with JavaScript off, for screen readers otherwise.
#[component]
pub fn SpendChartView(chart: SpendChart, testid: &'static str) -> impl IntoView {
    let summary = chart.summary();
    let has_deposits = chart.deposits.iter().any(|d| !d.amount().is_zero());
    let rows = table_rows_html(&chart, has_deposits);
    view! {
        <figure class="chart-figure">
            <div class="chart" data-testid=testid data-chart=chart.option.clone() role="img" aria-label=summary.clone()>
                {spend_bars(&chart)}
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
                    <tbody inner_html=rows></tbody>
                </table>
            </ScrollTable>
        </figure>
    }
}

/// The table's rows, newest day first, written straight to one string like the drawing (`bars.rs`):
/// day, spend, spend by service, and the day's deposit when the chart has any. Service names are escaped.
fn table_rows_html(chart: &SpendChart, has_deposits: bool) -> String {
    use std::fmt::Write;
    let mut html = String::with_capacity(4 * 1024);
    for d in (0..chart.days.len()).rev() {
        let services = chart
            .services
            .iter()
            .filter(|(_, spend)| !spend[d].amount().is_zero())
            .map(|(service, spend)| format!("{service} {}", spend[d].exact()))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            html,
            r#"<tr><th scope="row">{}</th><td class="num">{}</td><td class="hide-narrow wrap">{}</td>"#,
            chart.days[d].format("%b %-d"),
            chart.total(d).exact(),
            html_escape::encode_text(&services)
        );
        if has_deposits {
            let deposit = chart.deposits[d];
            let shown = if deposit.amount().is_zero() { String::new() } else { deposit.display() };
            let _ = write!(html, r#"<td class="num">{shown}</td>"#);
        }
        html.push_str("</tr>");
    }
    html
}
