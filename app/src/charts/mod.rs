//! Charts: the spend-per-day chart of the wallet page (last 30 days) and the usage page (the selected
//! range). The ECharts option is built on the server with charming (`option.rs`, never in the wasm bundle)
//! and drawn in the browser by `public/charts.js` with `public/echarts.min.js` (from the pinned npm
//! package). The same numbers are always in a table: what JavaScript-off and screen-reader users read.

pub mod spend;

#[cfg(feature = "ssr")]
pub mod option;
