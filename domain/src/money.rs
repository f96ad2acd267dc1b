//! Money as exact decimals, shared by the browser and the server.
//!
//! Every amount in Tollgate is a `Usd` (a `rust_decimal::Decimal`, never `f64`). Formatting lives here so
//! that the header, the pages and the JSON API all say the same thing (docs/CONTRACT.md "Money formats").

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An exact amount of US dollars. Stored as `NUMERIC(20,8)`; shown to two decimals only at the edges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Usd(Decimal);

impl Usd {
    pub const ZERO: Usd = Usd(Decimal::ZERO);

    pub const fn new(amount: Decimal) -> Self {
        Usd(amount)
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// The amount cut (not rounded) to whole cents, toward zero: a balance of 24.99999 is $24.99,
    /// because we never overstate money (docs/CONTRACT.md "Money formats").
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

    /// A usage amount on a page, exact (up to 8 decimals, at least 2): `$0.00045`, `$3.34`, `$1,204.10`.
    /// Usage is never cut like a balance: a call that cost $0.0042 must not read as $0.00.
    pub fn exact(self) -> String {
        let value = self.0.normalize();
        if value.scale() <= 2 {
            return self.display();
        }
        // The sign is written once, in front: a charge of $0.0042 is `-$0.0042`, never `$0.0042`.
        let sign = if value.is_sign_negative() { "-" } else { "" };
        let digits = value.abs().to_string();
        let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
        format!("{sign}${}.{fraction}", group_thousands(whole))
    }

    /// JSON form of an amount that may be finer than a cent (what holds reserve, promotional and paid
    /// credit): exact, at least two decimals, no `$` — `"2.00"`, `"0.00045"`.
    pub fn json_exact(self) -> String {
        let mut exact = self.0.normalize();
        if exact.scale() < 2 {
            exact.rescale(2);
        }
        exact.to_string()
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

/// Why a typed amount can't be a top-up (docs/CONTRACT.md "Amount messages").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AmountError {
    #[error("Enter a valid amount")]
    NotANumber,
    #[error("Amount can have at most 2 decimal places")]
    TooManyDecimals,
    #[error("Enter an amount between $10.00 and $10,000.00")]
    OutOfRange,
    /// An amount in another currency ("€25", "25 GBP", "C$30"): Tollgate bills in dollars only.
    #[error("Tollgate bills in US dollars only. Enter the amount in USD; your card issuer converts at its own exchange rate.")]
    CurrencyNotSupported,
}

/// An amount someone may add to their wallet: a plain decimal number of dollars with at most two
/// decimals, from $10.00 to $10,000.00. The same parser runs in the browser (the message as you type) and
/// on the server (the authority), so the two can never disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopUpAmount(Usd);

impl TopUpAmount {
    pub const MIN: Decimal = Decimal::from_parts(10, 0, 0, false, 0);
    pub const MAX: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);
    /// The format rules of [`parse_dollars`], then the top-up range. An amount that names another currency
    /// is told so, not just "not a number".
    pub fn parse(raw: &str) -> Result<TopUpAmount, AmountError> {
        let amount = parse_dollars(raw).map_err(|err| match err {
            AmountError::NotANumber if names_another_currency(raw) => AmountError::CurrencyNotSupported,
            other => other,
        })?;
        if amount < Self::MIN || amount > Self::MAX {
            return Err(AmountError::OutOfRange);
        }
        Ok(TopUpAmount(Usd::new(amount)))
    }

    pub fn usd(self) -> Usd {
        self.0
    }
}

/// Whether a typed amount that isn't a dollar amount names another currency: a currency sign other than
/// `$` (€, £, ¥, ₹, ₩, ₽ … — the Latin-1 signs and Unicode's Currency Symbols block), a three-letter code
/// other than USD beside a number ("EUR 25", "25gbp"), or a dollar sign with a country's letters ("C$30",
/// "A$ 30", "HK$30").
pub fn names_another_currency(raw: &str) -> bool {
    let text = raw.trim();
    let is_other_sign = |c: char| matches!(c, '\u{A2}'..='\u{A5}' | '\u{20A0}'..='\u{20CF}' | '\u{FDFC}');
    if text.chars().any(is_other_sign) {
        return true;
    }
    let letters: String =
        text.chars().filter(char::is_ascii_alphabetic).collect::<String>().to_ascii_uppercase();
    let rest: String = text.chars().filter(|c| !c.is_ascii_alphabetic() && !c.is_whitespace()).collect();
    let rest_is_a_number = parse_dollars(&rest).is_ok();
    let country_dollar = text.contains('$') && !letters.is_empty() && letters.len() <= 3 && letters != "US";
    let other_code = letters.len() == 3 && letters != "USD";
    rest_is_a_number && (country_dollar || other_code)
}

/// A typed dollar amount with at most two decimals, before any range rule: surrounding spaces, an
/// optional leading `$` and thousands commas in the right places (`1,000.50`) are accepted; exponents,
/// hex, `NaN`, misplaced commas and non-ASCII digits are not. Each kind of amount (a top-up, a spend
/// limit, an alert threshold) applies its own range to the result.
pub fn parse_dollars(raw: &str) -> Result<Decimal, AmountError> {
    const MAX_INPUT_CHARS: usize = 32;
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > MAX_INPUT_CHARS {
        return Err(AmountError::NotANumber);
    }
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let text = text.strip_prefix('$').unwrap_or(text);
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) if !negative => (true, rest),
        Some(_) => return Err(AmountError::NotANumber),
        None => (negative, text),
    };
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let whole_digits = plain_or_grouped_digits(whole).ok_or(AmountError::NotANumber)?;
    let fraction = match fraction {
        Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(AmountError::NotANumber)
        }
        Some(f) => f,
        None => "",
    };
    if fraction.len() > 2 {
        return Err(AmountError::TooManyDecimals);
    }
    let canonical = format!("{}{whole_digits}.{fraction:0<2}", if negative { "-" } else { "" });
    // 30 digits overflow Decimal: such a number is far out of any range anyway.
    canonical.parse::<Decimal>().map_err(|_| AmountError::OutOfRange)
}

