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

/// The drawing; `aria-hidden` because the figure's label and table say the same for screen readers. Its
/// inside is written straight to one string ([`drawing_html`]): a month's chart is ≈200 fixed elements,
/// and as that many views they were a tenth of rendering the wallet page (docs/BENCHMARKS.md, P2).
pub fn spend_bars(chart: &SpendChart) -> impl IntoView {
    let has_deposits = chart.deposits.iter().any(|d| d.amount() > Decimal::ZERO);
    let html = drawing_html(chart);
    view! { <div class="bars" class:bars-two-axes=has_deposits aria-hidden="true" inner_html=html></div> }
}

/// The drawing's markup: the axis titles and ticks, one column per day (a segment per service with spend,
/// and the day's deposit as a dot on its own scale), the day labels and the legend. Service names are
/// escaped; everything else is written by this function.
pub fn drawing_html(chart: &SpendChart) -> String {
    use std::fmt::Write;
    let days = chart.days.len();
    let spend_scale = Scale::fitting((0..days).map(|d| chart.total(d).amount()).max().unwrap_or_default());
    let spend_top = spend_scale.top();
    let max_deposit = chart.deposits.iter().map(|d| d.amount()).max().unwrap_or_default();
    let deposit_scale = (max_deposit > Decimal::ZERO).then(|| Scale::fitting(max_deposit));
    let deposit_colour = series_colour(chart.services.len());
    let ticks = |html: &mut String, class: &str, scale: Scale| {
        let _ = write!(html, r#"<div class="{class}">"#);
        for tick in scale.ticks() {
            let _ = write!(html, r#"<span class="bars-tick">{tick}</span>"#);
        }
        html.push_str("</div>");
    };
    let mut html = String::with_capacity(8 * 1024);
    html.push_str(r#"<span class="bars-title">Spend ($)</span>"#);
    if deposit_scale.is_some() {
        html.push_str(r#"<span class="bars-title bars-title-right">Deposits ($)</span>"#);
    }
    ticks(&mut html, "bars-axis", spend_scale);
    // One line at the top of each interval of the spend axis (the plot's bottom border is 0).
    let gridlines = percent(Decimal::ONE, Decimal::from(spend_scale.intervals));
    let _ = write!(html, r#"<div class="bars-plot" style="background-size:100% {gridlines}">"#);
    for d in 0..days {
        html.push_str(r#"<div class="bars-day">"#);
        for (i, (_, spend)) in chart.services.iter().enumerate() {
            if spend[d].amount() > Decimal::ZERO {
                let height = percent(spend[d].amount(), spend_top);
                let colour = series_colour(i);
                let _ = write!(
                    html,
                    r#"<span class="bars-segment" style="height:{height};background:{colour}"></span>"#
                );
            }
        }
        if let Some(scale) = deposit_scale.filter(|_| chart.deposits[d].amount() > Decimal::ZERO) {
            let bottom = percent(chart.deposits[d].amount(), scale.top());
            let _ = write!(
                html,
                r#"<span class="bars-deposit" style="bottom:{bottom};background:{deposit_colour}"></span>"#
            );
        }
        html.push_str("</div>");
    }
    html.push_str("</div>");
    if let Some(scale) = deposit_scale {
        ticks(&mut html, "bars-axis bars-axis-right", scale);
    }
    html.push_str(r#"<div class="bars-labels">"#);
    for (d, day) in chart.days.iter().enumerate() {
        match label_of(d, days) {
            None => html.push_str(r#"<span class="bars-label"></span>"#),
            Some(minor) => {
                let class = if minor { "bars-label bars-label-minor" } else { "bars-label" };
                let _ = write!(html, r#"<span class="{class}">{}</span>"#, day.format("%b %-d"));
            }
        }
    }
    html.push_str(r#"</div><div class="bars-legend">"#);
    let deposit_key = deposit_scale.map(|_| ("Deposit", deposit_colour));
    let keys = chart.services.iter().enumerate().map(|(i, (name, _))| (name.as_str(), series_colour(i)));
    for (name, colour) in keys.chain(deposit_key) {
        let _ = write!(
            html,
            r#"<span class="bars-key"><span class="bars-swatch" style="background:{colour}"></span>{}</span>"#,
            html_escape::encode_text(name)
        );
    }
    html.push_str("</div>");
    html
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

    #[test]
    fn a_service_name_is_text_in_the_legend() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let chart = SpendChart {
            timezone: "UTC".into(),
            days: vec![day],
            services: vec![("<b>\"x\"&</b>".into(), vec![tollgate_domain::money::Usd::new(dec("1.5"))])],
            deposits: vec![tollgate_domain::money::Usd::new(dec("20"))],
            option: String::new(),
        };
        let html = drawing_html(&chart);
        assert!(html.contains("&lt;b&gt;\"x\"&amp;&lt;/b&gt;</span>"), "{html}");
        assert!(!html.contains("<b>"));
        assert_eq!(html.matches(r#"class="bars-segment""#).count(), 1);
        assert_eq!(html.matches(r#"class="bars-deposit""#).count(), 1);
        assert!(html.contains(r#"<span class="bars-label">Dec 7</span>"#), "{html}");
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
