//! The ways into Tollgate, one folder each, over what they share (`shared`). A channel never imports
//! another: what two need is in `shared`, or in the money core.

pub mod api;
pub mod gateway;
pub mod mcp;
pub mod oauth;
pub mod pages;
pub mod processor_events;
pub mod shared;
