//! The low-balance alert threshold as typed into "Alert below" (shared by the browser and the server).

use rust_decimal::Decimal;
use tollgate_domain::error::AppError;
use tollgate_domain::money::{parse_dollars, Usd};

/// Empty turns the alert off; else $0.00–$1,000,000.00 with at most two decimals.
pub fn parse_alert_threshold(raw: &str) -> Result<Option<Usd>, AppError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let amount = parse_dollars(raw).map_err(|_| AppError::ThresholdInvalid)?;
    if amount < Decimal::ZERO || amount > Decimal::from(1_000_000) {
        return Err(AppError::ThresholdInvalid);
    }
    Ok(Some(Usd::new(amount)))
}