/// `1234` or `1,234` (groups of three after the first) → the digits; anything else → `None`.
fn plain_or_grouped_digits(whole: &str) -> Option<String> {
    if whole.is_empty() {
        return None;
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let ascii_digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let well_grouped =
        groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    (groups.iter().all(|g| ascii_digits(g)) && well_grouped).then(|| groups.concat())
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
    fn usage_amounts_are_exact() {
        assert_eq!(usd("0.00045").exact(), "$0.00045");
        assert_eq!(usd("3.34").exact(), "$3.34");
        assert_eq!(usd("1204.1").exact(), "$1,204.10");
        assert_eq!(usd("1204.12345").exact(), "$1,204.12345");
        assert_eq!(usd("0").exact(), "$0.00");
        // Charges (ledger debits) keep their sign, below a dollar too.
        assert_eq!(usd("-0.0042").exact(), "-$0.0042");
        assert_eq!(usd("-1204.12345").exact(), "-$1,204.12345");
        assert_eq!(usd("-3.3").exact(), "-$3.30");
    }

    #[test]
    fn json_form_has_two_decimals_and_no_symbols() {
        assert_eq!(usd("1035").json_cents(), "1035.00");
        assert_eq!(usd("47.5").json_cents(), "47.50");
        assert_eq!(usd("0.00000001").json_cents(), "0.00");
        assert_eq!(usd("24.99999").json_cents(), "24.99");
    }

    #[test]
    fn top_up_accepts_the_contracts_forms() {
        for (input, expected) in [
            ("10", "10.00"),
            ("$25", "25.00"),
            ("  1,000.50 ", "1000.50"),
            ("10000", "10000.00"),
            ("$10,000.00", "10000.00"),
            ("99.9", "99.90"),
            ("010", "10.00"),
        ] {
            assert_eq!(
                TopUpAmount::parse(input).map(|a| a.usd().json_cents()),
                Ok(expected.to_string()),
                "{input:?}"
            );
        }
    }

    #[test]
    fn top_up_refuses_the_contracts_bad_inputs_with_their_messages() {
        use AmountError::*;
        let long = "1".repeat(33);
        let cases: &[(&str, AmountError)] = &[
            ("", NotANumber),
            ("   ", NotANumber),
            ("ten", NotANumber),
            ("1e3", NotANumber),
            ("NaN", NotANumber),
            ("0x10", NotANumber),
            ("1,00", NotANumber),
            ("1,0000", NotANumber),
            (",100", NotANumber),
            ("١٠٠", NotANumber),
            ("１００", NotANumber),
            ("10.", NotANumber),
            (".", NotANumber),
            ("$$10", NotANumber),
            ("--10", NotANumber),
            ("+10", NotANumber),
            ("10 000", NotANumber),
            (&long, NotANumber),
            ("12.345", TooManyDecimals),
            ("9.999", TooManyDecimals),
            ("9.99", OutOfRange),
            ("10000.01", OutOfRange),
            ("-10", OutOfRange),
            ("0", OutOfRange),
            ("$-25", OutOfRange),
            ("99999999999999999999999999999999", OutOfRange),
            ("€25", CurrencyNotSupported),
            ("25 €", CurrencyNotSupported),
            ("£10.50", CurrencyNotSupported),
            ("¥3000", CurrencyNotSupported),
            ("₹500", CurrencyNotSupported),
            ("EUR 25", CurrencyNotSupported),
            ("25gbp", CurrencyNotSupported),
            ("C$30", CurrencyNotSupported),
            ("HK$ 100", CurrencyNotSupported),
            ("USD 25", NotANumber),
            ("US$25", NotANumber),
            ("abc", NotANumber),
            ("EUR", NotANumber),
        ];
        for (input, error) in cases {
            assert_eq!(TopUpAmount::parse(input), Err(*error), "{input:?}");
        }
        assert_eq!(AmountError::OutOfRange.to_string(), "Enter an amount between $10.00 and $10,000.00");
        assert!(AmountError::CurrencyNotSupported
            .to_string()
            .starts_with("Tollgate bills in US dollars only."));
    }

    proptest! {
        /// Every amount in range with at most two decimals is accepted exactly, in every accepted spelling.
        #[test]
        fn every_in_range_cent_amount_parses_exactly(cents in 1_000i64..=1_000_000) {
            let amount = Decimal::new(cents, 2);
            let plain = amount.to_string();
            let shown = Usd::new(amount).display();
            for spelling in [plain.clone(), shown.clone(), shown.replace('$', ""), format!("  {plain} ")] {
                prop_assert_eq!(TopUpAmount::parse(&spelling).map(|a| a.usd().amount()), Ok(amount), "{}", spelling);
            }
        }

        /// Out-of-range cent amounts get the range message, never acceptance.
        #[test]
        fn out_of_range_amounts_are_refused(cents in prop_oneof![-1_000_000i64..1_000, 1_000_001i64..100_000_000]) {
            let text = Decimal::new(cents, 2).to_string();
            prop_assert_eq!(TopUpAmount::parse(&text), Err(AmountError::OutOfRange));
        }

        /// A third decimal place is always refused, whatever the number.
        #[test]
        fn three_decimals_are_refused(mills in 0i64..100_000_000, last in 1i64..10) {
            let text = Decimal::new(mills * 10 + last, 3).to_string();
            prop_assert_eq!(TopUpAmount::parse(&text), Err(AmountError::TooManyDecimals));
        }

        /// No input, however odd, panics or is accepted outside the rules.
        #[test]
        fn arbitrary_input_never_yields_an_out_of_range_amount(input in "\\PC{0,40}") {
            if let Ok(amount) = TopUpAmount::parse(&input) {
                let a = amount.usd().amount();
                prop_assert!(a >= TopUpAmount::MIN && a <= TopUpAmount::MAX && a.scale() <= 2);
            }
        }
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

        /// A usage amount reads back as exactly itself: its sign in front, `$`, thousands grouped, at least
        /// two decimals.
        #[test]
        fn an_exact_amount_reads_back_as_itself(units in -10_000_000_000_000i64..10_000_000_000_000, scale in 0u32..=8) {
            let real = Decimal::new(units, scale);
            let shown = Usd::new(real).exact();
            let negative = shown.starts_with('-');
            let digits = shown.trim_start_matches('-').strip_prefix('$').unwrap().replace(',', "");
            let read = Decimal::from_str(&digits).unwrap();
            prop_assert_eq!(if negative { -read } else { read }, real);
            prop_assert!(digits.split_once('.').is_some_and(|(_, cents)| cents.len() >= 2), "{}", shown);
            let whole = shown.trim_start_matches('-').trim_start_matches('$').split('.').next().unwrap();
            prop_assert!(whole.split(',').skip(1).all(|group| group.len() == 3), "{}", shown);
        }
    }
}
