//! The service catalog: which paid services and models exist and what a call of each costs
//! (docs/CONTRACT.md "Service catalog"). Prices are rows, seeded by a migration and read here;
//! `tollgate_domain::catalog::pricing` turns a price and a call's usage into an exact cost.

pub mod db;
