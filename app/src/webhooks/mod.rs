//! Webhooks (docs/CONTRACT.md "Webhooks", docs/ARCHITECTURE.md "Webhooks"): money events an account's
//! endpoints subscribe to. The money core writes an event into the outbox ([`outbox::emit`]) in the
//! transaction of the change it reports, so an event exists exactly when its change committed; the
//! server's sender (`server/src/webhook_sender.rs`) delivers it at least once, signed, with retries.
//!
//! In the money core's layer: payments and metering emit events, and nothing here knows about them.

pub mod event_type;
pub mod view;

#[cfg(feature = "ssr")]
pub mod endpoint_url;
#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod store;

pub use event_type::EventType;
