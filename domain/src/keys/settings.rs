//! What a spend key is allowed to do, parsed once from what a person typed (shared by the browser and the
//! server): its name, an optional spend limit per UTC cycle, the services it may call and whether it may
//! add funds.

use crate::error::AppError;
use crate::money::{parse_dollars, Usd};
use chrono::{DateTime, Datelike, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A key's name: 1–100 characters after trimming, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyName(String);

impl KeyName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<KeyName, AppError> {
        let name = raw.trim();
        let length = name.chars().count();
        if length == 0 || length > Self::MAX_CHARS || name.chars().any(char::is_control) {
            return Err(AppError::KeyNameInvalid);
        }
        Ok(KeyName(name.to_string()))
    }

    /// A name read back from storage (checked when it was stored).
    pub fn stored(name: String) -> KeyName {
        KeyName(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The cycle a spend limit counts over. Cycles are UTC (stated as such on the page). Stored
/// (`spend_keys.limit_period`) and posted by the "Limit period" select as its snake_case name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum LimitPeriod {
    Daily,
    Weekly,
    Monthly,
    Total,
}

impl LimitPeriod {
    pub const ALL: [LimitPeriod; 4] =
        [LimitPeriod::Daily, LimitPeriod::Weekly, LimitPeriod::Monthly, LimitPeriod::Total];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The option text in the "Limit period" select.
    pub fn label(self) -> &'static str {
        match self {
            LimitPeriod::Daily => "Per day (resets 00:00 UTC)",
            LimitPeriod::Weekly => "Per week (resets Monday 00:00 UTC)",
            LimitPeriod::Monthly => "Per month (resets on the 1st, 00:00 UTC)",
            LimitPeriod::Total => "In total (never resets)",
        }
    }

    /// "$5.00 per day (UTC)" — how a key's limit reads in the list.
    pub fn per(self) -> &'static str {
        match self {
            LimitPeriod::Daily => "per day (UTC)",
            LimitPeriod::Weekly => "per week (UTC)",
            LimitPeriod::Monthly => "per month (UTC)",
            LimitPeriod::Total => "in total",
        }
    }

    /// When the cycle containing `now` began; `None` for a total limit (one cycle, forever).
    pub fn cycle_start(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let midnight = |date: chrono::NaiveDate| date.and_time(chrono::NaiveTime::MIN).and_utc();
        let today = now.date_naive();
        match self {
            LimitPeriod::Daily => Some(midnight(today)),
            LimitPeriod::Weekly => {
                Some(midnight(today - Duration::days(today.weekday().num_days_from_monday().into())))
            }
            LimitPeriod::Monthly => Some(midnight(today - Duration::days((today.day() - 1).into()))),
            LimitPeriod::Total => None,
        }
    }
}

/// At most this much spent through one key per cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendLimit {
    pub amount: Usd,
    pub period: LimitPeriod,
}

impl SpendLimit {
    pub const MAX: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

    /// The "Spend limit" and "Limit period" fields: an empty amount means no limit.
    pub fn parse(amount: &str, period: &str) -> Result<Option<SpendLimit>, AppError> {
        if amount.trim().is_empty() {
            return Ok(None);
        }
        let amount = parse_dollars(amount).map_err(|_| AppError::SpendLimitInvalid)?;
        if amount <= Decimal::ZERO || amount > Self::MAX {
            return Err(AppError::SpendLimitInvalid);
        }
        let period: LimitPeriod = period.trim().parse().map_err(|_| AppError::SpendLimitInvalid)?;
        Ok(Some(SpendLimit { amount: Usd::new(amount), period }))
    }

    /// A limit read back from storage (`limit_amount`, `limit_period`: both set, or none).
    pub fn stored(amount: Option<Decimal>, period: Option<LimitPeriod>) -> Option<SpendLimit> {
        Some(SpendLimit { amount: Usd::new(amount?), period: period? })
    }

    /// "$5.00 per day (UTC)"
    pub fn describe(&self) -> String {
        format!("{} {}", self.amount.display(), self.period.per())
    }
}

/// How much a key with "Allow adding funds" may add per UTC day (docs/CONTRACT.md "Limits and account
/// security"): $0.01–$10,000.00, $100.00 unless the person chooses otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyFundingLimit(Usd);

impl DailyFundingLimit {
    pub const DEFAULT: DailyFundingLimit =
        DailyFundingLimit(Usd::new(Decimal::from_parts(100, 0, 0, false, 0)));
    pub const MAX: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

    /// The "Daily funding limit" field: empty means the default.
    pub fn parse(raw: &str) -> Result<DailyFundingLimit, AppError> {
        if raw.trim().is_empty() {
            return Ok(Self::DEFAULT);
        }
        let amount = parse_dollars(raw).map_err(|_| AppError::FundingLimitInvalid)?;
        if amount <= Decimal::ZERO || amount > Self::MAX {
            return Err(AppError::FundingLimitInvalid);
        }
        Ok(DailyFundingLimit(Usd::new(amount)))
    }

