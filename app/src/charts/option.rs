//! The ECharts option of a spend chart, built with charming. Amounts go in as exact decimal strings
//! (ECharts reads numeric strings), never as floats; `public/charts.js` shows them as `$` amounts in the
//! tooltip.

use super::bars::PALETTE;
use super::spend::SpendChart;
use charming::component::{Axis, Grid, Legend};
use charming::element::{AxisType, Symbol, TextStyle, Tooltip, Trigger};
use charming::series::{Bar, Scatter};
use charming::Chart;

/// A value axis whose title starts at the axis and runs into the chart (`align` is the side it hangs from).
fn axis_titled(title: &str, align: &str) -> Axis {
    Axis::new().type_(AxisType::Value).name(title).name_text_style(TextStyle::new().align(align))
}

/// The option JSON for `chart` (its `option` field is ignored).
pub fn spend_option(chart: &SpendChart) -> String {
    let days: Vec<String> = chart.days.iter().map(|d| d.format("%b %-d").to_string()).collect();
    let mut option = Chart::new()
        // The server's drawing (`bars.rs`) colours each series from the same list.
        .color(PALETTE.to_vec())
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().bottom(0))
        // `contain_label` keeps the tick labels inside the canvas but not the axis titles, which sit above
        // the axes: the top margin makes room for them, and each title is aligned inward from its axis so
        // it never runs past the canvas's corner.
        .grid(Grid::new().left(8).right(8).top(36).bottom(48).contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).data(days))
        .y_axis(axis_titled("Spend ($)", "left"));
    let has_deposits = chart.deposits.iter().any(|d| !d.amount().is_zero());
    if has_deposits {
        option = option.y_axis(axis_titled("Deposits ($)", "right").position("right"));
    }
    for (service, spend) in &chart.services {
        let data: Vec<String> = spend.iter().map(|s| s.amount().normalize().to_string()).collect();
        option = option.series(Bar::new().name(service.as_str()).stack("spend").data(data));
    }
    if has_deposits {
        let data: Vec<String> = chart
            .deposits
            .iter()
            .map(|d| if d.amount().is_zero() { "-".to_string() } else { d.amount().normalize().to_string() })
            .collect();
        option = option.series(
            Scatter::new().name("Deposit").y_axis_index(1).symbol(Symbol::Pin).symbol_size(28).data(data),
        );
    }
    serde_json::to_string(&option).unwrap_or_default()
}
