//! Card inputs as parsed newtypes, shared by the browser (messages while typing) and the server.
//! Only the processor ever receives a full number or CVC; Tollgate keeps token, brand, last4, expiry and
//! billing postal code (docs/CONTRACT.md "Sandbox card processor").

use crate::error::AppError;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A card number that passes the Luhn check. Its `Debug` shows only the last four digits.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl CardNumber {
    /// Spaces and dashes are ignored (`4242 4242 4242 4242`); 12 to 19 ASCII digits with a valid Luhn
    /// check digit are a card number.
    pub fn parse(raw: &str) -> Result<CardNumber, AppError> {
        if raw.len() > 40 {
            return Err(AppError::InvalidCardNumber);
        }
        let digits: String = raw.chars().filter(|c| *c != ' ' && *c != '-').collect();
        let plausible = (12..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        if plausible && luhn_valid(&digits) {
            Ok(CardNumber(digits))
        } else {
            Err(AppError::InvalidCardNumber)
        }
    }

    pub fn digits(&self) -> &str {
        &self.0
    }

    pub fn last4(&self) -> String {
        self.0[self.0.len() - 4..].to_string()
    }

    pub fn brand(&self) -> CardBrand {
        let prefix = |n: usize| self.0[..n].parse::<u32>().unwrap_or(0);
        match (prefix(1), prefix(2), prefix(4)) {
            (4, _, _) => CardBrand::Visa,
            (_, 51..=55, _) | (_, _, 2221..=2720) => CardBrand::Mastercard,
            (_, 34 | 37, _) => CardBrand::Amex,
            (_, 65, _) | (_, _, 6011) => CardBrand::Discover,
            _ => CardBrand::Other,
        }
    }
}

impl std::fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardNumber(•••• {})", self.last4())
    }
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A card's network, as people name it ("Visa •••• 4242"). Stored and sent by that name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text"))]
pub enum CardBrand {
    Visa,
    Mastercard,
    #[serde(rename = "American Express")]
    #[strum(serialize = "American Express")]
    #[cfg_attr(feature = "sqlx", sqlx(rename = "American Express"))]
    Amex,
    Discover,
    /// Any other network.
    #[serde(rename = "Card")]
    #[strum(serialize = "Card")]
    #[cfg_attr(feature = "sqlx", sqlx(rename = "Card"))]
    Other,
}

impl CardBrand {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A card's expiry month. Typed as `MM/YY` (also `MM / YY`, `MM/YYYY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry {
    pub month: u32,
    /// Four digits.
    pub year: i32,
}

impl Expiry {
    pub fn parse(raw: &str) -> Result<Expiry, AppError> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let (mm, yy) = compact.split_once('/').ok_or(AppError::InvalidExpiry)?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(mm) || !digits(yy) || mm.len() > 2 || !(yy.len() == 2 || yy.len() == 4) {
            return Err(AppError::InvalidExpiry);
        }
        let month: u32 = mm.parse().map_err(|_| AppError::InvalidExpiry)?;
        let year: i32 = yy.parse().map_err(|_| AppError::InvalidExpiry)?;
        let year = if yy.len() == 2 { 2000 + year } else { year };
        if !(1..=12).contains(&month) || !(2000..=2099).contains(&year) {
            return Err(AppError::InvalidExpiry);
        }
        Ok(Expiry { month, year })
    }

    /// A card is good through the last day of its expiry month.
    pub fn has_passed(self, today: NaiveDate) -> bool {
        (self.year, self.month) < (today.year(), today.month())
    }

    /// `04/27`
    pub fn display(self) -> String {
        format!("{:02}/{:02}", self.month, self.year % 100)
    }
}

/// The 3 or 4 digit security code. Never stored, never logged: its `Debug` is blank.
#[derive(Clone, PartialEq, Eq)]
pub struct Cvc(String);

impl Cvc {
    pub fn parse(raw: &str) -> Result<Cvc, AppError> {
        let cvc = raw.trim();
        if (3..=4).contains(&cvc.len()) && cvc.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Cvc(cvc.to_string()))
        } else {
            Err(AppError::InvalidCvc)
        }
    }

    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Cvc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cvc(***)")
    }
}

