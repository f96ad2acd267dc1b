//! Usage reads. The daily summary reads only rollups (daily ones in the account's timezone, 15-minute ones
//! in any other; never `requests`); the request list pages by `(created_at, seq)`, so a page boundary
//! never moves when new calls arrive.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use rust_decimal::Decimal;
use sqlx::{PgExecutor, PgPool};
use std::collections::{BTreeMap, HashSet};
use tollgate_domain::error::AppError;
use tollgate_domain::metering::call::{CallStatus, RequestRow};
use tollgate_domain::metering::report::{
    DailyUsage, RequestDetail, RequestPage, ServiceUsage, UsageSummary, UsageTotals, MAX_RANGE_DAYS,
};
use tollgate_domain::money::Usd;
use uuid::Uuid;

/// An IANA timezone name chrono-tz knows (`UTC`, `Asia/Kathmandu`). For a name from outside (a form, a
/// query), use `known_timezone`, which also asks PostgreSQL.
pub fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, AppError> {
    name.parse::<chrono_tz::Tz>().map_err(|_| AppError::TimezoneInvalid)
}

/// The timezone names this PostgreSQL knows, read once per process (its tz database doesn't change while
/// it runs; a process-wide cache of a fact of the database, not state).
async fn postgres_timezones(pool: &PgPool) -> Result<&'static HashSet<String>, AppError> {
    static NAMES: tokio::sync::OnceCell<HashSet<String>> = tokio::sync::OnceCell::const_new();
    NAMES
        .get_or_try_init(|| async {
            let names: Vec<String> = sqlx::query_scalar!(r#"SELECT name AS "name!" FROM pg_timezone_names"#)
                .fetch_all(pool)
                .await?;
            Ok::<_, AppError>(names.into_iter().collect())
        })
        .await
}

/// A timezone both chrono-tz and PostgreSQL know: every day boundary is computed by both (pages in Rust,
/// rollups in SQL), so a name only one of them knows would make the account's every paid call fail.
pub async fn known_timezone(pool: &PgPool, name: &str) -> Result<chrono_tz::Tz, AppError> {
    let tz = parse_timezone(name)?;
    if !postgres_timezones(pool).await?.contains(tz.name()) {
        return Err(AppError::TimezoneInvalid);
    }
    Ok(tz)
}

/// The timezones the "Timezone" select offers before a person asks for all of them: one or a few per
/// populated region, the half- and quarter-hour ones included. The whole list is nearly 600 options, more
/// than half of the usage page's elements, and it kept the page's load over a slow phone's budget
/// (docs/BENCHMARKS.md "Lighthouse").
pub const COMMON_TIMEZONES: [&str; 36] = [
    "UTC",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Africa/Nairobi",
    "America/Anchorage",
    "America/Bogota",
    "America/Chicago",
    "America/Denver",
    "America/Halifax",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/New_York",
    "America/Phoenix",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/St_Johns",
    "America/Toronto",
    "Asia/Dubai",
    "Asia/Hong_Kong",
    "Asia/Jakarta",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Australia/Sydney",
    "Europe/Berlin",
    "Europe/Istanbul",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Moscow",
    "Europe/Paris",
    "Pacific/Auckland",
];

/// Every timezone a person may choose (the "Timezone" select): those both chrono-tz and PostgreSQL know.
pub async fn selectable_timezones(pool: &PgPool) -> Result<Vec<String>, AppError> {
    let known = postgres_timezones(pool).await?;
    Ok(chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .filter(|n| known.contains(*n))
        .map(String::from)
        .collect())
}

/// The first and last day any usage view or export takes (docs/CONTRACT.md "Limits and account security"):
/// far wider than any account's history, and far from the calendar's edges, so no date arithmetic on a
/// request's dates can overflow.
pub const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");
pub const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2100, 12, 31).expect("a date");

/// Whether a day is one a view may show.
pub fn is_within_bounds(day: NaiveDate) -> bool {
    (FIRST_DAY..=LAST_DAY).contains(&day)
}

