//! The events an endpoint can subscribe to (docs/CONTRACT.md "Webhooks"). Each one's name on the wire and on
//! the page (`funds.added`) comes from its `strum` attribute, the one place it is written.

use strum::IntoEnumIterator;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString, strum::EnumIter,
)]
pub enum EventType {
    /// Money reached the wallet (any channel, auto top-up included).
    #[strum(serialize = "funds.added")]
    FundsAdded,
    #[strum(serialize = "auto_top_up.succeeded")]
    AutoTopUpSucceeded,
    #[strum(serialize = "auto_top_up.failed")]
    AutoTopUpFailed,
    /// Tollgate turned auto top-up off (declines in a row, its card removed).
    #[strum(serialize = "auto_top_up.disabled")]
    AutoTopUpDisabled,
    /// A debit took the balance below the low-balance alert (once per crossing).
    #[strum(serialize = "balance.low")]
    BalanceLow,
    /// A saved card was declined (it now carries the failure).
    #[strum(serialize = "payment_method.failed")]
    PaymentMethodFailed,
    /// The unspent rest of a promotional grant left the wallet at its expiry.
    #[strum(serialize = "credit.expired")]
    CreditExpired,
    /// A deposit (or part of it) was refunded to its card.
    #[strum(serialize = "funds.refunded")]
    FundsRefunded,
}

impl EventType {
    /// Every event, in the order the settings page lists them.
    pub fn all() -> Vec<EventType> {
        EventType::iter().collect()
    }

    /// The name on the wire and on the page (`funds.added`).
    pub fn as_str(self) -> &'static str {
        self.into()
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
            EventType::CreditExpired => "promotional credit expired",
            EventType::FundsRefunded => "a deposit was refunded to its card",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_is_the_contracts() {
        let names: Vec<&str> = EventType::iter().map(EventType::as_str).collect();
        assert_eq!(
            names,
            [
                "funds.added",
                "auto_top_up.succeeded",
                "auto_top_up.failed",
                "auto_top_up.disabled",
                "balance.low",
                "payment_method.failed",
                "credit.expired",
                "funds.refunded"
            ]
        );
        for t in EventType::iter() {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(t));
        }
        assert!("funds.Added".parse::<EventType>().is_err());
        assert!("FundsAdded".parse::<EventType>().is_err());
    }
}
