//! Webhooks' vocabulary (docs/CONTRACT.md "Webhooks"): the event types an endpoint subscribes to and the
//! settings page's view of an endpoint. The outbox and the endpoints' storage: `tollgate_core::webhooks`.

pub mod event_type;
pub mod view;

pub use event_type::EventType;
