//! The auto top-up rule as a person types it on the wallet page or an agent sends it to
//! `PUT /v1/auto_top_up` (docs/CONTRACT.md "Auto top-up"), and the one charge it makes for a balance.
//! Shared by the browser and the server, so the page's messages and the server's refusals are the same.

use crate::error::AppError;
use crate::money::{parse_dollars, Usd};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A valid rule: "When balance falls below" ≥ $1.00; "Top up to" at least $10.00 above it and at most
/// $10,000.00; "Monthly limit" from $10.00 to $1,000,000.00; each with at most 2 decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoTopUpRule {
    threshold: Usd,
    top_up_to: Usd,
    monthly_limit: Usd,
}

/// The smallest charge the processor takes for a top-up, and the largest.
const MIN_CHARGE: Decimal = Decimal::from_parts(10, 0, 0, false, 0);
const MAX_CHARGE: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);
const MIN_THRESHOLD: Decimal = Decimal::ONE;
const MAX_MONTHLY_LIMIT: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

impl AutoTopUpRule {
    /// The three fields as typed. Each field's own message names it.
    pub fn parse(threshold: &str, top_up_to: &str, monthly_limit: &str) -> Result<AutoTopUpRule, AppError> {
        let threshold = parse_dollars(threshold)
            .ok()
            .filter(|t| *t >= MIN_THRESHOLD && *t <= MAX_CHARGE - MIN_CHARGE)
            .ok_or(AppError::AutoTopUpThresholdInvalid)?;
        let top_up_to = parse_dollars(top_up_to)
            .ok()
            .filter(|t| *t >= threshold + MIN_CHARGE && *t <= MAX_CHARGE)
            .ok_or(AppError::AutoTopUpTargetInvalid)?;
        let monthly_limit = parse_dollars(monthly_limit)
            .ok()
            .filter(|l| *l >= MIN_CHARGE && *l <= MAX_MONTHLY_LIMIT)
            .ok_or(AppError::AutoTopUpLimitInvalid)?;
        Ok(AutoTopUpRule {
            threshold: Usd::new(threshold),
            top_up_to: Usd::new(top_up_to),
            monthly_limit: Usd::new(monthly_limit),
        })
    }

    /// The rule a first visit to the page suggests (the fields start filled with it).
    pub fn suggested() -> AutoTopUpRule {
        AutoTopUpRule {
            threshold: Usd::new(Decimal::from(5)),
            top_up_to: Usd::new(Decimal::from(25)),
            monthly_limit: Usd::new(Decimal::from(100)),
        }
    }

    /// A rule as stored (the database's CHECKs hold the same bounds).
    pub fn stored(threshold: Decimal, top_up_to: Decimal, monthly_limit: Decimal) -> AutoTopUpRule {
        AutoTopUpRule {
            threshold: Usd::new(threshold),
            top_up_to: Usd::new(top_up_to),
            monthly_limit: Usd::new(monthly_limit),
        }
    }

    pub fn threshold(&self) -> Usd {
        self.threshold
    }

    pub fn top_up_to(&self) -> Usd {
        self.top_up_to
    }

    pub fn monthly_limit(&self) -> Usd {
        self.monthly_limit
    }

    /// Whether a debit from `opening` to `closing` takes the balance below the threshold: the moment the
    /// rule fires (once per crossing, not once per call below it).
    pub fn crossed(&self, opening: Decimal, closing: Decimal) -> bool {
        crosses(self.threshold.amount(), opening, closing)
    }

    /// The one charge for a `balance` below the threshold, with `spent_this_month` already charged by the
    /// rule: the whole gap up to "Top up to" in whole cents (rounded up, so the balance lands at or above
    /// it), at least the $10.00 minimum; cut to what is left of the monthly limit. `None` when no charge
    /// is due (the balance is not below the threshold) or what is left is under $10.00.
    pub fn charge_for(&self, balance: Decimal, spent_this_month: Decimal) -> Option<Decimal> {
        if balance >= self.threshold.amount() {
            return None;
        }
        let gap =
            (self.top_up_to.amount() - balance).round_dp_with_strategy(2, RoundingStrategy::AwayFromZero);
        let left = self.monthly_limit.amount() - spent_this_month;
        let amount = gap.max(MIN_CHARGE).min(left).min(MAX_CHARGE);
        (amount >= MIN_CHARGE).then_some(amount)
    }
}

/// Whether a balance moving from `opening` to `closing` goes below `threshold` (from at or above it).
pub fn crosses(threshold: Decimal, opening: Decimal, closing: Decimal) -> bool {
    opening >= threshold && closing < threshold
}

/// Auto top-up as the wallet page, `/v1/auto_top_up` and the chat show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoTopUpView {
    pub enabled: bool,
    /// The saved rule, or `None` if it was never set.
    pub rule: Option<AutoTopUpRule>,
    /// The card it charges ("Visa •••• 4242").
    pub payment_method_id: Option<Uuid>,
    pub card_label: Option<String>,
    /// Charged (or being charged) by the rule this calendar month (UTC).
    pub spent_this_month: Usd,
    /// Why Tollgate turned it off (the banner), until a person turns it back on.
    pub disabled_reason: Option<String>,
}

