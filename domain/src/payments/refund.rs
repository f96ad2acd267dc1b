//! What of a deposit can be refunded (docs/CONTRACT.md "Refunds"): what is left of its paid credit. Paid
//! credit is spent oldest deposit first, so what is left of the wallet's paid credit belongs to its newest
//! deposits; spent money, and promotional credit, is never refunded. Refunding with a lock on the wallet:
//! `tollgate_core::payments::refunds`.

use rust_decimal::Decimal;

/// A deposit, for the sharing: what it brought and what of it was refunded (or is being) already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deposited {
    pub amount: Decimal,
    pub refunded: Decimal,
}

/// What can be refunded of each deposit, given `deposits` newest first and the wallet's paid credit now:
/// the paid credit left is shared out over the deposits newest first, each taking at most what of it was
/// not refunded yet. The answers are in the deposits' order and add up to at most the paid credit.
pub fn refundable(paid: Decimal, deposits: &[Deposited]) -> Vec<Decimal> {
    let mut left = paid.max(Decimal::ZERO);
    deposits
        .iter()
        .map(|d| {
            let open = (d.amount - d.refunded).max(Decimal::ZERO);
            let share = open.min(left);
            left -= share;
            share
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(amount: i64, refunded: i64) -> Deposited {
        Deposited { amount: Decimal::from(amount), refunded: Decimal::from(refunded) }
    }

    #[test]
    fn the_oldest_deposit_is_spent_first() {
        // $100 then $50 deposited, $120 spent: $30 left, all of it the newer deposit's.
        assert_eq!(refundable(Decimal::from(30), &[d(50, 0), d(100, 0)]), [Decimal::from(30), Decimal::ZERO]);
        // Nothing spent: each deposit whole, less what was refunded already.
        assert_eq!(
            refundable(Decimal::from(130), &[d(50, 20), d(100, 0)]),
            [Decimal::from(30), Decimal::from(100)]
        );
        // A wallet below zero (after a dispute) refunds nothing.
        assert_eq!(refundable(Decimal::from(-5), &[d(50, 0)]), [Decimal::ZERO]);
    }

    proptest! {
        #[test]
        fn never_more_than_the_paid_credit_nor_than_a_deposit_has_left(
            paid in -10_000i64..100_000,
            deposits in prop::collection::vec((1i64..10_000, 0i64..10_000), 0..8),
        ) {
            let deposits: Vec<Deposited> =
                deposits.iter().map(|(a, r)| Deposited { amount: Decimal::new(*a, 2), refunded: Decimal::new(*r.min(a), 2) }).collect();
            let paid = Decimal::new(paid, 2);
            let shares = refundable(paid, &deposits);
            prop_assert!(shares.iter().sum::<Decimal>() <= paid.max(Decimal::ZERO));
            for (share, deposit) in shares.iter().zip(&deposits) {
                prop_assert!(*share >= Decimal::ZERO && *share <= deposit.amount - deposit.refunded);
            }
            // What isn't shared out is only what no deposit has left to take.
            let open: Decimal = deposits.iter().map(|d| d.amount - d.refunded).sum();
            prop_assert_eq!(shares.iter().sum::<Decimal>(), open.min(paid.max(Decimal::ZERO)));
        }
    }
}