#[tracing::instrument(name = "usage::account_timezone", skip(db))]
pub async fn account_timezone(db: impl PgExecutor<'_>, account_id: Uuid) -> Result<String, AppError> {
    sqlx::query_scalar!("SELECT timezone FROM accounts WHERE id = $1", account_id)
        .fetch_optional(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Every day of `start..=end`.
fn days(start: NaiveDate, end: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    start.iter_days().take_while(move |day| *day <= end)
}

/// The days the usage page and its CSV export show: `since` and `until` as YYYY-MM-DD (empty or missing:
/// `until` is today in `tz`, `since` the 6 days before it, so a week by default).
pub fn selected_days(
    since: Option<&str>,
    until: Option<&str>,
    tz: chrono_tz::Tz,
) -> Result<(NaiveDate, NaiveDate), AppError> {
    let date = |raw: Option<&str>| {
        raw.map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .ok()
                    .filter(|d| is_within_bounds(*d))
                    .ok_or(AppError::DateRangeInvalid)
            })
            .transpose()
    };
    let until = date(until)?.unwrap_or_else(|| today_in(tz));
    let since = date(since)?.unwrap_or(until - Duration::days(6));
    Ok((since, until))
}

/// Today in `tz`.
pub fn today_in(tz: chrono_tz::Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// One row of `daily_summary.sql`: a service's completed calls and spend on one local day.
struct DayServiceRow {
    day: NaiveDate,
    service: String,
    requests: i64,
    cost: Decimal,
}

/// Spend and completed calls per local day of `start..=end` in `tz`, by service, with totals — of the whole
/// account, or of one `member`'s keys and chat connections. Exact in every timezone: a local day is a whole
/// number of 15-minute UTC buckets.
#[tracing::instrument(name = "usage::daily_summary", skip(db, tz), fields(tz = tz.name()))]
pub async fn daily_summary(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    (start, end): (NaiveDate, NaiveDate),
    tz: chrono_tz::Tz,
    member: Option<Uuid>,
) -> Result<UsageSummary, AppError> {
    if end < start
        || (end - start).num_days() >= MAX_RANGE_DAYS
        || !is_within_bounds(start)
        || !is_within_bounds(end)
    {
        return Err(AppError::DateRangeInvalid);
    }
    let (from, to) = day_range(start, end, tz);
    let rows: Vec<DayServiceRow> = match member {
        // The daily rollups when `tz` is the account's own timezone (≈1 row per day, service and model,
        // whatever the traffic), else the 15-minute rollups (exact in any timezone). One statement, so both
        // branches see one snapshot; Postgres evaluates the uncorrelated `EXISTS` once and skips the other
        // branch. `bench/run.sh` (P3) explains this same file.
        None => {
            sqlx::query_file_as!(
                DayServiceRow,
                "src/reads/daily_summary.sql",
                account_id,
                start as NaiveDate,
                end as NaiveDate,
                tz.name()
            )
            .fetch_all(db)
            .await?
        }
        // One member's keys and chat connections, from the calls themselves (the rollups have no member
        // dimension). A filter people choose now and then on a team, so it reads the range's calls through
        // `requests_account_time`.
        Some(member) => {
            sqlx::query_as!(
                DayServiceRow,
                r#"SELECT (r.created_at AT TIME ZONE $2)::date AS "day!: _", r.service_id AS service,
                          (count(*) FILTER (WHERE r.status = 'completed'))::bigint AS "requests!",
                          sum(r.cost_total) AS "cost!"
                     FROM requests r JOIN spend_keys k ON k.id = r.spend_key_id
                    WHERE r.account_id = $1 AND k.created_by = $3 AND r.created_at >= $4 AND r.created_at < $5
                    GROUP BY 1, 2
                   HAVING count(*) FILTER (WHERE r.status = 'completed') > 0 OR sum(r.cost_total) > 0
                    ORDER BY 1, 2"#,
                account_id,
                tz.name(),
                member,
                from as DateTime<Utc>,
                to as DateTime<Utc>,
            )
            .fetch_all(db)
            .await?
        }
    };
    let mut by_day: BTreeMap<NaiveDate, Vec<ServiceUsage>> = BTreeMap::new();
    for row in rows {
        let usage = ServiceUsage { service: row.service, requests: row.requests, cost: Usd::new(row.cost) };
        by_day.entry(row.day).or_default().push(usage);
    }
    let items: Vec<DailyUsage> = days(start, end)
        .map(|day| {
            let services = by_day.remove(&day).unwrap_or_default();
            DailyUsage {
                date: day,
                requests: services.iter().map(|s| s.requests).sum(),
                cost: Usd::new(services.iter().map(|s| s.cost.amount()).sum()),
                services,
            }
        })
        .collect();
    let totals = UsageTotals {
        requests: items.iter().map(|d| d.requests).sum(),
        cost: Usd::new(items.iter().map(|d| d.cost.amount()).sum()),
    };
    Ok(UsageSummary { timezone: tz.name().to_string(), items, totals })
}

/// Which calls a list or export shows. Empty fields don't filter.
#[derive(Clone, Debug, Default)]
pub struct RequestFilter {
    /// From this instant (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub until: Option<DateTime<Utc>>,
    pub service: Option<String>,
    pub model: Option<String>,
    pub status: Option<CallStatus>,
    /// Calls by this member's keys and chat connections.
    pub member: Option<Uuid>,
}

/// A person whose usage the account can be filtered by: a member now, or anyone who made a key on it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UsageMember {
    pub user_id: Uuid,
    pub email: String,
}

