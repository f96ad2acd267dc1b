//! The spend chart drawn as HTML by the server: stacked bars per day, the deposits as dots on their own
//! scale, the axes and the legend. It is what a page shows at first paint and with JavaScript off; ECharts
//! (`public/charts.js`) draws over it only once a person points at the chart, for its tooltips — loading
//! ECharts with every page cost more than a slow phone's budget (docs/BENCHMARKS.md "Lighthouse").
//! Heights are percentages of the plot, so the chart fits any width without a script measuring it.

use super::spend::SpendChart;
use leptos::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// ECharts' default palette, set explicitly in the ECharts option too (`option.rs`), so a series has the
/// same colour in both drawings: services in order, then the deposits.
pub const PALETTE: [&str; 9] =
    ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"];

/// The colour of the series at `index` (ECharts wraps around its palette the same way).
pub fn series_colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// A value axis: `intervals` steps of `step` from 0, the top at or above the largest value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    pub step: Decimal,
    pub intervals: u32,
}

impl Scale {
    /// About four intervals of a round step (1, 2 or 5 times a power of ten), as ECharts picks its ticks.
    /// An empty axis runs from 0 to 1.
    pub fn fitting(max: Decimal) -> Scale {
        if max <= Decimal::ZERO {
            return Scale { step: Decimal::new(25, 2), intervals: 4 };
        }
        let rough = max / Decimal::from(4);
        let ten = Decimal::TEN;
        let mut power = Decimal::ONE;
        while power * ten <= rough {
            power *= ten;
        }
        while power > rough {
            power /= ten;
        }
        let step = [Decimal::ONE, Decimal::TWO, Decimal::new(5, 0), ten]
            .into_iter()
            .map(|m| m * power)
            .find(|step| *step >= rough)
            .unwrap_or(ten * power);
        let intervals = (max / step).ceil().to_u32().unwrap_or(4).max(1);
        Scale { step, intervals }
    }

    pub fn top(&self) -> Decimal {
        self.step * Decimal::from(self.intervals)
    }

    /// The tick labels from the top down to 0.
    fn ticks(&self) -> Vec<String> {
        (0..=self.intervals).rev().map(|i| (self.step * Decimal::from(i)).normalize().to_string()).collect()
    }
}

/// `part` as a CSS percentage of `whole` (two decimals: a hundredth of a percent is below a pixel).
fn percent(part: Decimal, whole: Decimal) -> String {
    let share = (part * Decimal::ONE_HUNDRED / whole).round_dp(2).clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
    format!("{}%", share.normalize())
}

/// Which days carry a label under the axis: about six, always the last (today, on the wallet page), counted
/// from it; `Some(true)` for every other one of them, which a narrow screen leaves out.
fn label_of(day: usize, days: usize) -> Option<bool> {
    let step = days.div_ceil(6).max(1);
    let from_last = days - 1 - day;
    from_last.is_multiple_of(step).then_some(!(from_last / step).is_multiple_of(2))
}

