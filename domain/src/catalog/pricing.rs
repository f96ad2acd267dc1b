//! What a metered call costs, exactly (docs/CONTRACT.md "Service catalog"). Shared by the browser and the server.
//!
//! Prices per 1M tokens have at most 2 decimals (the catalog's CHECK), so `tokens × price / 1,000,000` has at
//! most 8 decimals and is exact in `NUMERIC(20,8)`: no rounding anywhere, and the breakdown always adds up.

use crate::money::Usd;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One model's prices (a `service_models` row).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub input_per_million: Decimal,
    pub output_per_million: Decimal,
    pub per_request: Decimal,
}

impl Price {
    /// A service that charges nothing (its calls run whatever the balance).
    pub fn is_free(&self) -> bool {
        self.input_per_million.is_zero() && self.output_per_million.is_zero() && self.per_request.is_zero()
    }

    /// The cost of one call with `usage`, itemised.
    pub fn cost(&self, usage: Usage) -> CostBreakdown {
        let per_token = |tokens: u64, per_million: Decimal| {
            (Decimal::from(tokens) * per_million / Decimal::from(1_000_000u32)).normalize()
        };
        let input = per_token(usage.input_tokens, self.input_per_million);
        let output = per_token(usage.output_tokens, self.output_per_million);
        let fee = self.per_request.normalize();
        CostBreakdown {
            input: Usd::new(input),
            output: Usd::new(output),
            fee: Usd::new(fee),
            total: Usd::new((input + output + fee).normalize()),
        }
    }
}

/// Token counts a call reports. Whole, non-negative numbers; at most 10^12 each (far above any real call,
/// and small enough that a cost can never overflow `NUMERIC(20,8)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Usage {
    pub const MAX_TOKENS: u64 = 1_000_000_000_000;

    pub fn new(input_tokens: u64, output_tokens: u64) -> Option<Usage> {
        (input_tokens <= Self::MAX_TOKENS && output_tokens <= Self::MAX_TOKENS)
            .then_some(Usage { input_tokens, output_tokens })
    }
}

/// The cost of one call: what each part cost and the total charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostBreakdown {
    pub input: Usd,
    pub output: Usd,
    pub fee: Usd,
    pub total: Usd,
}

impl CostBreakdown {
    /// What a rejected call cost.
    pub const ZERO: CostBreakdown =
        CostBreakdown { input: Usd::ZERO, output: Usd::ZERO, fee: Usd::ZERO, total: Usd::ZERO };
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn price(input: &str, output: &str, fee: &str) -> Price {
        Price { input_per_million: d(input), output_per_million: d(output), per_request: d(fee) }
    }

    #[test]
    fn the_contracts_catalog_prices() {
        let gpt = price("0.15", "0.60", "0").cost(Usage::new(1_000, 500).unwrap());
        assert_eq!(
            (gpt.input.amount(), gpt.output.amount(), gpt.total.amount()),
            (d("0.00015"), d("0.0003"), d("0.00045"))
        );
        let haiku = price("0.80", "4.00", "0").cost(Usage::new(1, 1).unwrap());
        assert_eq!(haiku.total.amount(), d("0.0000048"));
        let exa = price("0", "0", "0.005").cost(Usage::default());
        assert_eq!((exa.fee.amount(), exa.total.amount()), (d("0.005"), d("0.005")));
        assert!(price("0", "0", "0").is_free());
        assert!(!price("0", "0", "0.005").is_free());
    }

    #[test]
    fn token_counts_are_bounded() {
        assert!(Usage::new(Usage::MAX_TOKENS, Usage::MAX_TOKENS).is_some());
        assert!(Usage::new(Usage::MAX_TOKENS + 1, 0).is_none());
    }

    proptest! {
        /// The breakdown adds up, nothing is rounded (at most 8 decimals, exact), and cost never goes down
        /// as usage goes up.
        #[test]
        fn costs_are_exact_itemised_and_monotonic(
            input_cents in 0i64..100_000, output_cents in 0i64..100_000, fee_units in 0i64..100_000_000,
            input_tokens in 0u64..=Usage::MAX_TOKENS, output_tokens in 0u64..=Usage::MAX_TOKENS, more in 0u64..1_000_000,
        ) {
            let p = Price {
                input_per_million: Decimal::new(input_cents, 2),
                output_per_million: Decimal::new(output_cents, 2),
                per_request: Decimal::new(fee_units, 8),
            };
            let c = p.cost(Usage::new(input_tokens, output_tokens).unwrap());
            prop_assert_eq!(c.total.amount(), c.input.amount() + c.output.amount() + c.fee.amount());
            for part in [c.input, c.output, c.fee, c.total] {
                prop_assert!(part.amount().scale() <= 8);
                prop_assert!(part.amount() < Decimal::from(1_000_000_000_000i64), "fits NUMERIC(20,8)");
            }
            prop_assert_eq!(c.input.amount() * Decimal::from(1_000_000u32), Decimal::from(input_tokens) * p.input_per_million);
            let bigger = p.cost(Usage::new((input_tokens + more).min(Usage::MAX_TOKENS), output_tokens).unwrap());
            prop_assert!(bigger.total >= c.total);
        }
    }
}