/// A billing postal code: 3 to 10 letters, digits, spaces or dashes (US ZIP, UK postcode, …), upper-cased.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(raw: &str) -> Result<PostalCode, AppError> {
        let code = raw.trim().to_ascii_uppercase();
        let ok = (3..=10).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
            && code.bytes().any(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(PostalCode(code))
        } else {
            Err(AppError::InvalidPostalCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// "Update card": what the person changed. A blank field keeps the card's current value, so fixing the
/// billing address takes only the postal code (docs/CONTRACT.md "Add Funds flow"); both blank is a
/// mistake with its own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardChange {
    pub expiry: Option<Expiry>,
    pub postal_code: Option<PostalCode>,
}

impl CardChange {
    pub fn parse(expiry: &str, postal_code: &str) -> Result<CardChange, AppError> {
        let typed = |raw: &str| !raw.trim().is_empty();
        let change = CardChange {
            expiry: typed(expiry).then(|| Expiry::parse(expiry)).transpose()?,
            postal_code: typed(postal_code).then(|| PostalCode::parse(postal_code)).transpose()?,
        };
        if change.expiry.is_none() && change.postal_code.is_none() {
            return Err(AppError::CardUpdateEmpty);
        }
        Ok(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sandbox_test_cards_are_valid_numbers_with_brand_and_last4() {
        let visa = CardNumber::parse("4242 4242 4242 4242").unwrap();
        assert_eq!((visa.brand(), visa.last4().as_str()), (CardBrand::Visa, "4242"));
        let mc = CardNumber::parse("5555-5555-5555-4444").unwrap();
        assert_eq!((mc.brand(), mc.last4().as_str()), (CardBrand::Mastercard, "4444"));
        for n in [
            "4000000000000002",
            "4000000000009995",
            "4000000000009987",
            "4000000000009979",
            "4000000000000069",
            "4000000000000127",
            "4000000000000119",
            "4000000000000010",
        ] {
            assert!(CardNumber::parse(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn numbers_failing_luhn_or_shape_are_invalid() {
        for bad in [
            "4242424242424241",
            "",
            "4242",
            "abcd efgh ijkl mnop",
            "４２４２４２４２４２４２４２４２",
            "42424242424242424242424",
        ] {
            assert_eq!(CardNumber::parse(bad), Err(AppError::InvalidCardNumber), "{bad}");
        }
        assert_eq!(AppError::InvalidCardNumber.message(), "Your card number is invalid.");
    }

    #[test]
    fn debug_never_shows_the_full_number_or_cvc() {
        let n = CardNumber::parse("4242424242424242").unwrap();
        assert_eq!(format!("{n:?}"), "CardNumber(•••• 4242)");
        assert_eq!(format!("{:?}", Cvc::parse("123").unwrap()), "Cvc(***)");
    }

    #[test]
    fn expiry_forms_and_passing() {
        assert_eq!(Expiry::parse("04/27"), Ok(Expiry { month: 4, year: 2027 }));
        assert_eq!(Expiry::parse(" 4 / 2027 "), Ok(Expiry { month: 4, year: 2027 }));
        for bad in ["13/27", "00/27", "0427", "4/7", "ab/cd", "04/202", ""] {
            assert_eq!(Expiry::parse(bad), Err(AppError::InvalidExpiry), "{bad}");
        }
        let nov_2026 = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert!(!Expiry { month: 11, year: 2026 }.has_passed(nov_2026), "good through the end of its month");
        assert!(Expiry { month: 10, year: 2026 }.has_passed(nov_2026));
        assert_eq!(Expiry { month: 4, year: 2027 }.display(), "04/27");
    }

    #[test]
    fn brands_are_named_as_people_name_them() {
        let names: Vec<&str> =
            [CardBrand::Visa, CardBrand::Mastercard, CardBrand::Amex, CardBrand::Discover, CardBrand::Other]
                .into_iter()
                .map(CardBrand::as_str)
                .collect();
        assert_eq!(names, ["Visa", "Mastercard", "American Express", "Discover", "Card"]);
        assert_eq!(serde_json::to_string(&CardBrand::Amex).unwrap(), "\"American Express\"");
    }

    #[test]
    fn cvc_and_postal_code() {
        assert!(Cvc::parse("123").is_ok() && Cvc::parse("1234").is_ok());
        assert_eq!(Cvc::parse("12"), Err(AppError::InvalidCvc));
        assert_eq!(PostalCode::parse(" sw1a 1aa ").unwrap().as_str(), "SW1A 1AA");
        assert_eq!(PostalCode::parse("<script>"), Err(AppError::InvalidPostalCode));
    }

    proptest! {
        /// Changing any one digit of a valid number breaks its check digit.
        #[test]
        fn luhn_catches_every_single_digit_error(pos in 0usize..16, delta in 1u8..10) {
            let mut digits: Vec<u8> = b"4242424242424242".to_vec();
            digits[pos] = b'0' + (digits[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(digits).unwrap();
            prop_assert_eq!(CardNumber::parse(&changed), Err(AppError::InvalidCardNumber));
        }
    }

    #[test]
    fn a_card_update_changes_only_what_was_typed() {
        let postal_only = CardChange::parse("  ", "94107").unwrap();
        assert_eq!(
            postal_only,
            CardChange { expiry: None, postal_code: Some(PostalCode::parse("94107").unwrap()) }
        );
        let expiry_only = CardChange::parse("04/31", "").unwrap();
        assert_eq!(expiry_only.expiry, Some(Expiry { month: 4, year: 2031 }));
        assert_eq!(expiry_only.postal_code, None);
        assert_eq!(CardChange::parse("", " ").unwrap_err(), AppError::CardUpdateEmpty);
        // A typed field is still checked: a wrong value is refused even beside a good one.
        assert_eq!(CardChange::parse("13/31", "94107").unwrap_err(), AppError::InvalidExpiry);
        assert_eq!(CardChange::parse("04/31", "!!").unwrap_err(), AppError::InvalidPostalCode);
    }
}