    /// A limit read back from storage (checked when it was stored).
    pub fn stored(amount: Decimal) -> DailyFundingLimit {
        DailyFundingLimit(Usd::new(amount))
    }

    pub fn usd(self) -> Usd {
        self.0
    }
}

/// A key's "Rate limit": how many `/v1` requests it may make per minute (docs/CONTRACT.md "Limits and
/// account security"). The Keys page suggests [`RateLimit::SUGGESTED`]; an empty field means none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit(u32);

impl RateLimit {
    /// What the Keys page fills in: generous for an agent, a brake for a leaked key in a loop.
    pub const SUGGESTED: u32 = 600;
    pub const MAX: u32 = 100_000;

    /// The "Rate limit" field: a whole number of requests per minute, 1–100,000; empty means none.
    pub fn parse(raw: &str) -> Result<Option<RateLimit>, AppError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        match raw.parse::<u32>() {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Some(RateLimit(n))),
            _ => Err(AppError::RateLimitInvalid),
        }
    }

    /// A limit read back from storage (checked when it was stored, and by the column's constraint).
    pub fn stored(per_minute: i32) -> Option<RateLimit> {
        u32::try_from(per_minute).ok().filter(|n| (1..=Self::MAX).contains(n)).map(RateLimit)
    }

    pub fn per_minute(self) -> u32 {
        self.0
    }
}

/// Everything a person chooses when creating a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySettings {
    pub name: KeyName,
    pub limit: Option<SpendLimit>,
    /// `None`: every service. Otherwise the ids of the services this key may call.
    pub allowed_services: Option<Vec<String>>,
    pub allow_funding: bool,
    /// Checked only when funding is allowed (the field is hidden otherwise); the default when it isn't.
    pub daily_funding_limit: DailyFundingLimit,
    /// `None`: no rate limit (what a key made in code gets; the form suggests one).
    pub rate_limit: Option<RateLimit>,
}

impl KeySettings {
    /// From the create form's fields. No service ticked means every service.
    pub fn parse(
        name: &str,
        spend_limit: &str,
        limit_period: &str,
        services: &[String],
        allow_funding: bool,
        daily_funding_limit: &str,
    ) -> Result<KeySettings, AppError> {
        let mut services: Vec<String> = services.iter().map(|s| s.trim().to_string()).collect();
        services.sort();
        services.dedup();
        if services.iter().any(|s| s.is_empty() || s.len() > 63 || s.chars().any(char::is_control)) {
            return Err(AppError::UnknownService);
        }
        Ok(KeySettings {
            name: KeyName::parse(name)?,
            limit: SpendLimit::parse(spend_limit, limit_period)?,
            allowed_services: (!services.is_empty()).then_some(services),
            allow_funding,
            daily_funding_limit: if allow_funding {
                DailyFundingLimit::parse(daily_funding_limit)?
            } else {
                DailyFundingLimit::DEFAULT
            },
            rate_limit: None,
        })
    }
}

/// The "Create a key" form as posted (`POST /dashboard/keys`): a checkbox per allowed service, all named
/// `services`; "Allow adding funds" is present only when ticked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub spend_limit: String,
    #[serde(default)]
    pub limit_period: String,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub allow_funding: Option<String>,
    #[serde(default)]
    pub daily_funding_limit: String,
    #[serde(default)]
    pub rate_limit: String,
}

impl KeyForm {
    pub fn settings(&self) -> Result<KeySettings, AppError> {
        let settings = KeySettings::parse(
            &self.name,
            &self.spend_limit,
            &self.limit_period,
            &self.services,
            self.allow_funding.is_some(),
            &self.daily_funding_limit,
        )?;
        Ok(KeySettings { rate_limit: RateLimit::parse(&self.rate_limit)?, ..settings })
    }
}

/// A key's state (`spend_keys.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum KeyStatus {
    Active,
    Paused,
    Revoked,
}

impl KeyStatus {
    /// Why a call with a key in this state is refused (none for an active key).
    pub fn refusal(self) -> Option<AppError> {
        match self {
            KeyStatus::Active => None,
            KeyStatus::Paused => Some(AppError::SpendKeyPaused),
            KeyStatus::Revoked => Some(AppError::SpendKeyRevoked),
        }
    }
}

/// A key as the Keys page lists it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendKeyView {
    pub id: uuid::Uuid,
    pub name: String,
    /// "tg_sk_3f9a…": enough to tell keys apart, useless to an attacker.
    pub prefix: String,
    pub status: KeyStatus,
    pub limit: Option<SpendLimit>,
    /// Service names, or `None` for every service.
    pub allowed_services: Option<Vec<String>>,
    /// The same services' ids (what the edit form's checkboxes post).
    #[serde(default)]
    pub allowed_service_ids: Option<Vec<String>>,
    pub allow_funding: bool,
    pub daily_funding_limit: DailyFundingLimit,
    pub rate_limit: Option<RateLimit>,
    /// Spent in the current cycle (for a limit), else 0.
    pub cycle_spend: Usd,
    pub total_spend: Usd,
    pub requests: i64,
    /// "2026-11-27 14:05 UTC"
    pub last_used: Option<String>,
    pub created: String,
    /// Made on the consent page for a chat app (docs/CONTRACT.md "Chat (MCP)"): tagged "Chat connection".
    pub chat_connection: bool,
    /// The member who made it (on a team, theirs to pause and revoke), and their email.
    pub made_by: uuid::Uuid,
    pub made_by_email: String,
    /// Whether the person looking may pause, resume and revoke it (filled in for them by `list_keys`).
    pub may_change: bool,
}

