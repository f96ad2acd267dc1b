//! `/dashboard/wallet`: the balance, and (as the next issues land) Add Funds, saved cards and the chart.

pub mod api;
pub mod attempt;
pub mod card;
pub mod page;

#[cfg(feature = "ssr")]
pub mod add_funds;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod ledger;
#[cfg(feature = "ssr")]
pub mod payment_methods;
#[cfg(feature = "ssr")]
pub mod processor;
