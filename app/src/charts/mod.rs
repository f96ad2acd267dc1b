//! Charts: the spend-per-day chart of the wallet page (last 30 days) and the usage page (the selected
//! range). The server draws it as HTML (`bars.rs`), so it is there at first paint and with JavaScript off.
//! When a person points at it, `public/charts.js` loads `public/echarts.min.js` (from the pinned npm
//! package) and draws the same chart over it with tooltips, from an ECharts option built on the server
//! with charming (`option.rs`, never in the wasm bundle). The same numbers are always in a table too: what
//! screen-reader users read.

pub mod bars;
pub mod figure;
pub mod spend;

#[cfg(feature = "ssr")]
pub mod option;
