//! Promotional credit's bookkeeping rules (docs/CONTRACT.md "Promotional credit"): which grants a wallet's
//! promotional spending came out of, and how a paid call splits its cost between promotional and paid
//! credit. The database side is `tollgate_core::credit`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// What is left of one grant that hasn't expired, as last shared out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantLeft {
    pub id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub remaining: Decimal,
}

/// Shares the spending since the grants were last shared out over them, soonest expiry first (ties by id,
/// the order spending takes them in): `unspent` is the wallet's promotional credit now, which is never more
/// than what the grants had left. Returns the grants with what each has left now, in spending order.
pub fn share_out(mut grants: Vec<GrantLeft>, unspent: Decimal) -> Vec<GrantLeft> {
    grants.sort_by_key(|g| (g.expires_at, g.id));
    let had: Decimal = grants.iter().map(|g| g.remaining).sum();
    let mut spent = (had - unspent).max(Decimal::ZERO);
    for grant in &mut grants {
        let taken = spent.min(grant.remaining);
        grant.remaining -= taken;
        spent -= taken;
    }
    grants
}

/// How a paid call's cost is paid: promotional credit first, then paid credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    pub promotional: Decimal,
    pub paid: Decimal,
}

/// Splits a cost the balance covers: as much as `promotional` (the wallet's unspent promotional credit)
/// allows comes out of it, the rest out of paid credit.
pub fn split_cost(cost: Decimal, promotional: Decimal) -> Split {
    let from_promotional = cost.min(promotional.max(Decimal::ZERO));
    Split { promotional: from_promotional, paid: cost - from_promotional }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn dec(amount: &str) -> Decimal {
        amount.parse().unwrap()
    }

    fn grant(n: u128, day: u32, remaining: Decimal) -> GrantLeft {
        GrantLeft {
            id: Uuid::from_u128(n),
            expires_at: Utc.with_ymd_and_hms(2027, 1, day, 0, 0, 0).unwrap(),
            remaining,
        }
    }

    #[test]
    fn spending_comes_out_of_the_soonest_expiry_first() {
        let shared =
            share_out(vec![grant(1, 20, dec("5")), grant(2, 6, dec("3")), grant(3, 9, dec("4"))], dec("6"));
        let left: Vec<(u128, Decimal)> = shared.iter().map(|g| (g.id.as_u128(), g.remaining)).collect();
        assert_eq!(left, [(2, dec("0")), (3, dec("1")), (1, dec("5"))]);
    }

    #[test]
    fn a_tie_on_expiry_goes_by_id() {
        let shared = share_out(vec![grant(9, 6, dec("2")), grant(4, 6, dec("2"))], dec("3"));
        assert_eq!(shared[0].id.as_u128(), 4);
        assert_eq!(shared[0].remaining, dec("1"));
        assert_eq!(shared[1].remaining, dec("2"));
    }

    #[test]
    fn a_cost_takes_promotional_credit_first() {
        assert_eq!(split_cost(dec("0.30"), dec("1")), Split { promotional: dec("0.30"), paid: dec("0") });
        assert_eq!(
            split_cost(dec("0.30"), dec("0.10")),
            Split { promotional: dec("0.10"), paid: dec("0.20") }
        );
        assert_eq!(split_cost(dec("0.30"), dec("0")), Split { promotional: dec("0"), paid: dec("0.30") });
    }

    proptest! {
        /// Sharing out at the end gives each grant what spending call by call (soonest first) would have.
        #[test]
        fn sharing_out_at_once_equals_spending_call_by_call(
            remaining in prop::collection::vec((1u32..28, 0i64..10_000), 0..6),
            costs in prop::collection::vec(1i64..3_000, 0..20),
        ) {
            let grants: Vec<GrantLeft> = remaining
                .iter()
                .enumerate()
                .map(|(n, (day, cents))| grant(n as u128, *day, Decimal::new(*cents, 2)))
                .collect();
            let mut by_call = share_out(grants.clone(), grants.iter().map(|g| g.remaining).sum());
            let mut unspent: Decimal = by_call.iter().map(|g| g.remaining).sum();
            for cost in costs {
                let split = split_cost(Decimal::new(cost, 2), unspent);
                unspent -= split.promotional;
                let mut take = split.promotional;
                for grant in &mut by_call {
                    let taken = take.min(grant.remaining);
                    grant.remaining -= taken;
                    take -= taken;
                }
                prop_assert_eq!(take, Decimal::ZERO);
            }
            prop_assert_eq!(share_out(grants, unspent), by_call);
        }
    }
}
