//! Hosted checkouts (docs/CONTRACT.md "/checkout/{id}"): a top-up an agent started without a saved card.
//! The id (`cs_` + 192 random bits) is the capability: whoever has the link may pay this one amount into
//! this one wallet, within 24 hours, once. The page itself is `app/src/checkout/`; storing them is
//! `tollgate_core::payments::checkout_session`.

use serde::{Deserialize, Serialize};

/// Where a checkout stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutState {
    Open,
    Expired,
    Completed,
}
