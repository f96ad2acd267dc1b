//! The spend chart's data. They come from a usage summary (`usage::report`); the ECharts option from
//! `option.rs`; this file knows neither. The page's figure is `figure.rs`, its drawing `bars.rs`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tollgate_domain::metering::report::UsageSummary;
use tollgate_domain::money::Usd;

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
    /// The spend chart of `usage`'s days, stacked by service, with `deposits` per day (aligned with the
    /// days). Its ECharts option is filled in on the server (`charts::option::spend_option`).
    pub fn of_usage(usage: &UsageSummary, deposits: Vec<Usd>) -> SpendChart {
        let days: Vec<NaiveDate> = usage.items.iter().map(|d| d.date).collect();
        let services = usage
            .services()
            .into_iter()
            .map(|name| {
                let spend = usage
                    .items
                    .iter()
                    .map(|d| d.services.iter().find(|s| s.service == name).map_or(Usd::ZERO, |s| s.cost))
                    .collect();
                (name, spend)
            })
            .collect();
        SpendChart { timezone: usage.timezone.clone(), days, services, deposits, option: String::new() }
    }

    /// The day's spend over all services.
    pub fn total(&self, day: usize) -> Usd {
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
