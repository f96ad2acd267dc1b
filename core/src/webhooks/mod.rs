//! Webhooks (docs/CONTRACT.md "Webhooks", docs/ARCHITECTURE.md "Webhooks"): money events an account's
//! endpoints subscribe to. The money core writes an event into the outbox ([`outbox::emit`]) in the
//! transaction of the change it reports, so an event exists exactly when its change committed; the
//! server's sender (`server/src/workers/webhook_sender.rs`) delivers it at least once, signed, with retries.
//!
//! In the money core's layer: payments and metering emit events, and nothing here knows about them. The
//! event types and the settings page's view of an endpoint: `tollgate_domain::webhooks`.

pub mod deliveries;
pub mod endpoint_url;
pub mod outbox;
pub mod signature;
pub mod store;