/// Who counts as a member for usage (`$1` the account): its members now, and anyone who made a key on it.
const USAGE_PEOPLE: &str = "SELECT user_id FROM memberships WHERE account_id = $1
                             UNION SELECT created_by FROM spend_keys WHERE account_id = $1";

/// Everyone whose usage this account can show by member, by email.
pub async fn usage_members(pool: &PgPool, account_id: Uuid) -> Result<Vec<UsageMember>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT u.id AS user_id, u.email FROM users u WHERE u.id IN ({USAGE_PEOPLE}) ORDER BY lower(u.email), u.id"
    ))
    .bind(account_id)
    .fetch_all(pool)
    .await?)
}

/// The member `who` names — their user id or their email (any case) — among [`usage_members`]; `None`
/// (no member asked for) names nobody, so the usage is everyone's.
pub async fn usage_member(
    pool: &PgPool,
    account_id: Uuid,
    who: Option<&str>,
) -> Result<Option<Uuid>, AppError> {
    let Some(who) = who.map(str::trim) else { return Ok(None) };
    if who.is_empty() || who.len() > 320 || who.chars().any(char::is_control) {
        return Err(AppError::MemberUnknown);
    }
    let by_id = Uuid::parse_str(who).ok();
    let found: Option<Uuid> = sqlx::query_scalar(&format!(
        "SELECT u.id FROM users u
          WHERE (u.id = $2 OR ($2::uuid IS NULL AND u.email = lower($3))) AND u.id IN ({USAGE_PEOPLE})"
    ))
    .bind(account_id)
    .bind(by_id)
    .bind(who)
    .fetch_optional(pool)
    .await?;
    found.ok_or(AppError::MemberUnknown).map(Some)
}

/// `start..=end` local days of `tz` as UTC instants `[from, to)`.
pub fn day_range(start: NaiveDate, end: NaiveDate, tz: chrono_tz::Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    (day_start(start, tz), day_start(end + Duration::days(1), tz))
}

/// When `day` begins in `tz`: its first whole hour that exists there. A midnight skipped by a DST change
/// starts the day an hour later; a day skipped whole (Pacific/Apia's 2011-12-30) starts when the next
/// one does, so it is empty. Never panics, whatever the timezone and date.
fn day_start(day: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let hours = (0..3)
        .map(|d| day + Duration::days(d))
        .flat_map(|d| (0..24).map(move |h| d.and_time(NaiveTime::MIN) + Duration::hours(h)));
    hours
        .filter_map(|local| tz.from_local_datetime(&local).earliest())
        .next()
        .map_or_else(|| day.and_time(NaiveTime::MIN).and_utc(), |start| start.with_timezone(&Utc))
}

/// `1764249000123456_42`: the (created_at, seq) of the last call of a page.
fn encode_cursor(at: DateTime<Utc>, seq: i64) -> String {
    format!("{}_{seq}", at.timestamp_micros())
}

fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, i64), AppError> {
    let (micros, seq) = cursor.split_once('_').ok_or(AppError::InvalidQuery)?;
    let at = micros.parse().ok().and_then(DateTime::from_timestamp_micros).ok_or(AppError::InvalidQuery)?;
    Ok((at, seq.parse().map_err(|_| AppError::InvalidQuery)?))
}