impl AutoTopUpView {
    /// The one sentence that says what the rule will do, while it is on.
    pub fn sentence(&self) -> Option<String> {
        let (true, Some(rule), Some(card)) = (self.enabled, self.rule, self.card_label.as_deref()) else {
            return None;
        };
        Some(format!(
            "When your balance falls below {}, we charge {card} to bring it back to {}, up to {} a month and 3 times a day.",
            rule.threshold.display(),
            rule.top_up_to.display(),
            rule.monthly_limit.display(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule(t: &str, to: &str, l: &str) -> AutoTopUpRule {
        AutoTopUpRule::parse(t, to, l).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn each_field_has_its_own_message() {
        assert_eq!(AutoTopUpRule::parse("0.99", "25", "100"), Err(AppError::AutoTopUpThresholdInvalid));
        assert_eq!(AutoTopUpRule::parse("five", "25", "100"), Err(AppError::AutoTopUpThresholdInvalid));
        assert_eq!(AutoTopUpRule::parse("5.001", "25", "100"), Err(AppError::AutoTopUpThresholdInvalid));
        assert_eq!(AutoTopUpRule::parse("5", "14.99", "100"), Err(AppError::AutoTopUpTargetInvalid));
        assert_eq!(AutoTopUpRule::parse("5", "10000.01", "100"), Err(AppError::AutoTopUpTargetInvalid));
        assert_eq!(AutoTopUpRule::parse("5", "", "100"), Err(AppError::AutoTopUpTargetInvalid));
        assert_eq!(AutoTopUpRule::parse("5", "25", "9.99"), Err(AppError::AutoTopUpLimitInvalid));
        assert_eq!(AutoTopUpRule::parse("5", "25", "1000000.01"), Err(AppError::AutoTopUpLimitInvalid));
        assert_eq!(AutoTopUpRule::parse("5", "25", "1e3"), Err(AppError::AutoTopUpLimitInvalid));
        assert!(AutoTopUpRule::parse("$1.00", "11", "10").is_ok());
        assert!(AutoTopUpRule::parse(" 9,990 ", "$10,000.00", "1,000,000").is_ok());
    }

    #[test]
    fn it_fires_once_per_crossing() {
        let r = rule("10", "50", "1000");
        assert!(r.crossed(dec("10"), dec("9.99")));
        assert!(r.crossed(dec("12"), dec("0")));
        assert!(!r.crossed(dec("9.99"), dec("8")), "already below: no new crossing");
        assert!(!r.crossed(dec("12"), dec("10")), "at the threshold is not below it");
    }

    #[test]
    fn one_charge_for_the_whole_gap_cut_to_the_monthly_limit() {
        let r = rule("10", "50", "100");
        assert_eq!(r.charge_for(dec("4"), dec("0")), Some(dec("46")));
        assert_eq!(r.charge_for(dec("4.00001"), dec("0")), Some(dec("46.00")), "rounded up to the cent");
        assert_eq!(r.charge_for(dec("9.999"), dec("0")), Some(dec("40.01")));
        assert_eq!(r.charge_for(dec("10"), dec("0")), None, "not below the threshold");
        assert_eq!(r.charge_for(dec("4"), dec("70")), Some(dec("30")), "reduced to what the month has left");
        assert_eq!(r.charge_for(dec("4"), dec("90.01")), None, "under $10 left: skipped");
        let small_gap = rule("1", "11", "100");
        assert_eq!(small_gap.charge_for(dec("0.99"), dec("0")), Some(dec("10.01")));
    }

    #[test]
    fn the_sentence_says_what_it_will_do() {
        let view = AutoTopUpView {
            enabled: true,
            rule: Some(rule("5", "25", "100")),
            payment_method_id: None,
            card_label: Some("Visa •••• 4242".into()),
            spent_this_month: Usd::new(Decimal::ZERO),
            disabled_reason: None,
        };
        assert_eq!(
            view.sentence().unwrap(),
            "When your balance falls below $5.00, we charge Visa •••• 4242 to bring it back to $25.00, up to $100.00 a month and 3 times a day."
        );
        assert_eq!(AutoTopUpView { enabled: false, ..view }.sentence(), None);
    }

    proptest! {
        #[test]
        fn a_charge_is_whole_cents_in_range_within_the_month_and_closes_the_gap_when_it_can(
            threshold_cents in 100i64..=999_000,
            extra_cents in 1_000i64..=1_000_000,
            limit_cents in 1_000i64..=100_000_000,
            balance_units in 0i64..=1_000_000_000_000,
            spent_cents in 0i64..=100_000_000,
        ) {
            let threshold = Decimal::new(threshold_cents, 2);
            let top_up_to = (threshold + Decimal::new(extra_cents, 2)).min(Decimal::from(10_000));
            prop_assume!(top_up_to >= threshold + Decimal::TEN);
            let limit = Decimal::new(limit_cents, 2);
            let r = AutoTopUpRule::parse(&threshold.to_string(), &top_up_to.to_string(), &limit.to_string()).unwrap();
            let balance = Decimal::new(balance_units, 8);
            let spent = Decimal::new(spent_cents, 2).min(limit);
            match r.charge_for(balance, spent) {
                Some(amount) => {
                    prop_assert!(balance < threshold);
                    prop_assert_eq!(amount, amount.round_dp(2));
                    prop_assert!(amount >= Decimal::TEN && amount <= Decimal::from(10_000));
                    prop_assert!(spent + amount <= limit, "never past the monthly limit");
                    if limit - spent >= top_up_to - balance + Decimal::ONE {
                        prop_assert!(balance + amount >= top_up_to, "the whole gap in one charge");
                        prop_assert!(balance + amount < top_up_to + Decimal::new(1, 2), "no more than the gap");
                    }
                }
                None => prop_assert!(balance >= threshold || limit - spent < Decimal::TEN),
            }
        }
    }
}
