//! The service catalog: which paid services and models exist and what a call of each costs
//! (docs/CONTRACT.md "Service catalog"). Prices are rows, seeded by a migration; `pricing` turns a price
//! and a call's usage into an exact cost, in the browser and on the server alike.

pub mod pricing;

#[cfg(feature = "ssr")]
pub mod db;
