//! Endpoints and their delivery log as the settings page shows them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    pub id: Uuid,
    pub url: String,
    /// Event names (`funds.added`).
    pub events: Vec<String>,
    pub created: String,
    /// Why Tollgate turned it off ("Disabled: the person who added it left the team"); `None` while on.
    #[serde(default)]
    pub disabled: Option<String>,
    /// The latest deliveries, newest first.
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    pub event_id: String,
    pub event_type: String,
    /// "Delivered", "Retrying", "Failed" or "Pending".
    pub status: String,
    pub attempts: i32,
    /// The endpoint's last HTTP status, if it answered.
    pub response_code: Option<i32>,
    /// Why the last attempt failed without a status (timeout, refused address…).
    pub error: Option<String>,
    /// When it was last tried (or created, if not yet).
    pub when: String,
}

/// An endpoint just added: its signing secret is shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedEndpoint {
    pub id: Uuid,
    pub url: String,
    pub secret: String,
}
