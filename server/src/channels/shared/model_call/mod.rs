//! Running a paid model call (docs/ARCHITECTURE.md "The gateway"): held for the most it can cost, sent to
//! its provider (or the sandbox upstream), captured at the usage the provider reports. The gateway's
//! provider APIs and the chat's `ask_model` both run their calls here.

pub mod call;
pub mod relay;
pub mod sandbox;
pub mod sse;
