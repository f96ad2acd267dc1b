//! The box around a wide table: it scrolls sideways on a narrow screen instead of the page.
//!
//! A region that scrolls must be reachable from the keyboard (WCAG 2.1.1: a keyboard user scrolls it with
//! the arrow keys once it has focus), and a focusable region needs a name, so the box is a labelled
//! `region` with `tabindex="0"`. Every table on every page goes through this one component.

use leptos::prelude::*;

#[component]
pub fn ScrollTable(
    /// What the table holds ("Recent activity"), read by screen readers as "Recent activity table" when the
    /// box gets focus.
    label: &'static str,
    /// Extra classes for the box (the chart's table adds `chart-table`).
    #[prop(optional)]
    class: &'static str,
    children: Children,
) -> impl IntoView {
    let class = if class.is_empty() { "table-scroll".to_string() } else { format!("table-scroll {class}") };
    // "… table": the card around it is a region named by its heading, often the same words, and two
    // landmarks of one name can't be told apart.
    view! {
        <div class=class role="region" tabindex="0" aria-label=format!("{label} table")>
            {children()}
        </div>
    }
}