/// A key just created: the only time its secret exists outside the agent's hands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub key: SpendKeyView,
    pub secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn cycles_start_at_utc_boundaries() {
        let now = at("2026-11-27T23:59:59Z"); // a Friday
        assert_eq!(LimitPeriod::Daily.cycle_start(now), Some(at("2026-11-27T00:00:00Z")));
        assert_eq!(LimitPeriod::Weekly.cycle_start(now), Some(at("2026-11-23T00:00:00Z")));
        assert_eq!(LimitPeriod::Monthly.cycle_start(now), Some(at("2026-11-01T00:00:00Z")));
        assert_eq!(LimitPeriod::Total.cycle_start(now), None);
        assert_eq!(
            LimitPeriod::Weekly.cycle_start(at("2026-11-23T00:00:00Z")),
            Some(at("2026-11-23T00:00:00Z"))
        );
    }

    #[test]
    fn spend_limits_parse_like_amounts() {
        assert_eq!(SpendLimit::parse("", "daily"), Ok(None));
        assert_eq!(SpendLimit::parse("  ", "nonsense"), Ok(None));
        let five = SpendLimit::parse("$5", "daily").unwrap().unwrap();
        assert_eq!(five.describe(), "$5.00 per day (UTC)");
        assert_eq!(
            SpendLimit::parse("1,000,000", "total").unwrap().unwrap().amount.display(),
            "$1,000,000.00"
        );
        for bad in ["0", "-1", "0.001", "1e3", "abc", "1000000.01"] {
            assert_eq!(SpendLimit::parse(bad, "daily"), Err(AppError::SpendLimitInvalid), "{bad}");
        }
        assert_eq!(SpendLimit::parse("5", "hourly"), Err(AppError::SpendLimitInvalid));
    }

    #[test]
    fn settings_dedupe_services_and_treat_none_as_all() {
        let s = KeySettings::parse(
            " agent ",
            "",
            "daily",
            &["exa".into(), "openai".into(), "exa".into()],
            false,
            "",
        )
        .unwrap();
        assert_eq!(s.name.as_str(), "agent");
        assert_eq!(s.allowed_services, Some(vec!["exa".to_string(), "openai".to_string()]));
        assert_eq!(KeySettings::parse("a", "", "", &[], true, "").unwrap().allowed_services, None);
        assert_eq!(KeySettings::parse("", "", "", &[], false, ""), Err(AppError::KeyNameInvalid));
        assert_eq!(KeySettings::parse("a\u{0007}", "", "", &[], false, ""), Err(AppError::KeyNameInvalid));
        assert_eq!(
            KeySettings::parse(&"é".repeat(101), "", "", &[], false, ""),
            Err(AppError::KeyNameInvalid)
        );
        assert!(KeySettings::parse(&"é".repeat(100), "", "", &[], false, "").is_ok());
    }

    #[test]
    fn a_funding_limit_is_checked_only_when_funding_is_allowed() {
        let limit = |allow: bool, raw: &str| {
            KeySettings::parse("a", "", "", &[], allow, raw).map(|s| s.daily_funding_limit.usd().display())
        };
        assert_eq!(limit(true, ""), Ok("$100.00".to_string()));
        assert_eq!(limit(true, "$2,500.50"), Ok("$2,500.50".to_string()));
        assert_eq!(limit(true, "10000"), Ok("$10,000.00".to_string()));
        for bad in ["0", "-5", "10000.01", "1.001", "lots", "١٠٠"] {
            assert_eq!(limit(true, bad), Err(AppError::FundingLimitInvalid), "{bad}");
        }
        assert_eq!(limit(false, "lots"), Ok("$100.00".to_string()));
    }

    proptest! {
        /// Whatever the instant, it lies in its cycle, and the cycle starts at 00:00 UTC.
        #[test]
        fn every_instant_is_inside_its_cycle(secs in 0i64..4_102_444_800) {
            let now = DateTime::from_timestamp(secs, 0).unwrap();
            for period in [LimitPeriod::Daily, LimitPeriod::Weekly, LimitPeriod::Monthly] {
                let start = period.cycle_start(now).unwrap();
                prop_assert!(start <= now);
                prop_assert!(now - start < Duration::days(31));
                prop_assert_eq!(start.timestamp() % 86_400, 0);
            }
        }
    }
}
