//! The daily summary: per local day, spend and completed calls, by service, with totals. Also the table
//! form of the usage chart (what JavaScript-off and screen-reader users read).

use super::report::UsageSummary;
use leptos::prelude::*;

/// The services that appear anywhere in the summary, in a stable order.
pub fn services_in(summary: &UsageSummary) -> Vec<String> {
    let mut services: Vec<String> =
        summary.items.iter().flat_map(|d| d.services.iter().map(|s| s.service.clone())).collect();
    services.sort();
    services.dedup();
    services
}

#[component]
pub fn DailySummaryTable(summary: UsageSummary) -> impl IntoView {
    let services = services_in(&summary);
    let header = services.clone();
    view! {
        <div class="table-scroll">
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
                                        .map(|s| format!("{} · {}", exact(s.cost), s.requests))
                                        .unwrap_or_else(|| "—".to_string());
                                    view! { <td class="num hide-narrow">{cell}</td> }
                                })
                                .collect_view();
                            view! {
                                <tr data-day=day.date.to_string()>
                                    <th scope="row">{day.date.format("%a %b %-d, %Y").to_string()}</th>
                                    <td class="num">{day.requests}</td>
                                    <td class="num">{exact(day.cost)}</td>
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
                        <td class="num" data-testid="total-spend">{exact(summary.totals.cost)}</td>
                        {services_in(&summary).into_iter().map(|_| view! { <td class="hide-narrow"></td> }).collect_view()}
                    </tr>
                </tfoot>
            </table>
        </div>
    }
}

/// Usage amounts are shown exactly (up to 8 decimals, at least 2): `$0.00045`, `$3.34`, `$1,204.10`.
pub fn exact(amount: crate::money::Usd) -> String {
    let value = amount.amount().normalize();
    if value.scale() <= 2 {
        return amount.display();
    }
    let whole = crate::money::Usd::new(value.trunc()).display();
    let fraction = value.fract().abs().to_string();
    format!("{}{}", whole.trim_end_matches(".00"), fraction.trim_start_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Usd;

    #[test]
    fn usage_amounts_are_exact() {
        let usd = |s: &str| Usd::new(s.parse().unwrap());
        assert_eq!(exact(usd("0.00045")), "$0.00045");
        assert_eq!(exact(usd("3.34")), "$3.34");
        assert_eq!(exact(usd("1204.1")), "$1,204.10");
        assert_eq!(exact(usd("1204.12345")), "$1,204.12345");
        assert_eq!(exact(usd("0")), "$0.00");
    }
}
