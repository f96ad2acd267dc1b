//! The service catalog's prices (docs/CONTRACT.md "Service catalog"): `pricing` turns a price and a call's
//! usage into an exact cost, in the browser and on the server alike. Reading the prices:
//! `tollgate_core::catalog`.

pub mod pricing;
