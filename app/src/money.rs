//! Money as exact decimals, shared by the browser and the server.
//!
//! Every amount in Tollgate is a `Usd` (a `rust_decimal::Decimal`, never `f64`). Formatting lives here so
//! that the header, the pages and the JSON API all say the same thing (CONTRACT.md "Money formats").

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An exact amount of US dollars. Stored as `NUMERIC(20,8)`; shown to two decimals only at the edges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Usd(Decimal);

impl Usd {
    pub const ZERO: Usd = Usd(Decimal::ZERO);

    pub fn new(amount: Decimal) -> Self {
        Usd(amount)
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// The amount cut (not rounded) to whole cents, toward zero: a balance of 24.99999 is $24.99,
    /// because we never overstate money (CONTRACT.md "Money formats").
    fn truncated_cents(self) -> Decimal {
        let mut cut = self.0.trunc_with_scale(2);
        cut.rescale(2);
        cut
    }

    /// UI form: `$1,035.00`, `-$2.50`, `$0.00`. Truncated to the cent.
    pub fn display(self) -> String {
        let cut = self.truncated_cents();
        let negative = cut.is_sign_negative() && !cut.is_zero();
        let digits = cut.abs().to_string();
        let (whole, cents) = digits.split_once('.').unwrap_or((&digits, "00"));
        let sign = if negative { "-" } else { "" };
        format!("{sign}${}.{cents}", group_thousands(whole))
    }

    /// JSON form for balances and deposits: `"1035.00"` — two decimals, no `$`, no commas. Truncated.
    pub fn json_cents(self) -> String {
        let cut = self.truncated_cents();
        if cut.is_zero() {
            return "0.00".to_string();
        }
        cut.to_string()
    }
}

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl From<Decimal> for Usd {
    fn from(amount: Decimal) -> Self {
        Usd(amount)
    }
}

/// `1234567` → `1,234,567`. Input is ASCII digits only.
fn group_thousands(whole: &str) -> String {
    let mut out = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn usd(s: &str) -> Usd {
        Usd::new(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn display_groups_thousands_and_shows_two_decimals() {
        assert_eq!(usd("1035").display(), "$1,035.00");
        assert_eq!(usd("0").display(), "$0.00");
        assert_eq!(usd("47.5").display(), "$47.50");
        assert_eq!(usd("1234567.891").display(), "$1,234,567.89");
        assert_eq!(usd("100").display(), "$100.00");
        assert_eq!(usd("999999.99").display(), "$999,999.99");
    }

    #[test]
    fn display_truncates_and_never_rounds_up() {
        assert_eq!(usd("24.99999").display(), "$24.99");
        assert_eq!(usd("0.009").display(), "$0.00");
        assert_eq!(usd("-2.509").display(), "-$2.50");
        assert_eq!(usd("-0.001").display(), "$0.00");
    }

    #[test]
    fn json_form_has_two_decimals_and_no_symbols() {
        assert_eq!(usd("1035").json_cents(), "1035.00");
        assert_eq!(usd("47.5").json_cents(), "47.50");
        assert_eq!(usd("0.00000001").json_cents(), "0.00");
        assert_eq!(usd("24.99999").json_cents(), "24.99");
    }

    proptest! {
        /// The shown amount is never above the real one and never more than a cent below it.
        #[test]
        fn shown_balance_is_the_real_balance_cut_to_the_cent(units in 0i64..10_000_000_000_000, scale in 0u32..=8) {
            let real = Decimal::new(units, scale);
            let shown = Decimal::from_str(&Usd::new(real).json_cents()).unwrap();
            prop_assert!(shown <= real);
            prop_assert!(real - shown < Decimal::new(1, 2));
            let ui = Usd::new(real).display();
            prop_assert_eq!(ui.trim_start_matches('$').replace(',', ""), shown.to_string());
        }
    }
}
