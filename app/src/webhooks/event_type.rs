//! The events an endpoint can subscribe to (docs/CONTRACT.md "Webhooks").

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// Money reached the wallet (any channel, auto top-up included).
    #[serde(rename = "funds.added")]
    FundsAdded,
    #[serde(rename = "auto_top_up.succeeded")]
    AutoTopUpSucceeded,
    #[serde(rename = "auto_top_up.failed")]
    AutoTopUpFailed,
    /// Tollgate turned auto top-up off (declines in a row, its card removed).
    #[serde(rename = "auto_top_up.disabled")]
    AutoTopUpDisabled,
    /// A debit took the balance below the low-balance alert (once per crossing).
    #[serde(rename = "balance.low")]
    BalanceLow,
    /// A saved card was declined (it now carries the failure).
    #[serde(rename = "payment_method.failed")]
    PaymentMethodFailed,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::FundsAdded,
        EventType::AutoTopUpSucceeded,
        EventType::AutoTopUpFailed,
        EventType::AutoTopUpDisabled,
        EventType::BalanceLow,
        EventType::PaymentMethodFailed,
    ];

    /// The name on the wire and on the page (`funds.added`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::FundsAdded => "funds.added",
            EventType::AutoTopUpSucceeded => "auto_top_up.succeeded",
            EventType::AutoTopUpFailed => "auto_top_up.failed",
            EventType::AutoTopUpDisabled => "auto_top_up.disabled",
            EventType::BalanceLow => "balance.low",
            EventType::PaymentMethodFailed => "payment_method.failed",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// What it means, next to its checkbox.
    pub fn description(self) -> &'static str {
        match self {
            EventType::FundsAdded => "money reached the wallet",
            EventType::AutoTopUpSucceeded => "an auto top-up was charged",
            EventType::AutoTopUpFailed => "an auto top-up was declined",
            EventType::AutoTopUpDisabled => "Tollgate turned auto top-up off",
            EventType::BalanceLow => "the balance fell below the low-balance alert",
            EventType::PaymentMethodFailed => "a saved card was declined",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_matches_the_wire_form() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.as_str()));
        }
        assert_eq!(EventType::parse("funds.Added"), None);
    }
}