/// Up to `limit` calls matching `filter` that come after `cursor`, newest first. The cursor is given as a
/// plain time bound too (`created_at <= $7`): a backward index scan starts from a plain bound, never from the
/// row comparison, so without it a page deep in a long history would walk the index down from the range's
/// end (docs/BENCHMARKS.md "P7").
#[tracing::instrument(name = "usage::requests_page", skip(pool, filter))]
pub async fn requests_page(
    pool: &PgPool,
    account_id: Uuid,
    filter: &RequestFilter,
    limit: i64,
    cursor: Option<&str>,
) -> Result<RequestPage, AppError> {
    let after = cursor.filter(|c| !c.is_empty()).map(decode_cursor).transpose()?;
    let mut rows: Vec<RequestRow> = sqlx::query_as(&format!(
        "SELECT {} FROM requests
          WHERE account_id = $1
            AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)
            AND ($4::text IS NULL OR service_id = $4) AND ($5::text IS NULL OR model = $5)
            AND ($6::text IS NULL OR status = $6)
            AND ($7::timestamptz IS NULL OR (created_at <= $7 AND (account_id, created_at, seq) < ($1, $7, $8)))
            AND ($10::uuid IS NULL
                 OR spend_key_id IN (SELECT id FROM spend_keys WHERE account_id = $1 AND created_by = $10))
          ORDER BY created_at DESC, seq DESC
          LIMIT $9",
        RequestRow::COLUMNS
    ))
    .bind(account_id)
    .bind(filter.since)
    .bind(filter.until)
    .bind(filter.service.as_deref())
    .bind(filter.model.as_deref())
    .bind(filter.status)
    .bind(after.map(|(at, _)| at))
    .bind(after.map_or(0, |(_, seq)| seq))
    .bind(limit + 1)
    .bind(filter.member)
    .fetch_all(pool)
    .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = has_more.then(|| rows.last().map(|r| encode_cursor(r.created_at, r.seq))).flatten();
    let data = rows.iter().map(RequestRow::record).collect::<Result<Vec<_>, AppError>>()?;
    Ok(RequestPage { data, next_cursor })
}

/// One call of this account with the name of the key that made it and why it was refused, if it was.
#[tracing::instrument(name = "usage::request_detail", skip(pool))]
pub async fn request_detail(
    pool: &PgPool,
    account_id: Uuid,
    request_id: Uuid,
) -> Result<RequestDetail, AppError> {
    let row: Option<RequestRow> = sqlx::query_as(&format!(
        "SELECT {} FROM requests WHERE account_id = $1 AND id = $2",
        RequestRow::COLUMNS
    ))
    .bind(account_id)
    .bind(request_id)
    .fetch_optional(pool)
    .await?;
    let row = row.ok_or(AppError::NotFound)?;
    let key_name: String = sqlx::query_scalar!("SELECT name FROM spend_keys WHERE id = $1", row.spend_key_id)
        .fetch_one(pool)
        .await?;
    Ok(RequestDetail {
        call: row.record()?,
        key_name,
        refused_because: row.reject_reason.as_deref().and_then(AppError::from_code).map(|e| e.message()),
        created: tollgate_domain::utc::shown_utc(row.created_at),
    })
}

/// Succeeded deposits per local day of `start..=end` in `tz`, aligned with those days.
#[tracing::instrument(name = "usage::deposits_per_day", skip(db, tz), fields(tz = tz.name()))]
pub async fn deposits_per_day(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    start: NaiveDate,
    end: NaiveDate,
    tz: chrono_tz::Tz,
) -> Result<Vec<Usd>, AppError> {
    let (from, to) = day_range(start, end, tz);
    let rows: Vec<(NaiveDate, Decimal)> = sqlx::query!(
        r#"SELECT (completed_at AT TIME ZONE $4)::date AS "day!: NaiveDate", sum(amount) AS "amount!"
             FROM payment_attempts
            WHERE account_id = $1 AND status = 'succeeded' AND completed_at >= $2 AND completed_at < $3
            GROUP BY 1"#,
        account_id,
        from as DateTime<Utc>,
        to as DateTime<Utc>,
        tz.name(),
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|row| (row.day, row.amount))
    .collect();
    Ok(days(start, end)
        .map(|day| Usd::new(rows.iter().find(|(d, _)| *d == day).map_or(Decimal::ZERO, |(_, a)| *a)))
        .collect())
}

#[cfg(test)]
mod day_start_tests {
    use super::*;

    #[test]
    fn every_day_of_every_timezone_has_a_start_even_one_skipped_whole() {
        let apia: chrono_tz::Tz = "Pacific/Apia".parse().unwrap();
        let skipped = NaiveDate::from_ymd_opt(2011, 12, 30).unwrap();
        let (from, to) = day_range(skipped, skipped, apia);
        assert_eq!(from, to, "Samoa skipped 2011-12-30: that day is empty");
        // Every timezone, at both ends of the dates Tollgate takes: no panic, and days run forward.
        for tz in chrono_tz::TZ_VARIANTS {
            for day in [FIRST_DAY, LAST_DAY, NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()] {
                let (from, to) = day_range(day, day, tz);
                assert!(from <= to, "{tz} {day}");
            }
        }
    }
}
