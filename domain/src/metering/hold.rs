//! A hold (docs/CONTRACT.md "Holds"): the most a call in progress can cost, reserved from the wallet until
//! the call's real cost is captured, the hold is voided, or it expires.

use crate::error::AppError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The most one hold may reserve.
pub const MAX_HOLD: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

/// A hold's amount: a plain decimal string above 0 and at most $10,000.00, with at most 8 decimal places
/// (a call can cost a fraction of a cent), e.g. `"2.00"`, `"0.0042"`.
pub fn parse_hold_amount(raw: &str) -> Result<Decimal, AppError> {
    exact_amount(raw).filter(|a| *a > Decimal::ZERO && *a <= MAX_HOLD).ok_or(AppError::HoldAmountInvalid)
}

/// A capture's amount: like a hold's, and 0 too (the call cost nothing: the whole hold is released).
pub fn parse_capture_amount(raw: &str) -> Result<Decimal, AppError> {
    exact_amount(raw).filter(|a| *a <= MAX_HOLD).ok_or(AppError::CaptureInvalid)
}

/// Digits, optionally a point and 1–8 more digits; nothing else (no sign, `$`, commas or exponent).
fn exact_amount(raw: &str) -> Option<Decimal> {
    let text = raw.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let fraction_ok = (!text.contains('.') || (1..=8).contains(&fraction.len())) && digits(fraction);
    if whole.is_empty() || whole.len() > 7 || !digits(whole) || !fraction_ok {
        return None;
    }
    text.parse::<Decimal>().ok().map(|a| a.normalize())
}

/// Where a hold stands (`holds.status`; `status` in the API). An open hold past its `expires_at` is
/// answered as `expired` at once, before the maintenance pass marks it so.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum HoldStatus {
    /// Reserving its amount.
    Held,
    /// Its call's cost was charged; the rest was released.
    Captured,
    /// Released whole; nothing was charged.
    Voided,
    /// Released whole when its time ran out; nothing was charged.
    Expired,
}

/// How long a hold lasts: 1 to 86,400 seconds (a day), 300 when not said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldLifetime(i32);

impl HoldLifetime {
    pub const DEFAULT: HoldLifetime = HoldLifetime(300);
    pub const MAX_SECONDS: i64 = 86_400;

    pub fn parse(seconds: Option<i64>) -> Result<HoldLifetime, AppError> {
        match seconds {
            None => Ok(HoldLifetime::DEFAULT),
            Some(s) if (1..=HoldLifetime::MAX_SECONDS).contains(&s) => Ok(HoldLifetime(s as i32)),
            Some(_) => Err(AppError::HoldLifetimeInvalid),
        }
    }

    pub fn seconds(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_hold_is_above_zero_up_to_ten_thousand_dollars_to_eight_places() {
        assert_eq!(parse_hold_amount("2.00").unwrap().to_string(), "2");
        assert_eq!(parse_hold_amount(" 0.00000001 ").unwrap().to_string(), "0.00000001");
        assert_eq!(parse_hold_amount("10000").unwrap(), MAX_HOLD);
        for bad in
            ["0", "0.00", "10000.01", "-1", "$2", "1,000", "1e3", "0.000000001", ".5", "5.", "", "２", "NaN"]
        {
            assert_eq!(parse_hold_amount(bad), Err(AppError::HoldAmountInvalid), "{bad:?}");
        }
        assert_eq!(parse_capture_amount("0").unwrap(), Decimal::ZERO);
        assert_eq!(parse_capture_amount("-0.01"), Err(AppError::CaptureInvalid));
    }

    proptest! {
        #[test]
        fn every_amount_in_cents_to_eight_places_reads_back_exactly(units in 1u64..=1_000_000_000_000) {
            let amount = Decimal::new(units as i64, 8);
            prop_assert_eq!(parse_hold_amount(&amount.to_string()).unwrap(), amount.normalize());
        }
    }

    #[test]
    fn a_hold_lasts_one_second_to_a_day_five_minutes_by_default() {
        assert_eq!(HoldLifetime::parse(None).unwrap().seconds(), 300);
        assert_eq!(HoldLifetime::parse(Some(1)).unwrap().seconds(), 1);
        assert_eq!(HoldLifetime::parse(Some(86_400)).unwrap().seconds(), 86_400);
        for bad in [0, -1, 86_401, i64::MAX, i64::MIN] {
            assert_eq!(HoldLifetime::parse(Some(bad)), Err(AppError::HoldLifetimeInvalid), "{bad}");
        }
    }
}
