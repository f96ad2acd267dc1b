//! The spend chart's data and its component. Its data come from a usage summary (`usage::report`), its
//! option from `option.rs`; this file knows neither.

use crate::money::Usd;
use crate::ui::scroll_table::ScrollTable;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Spend per local day, stacked by service, with the day's deposits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendChart {
    pub timezone: String,
    pub days: Vec<NaiveDate>,
    /// (service, spend per day, aligned with `days`).
    pub services: Vec<(String, Vec<Usd>)>,
    /// Deposits per day, aligned with `days` (all zero on the usage page).
    pub deposits: Vec<Usd>,
    /// The ECharts option (JSON), built on the server.
    pub option: String,
}

impl SpendChart {
    fn total(&self, day: usize) -> Usd {
        Usd::new(self.services.iter().map(|(_, spend)| spend[day].amount()).sum())
    }

    /// One sentence for screen readers: the range, the total, the busiest day.
    pub fn summary(&self) -> String {
        let total = Usd::new((0..self.days.len()).map(|d| self.total(d).amount()).sum());
        let busiest = (0..self.days.len()).max_by_key(|d| self.total(*d));
        let (Some(first), Some(last)) = (self.days.first(), self.days.last()) else {
            return "No days to chart.".to_string();
        };
        let mut text = format!(
            "Spend per day from {} to {} ({}): {} in total",
            first.format("%b %-d"),
            last.format("%b %-d"),
            self.timezone,
            total.exact()
        );
        if let Some(d) = busiest.filter(|d| !self.total(*d).amount().is_zero()) {
            text.push_str(&format!(
                ", most on {} ({})",
                self.days[d].format("%b %-d"),
                self.total(d).exact()
            ));
        }
        let deposits: Vec<String> = self
            .deposits
            .iter()
            .zip(&self.days)
            .filter(|(amount, _)| !amount.amount().is_zero())
            .map(|(amount, day)| format!("{} on {}", amount.display(), day.format("%b %-d")))
            .collect();
        if !deposits.is_empty() {
            text.push_str(&format!("; deposits: {}", deposits.join(", ")));
        }
        text.push('.');
        text
    }
}

/// The chart, and the same numbers as a table (shown when the chart can't be drawn).
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
            <div class="chart" data-testid=testid data-chart=chart.option.clone() role="img" aria-label=summary.clone()></div>
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