/// The drawing; `aria-hidden` because the figure's label and table say the same for screen readers.
#[component]
pub fn SpendBars(chart: SpendChart) -> impl IntoView {
    let days = chart.days.len();
    let spend_scale = Scale::fitting((0..days).map(|d| chart.total(d).amount()).max().unwrap_or_default());
    let spend_top = spend_scale.top();
    let max_deposit = chart.deposits.iter().map(|d| d.amount()).max().unwrap_or_default();
    let deposit_scale = (max_deposit > Decimal::ZERO).then(|| Scale::fitting(max_deposit));
    let deposit_top = deposit_scale.map(|scale| scale.top());
    let deposit_colour = series_colour(chart.services.len());
    let columns = (0..days)
        .map(|d| {
            let segments = chart
                .services
                .iter()
                .enumerate()
                .filter(|(_, (_, spend))| spend[d].amount() > Decimal::ZERO)
                .map(|(i, (_, spend))| {
                    let style = format!(
                        "height:{};background:{}",
                        percent(spend[d].amount(), spend_top),
                        series_colour(i)
                    );
                    view! { <span class="bars-segment" style=style></span> }
                })
                .collect_view();
            let deposit = deposit_top.filter(|_| chart.deposits[d].amount() > Decimal::ZERO).map(|top| {
                let style = format!(
                    "bottom:{};background:{}",
                    percent(chart.deposits[d].amount(), top),
                    deposit_colour
                );
                view! { <span class="bars-deposit" style=style></span> }
            });
            view! { <div class="bars-day">{segments}{deposit}</div> }
        })
        .collect_view();
    let labels = chart
        .days
        .iter()
        .enumerate()
        .map(|(d, day)| {
            let label = label_of(d, days);
            let text = label.map(|_| day.format("%b %-d").to_string());
            view! { <span class="bars-label" class:bars-label-minor=label == Some(true)>{text}</span> }
        })
        .collect_view();
    let tick_view = |scale: Scale| {
        scale.ticks().into_iter().map(|tick| view! { <span class="bars-tick">{tick}</span> }).collect_view()
    };
    let legend = chart
        .services
        .iter()
        .enumerate()
        .map(|(i, (service, _))| (service.clone(), series_colour(i)))
        .chain(deposit_top.map(|_| ("Deposit".to_string(), deposit_colour)))
        .map(|(name, colour)| {
            view! {
                <span class="bars-key">
                    <span class="bars-swatch" style=format!("background:{colour}")></span>
                    {name}
                </span>
            }
        })
        .collect_view();
    let has_deposits = deposit_top.is_some();
    // One line at the top of each interval of the spend axis (the plot's bottom border is 0).
    let gridlines =
        format!("background-size:100% {}", percent(Decimal::ONE, Decimal::from(spend_scale.intervals)));
    view! {
        <div class="bars" class:bars-two-axes=has_deposits aria-hidden="true">
            <span class="bars-title">"Spend ($)"</span>
            {has_deposits.then(|| view! { <span class="bars-title bars-title-right">"Deposits ($)"</span> })}
            <div class="bars-axis">{tick_view(spend_scale)}</div>
            <div class="bars-plot" style=gridlines>{columns}</div>
            {deposit_scale.map(|scale| view! { <div class="bars-axis bars-axis-right">{tick_view(scale)}</div> })}
            <div class="bars-labels">{labels}</div>
            <div class="bars-legend">{legend}</div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn an_axis_has_a_few_round_steps_up_to_the_largest_day() {
        let scale = |max: &str| {
            let s = Scale::fitting(dec(max));
            (s.step.normalize().to_string(), s.intervals)
        };
        assert_eq!(scale("0"), ("0.25".into(), 4));
        assert_eq!(scale("0.0042"), ("0.002".into(), 3));
        assert_eq!(scale("1"), ("0.5".into(), 2));
        assert_eq!(scale("11.93"), ("5".into(), 3));
        assert_eq!(scale("25"), ("10".into(), 3));
        assert_eq!(scale("20"), ("5".into(), 4));
        assert_eq!(scale("1234.56"), ("500".into(), 3));
    }

    #[test]
    fn ticks_run_from_the_top_down_to_zero() {
        assert_eq!(Scale { step: dec("5"), intervals: 3 }.ticks(), ["15", "10", "5", "0"]);
        assert_eq!(Scale { step: dec("0.002"), intervals: 3 }.ticks(), ["0.006", "0.004", "0.002", "0"]);
    }

    #[test]
    fn about_six_days_are_labelled_the_last_always_and_every_other_one_minor() {
        for days in 1..=400 {
            let shown: Vec<usize> = (0..days).filter(|d| label_of(*d, days).is_some()).collect();
            assert_eq!(label_of(days - 1, days), Some(false), "{days} days: the last is labelled");
            assert!((1..=6).contains(&shown.len()), "{days} days: {} labels", shown.len());
            let major = shown.iter().filter(|d| label_of(**d, days) == Some(false)).count();
            assert!((1..=3).contains(&major), "{days} days: {major} labels on a narrow screen");
        }
    }

    proptest! {
        /// Every bar fits its plot, the tallest fills at least half of it, and there are 1 to 5 steps.
        #[test]
        fn the_tallest_bar_fits_and_fills_the_plot(units in 1i64..10_000_000_000, scale in 0u32..8) {
            let max = Decimal::new(units, scale);
            let axis = Scale::fitting(max);
            prop_assert!(axis.top() >= max);
            prop_assert!((1..=5).contains(&axis.intervals), "{max}: {axis:?}");
            let height: Decimal = percent(max, axis.top()).trim_end_matches('%').parse().unwrap();
            prop_assert!(height <= Decimal::ONE_HUNDRED && height >= Decimal::from(50), "{max}: {axis:?}");
        }
    }
}
