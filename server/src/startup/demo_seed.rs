//! The demo account a newcomer logs into (docs/CONTRACT.md "Running it"): `demo@tollgate.test` /
//! `demo-password-1`, about 60 days of history and a few deposits. Dev only (`TOLLGATE_SEED_DEMO`).
//!
//! The history is deterministic so tests can name the balance: deposits of $100, $50 and $25, and
//! metered calls adding up to $127.50, leaving **$47.50**. Everything goes through the ledger, in one
//! transaction, in time order, so `balance = Σ ledger` holds as for any other account. The deposits are
//! real (succeeded) Add Funds attempts on a saved Visa •••• 4242, tokenized by the processor so it can be
//! charged again, and one attempt with another card failed for insufficient funds. The calls are real
//! request rows of a "Demo agent" spend key (its secret was never kept), with their rollups, so the usage
//! views and charts have about 60 days to show.

use app::auth::password;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use tollgate_core::accounts::store as auth_db;
use tollgate_core::audit::Actor;
use tollgate_core::keys::db as keys_db;
use tollgate_core::metering::past_calls::{record_past_call, PastCall};
use tollgate_core::payments::past_deposits;
use tollgate_core::payments::processor::{CardToken, PaymentProcessor};
use tollgate_domain::accounts::credentials::{Email, NewPassword};
use tollgate_domain::catalog::pricing::{Price, Usage};
use tollgate_domain::error::AppError;
use tollgate_domain::keys::settings::KeySettings;
use tollgate_domain::payments::card::{CardNumber, Cvc, Expiry, PostalCode};
use tollgate_domain::payments::decline::DeclineCode;
use tollgate_domain::payments::new_card::NewCard;

pub const DEMO_EMAIL: &str = "demo@tollgate.test";
pub const DEMO_PASSWORD: &str = "demo-password-1";
const HISTORY_DAYS: i64 = 60;
/// (days ago, dollars)
const DEPOSITS: [(i64, i64); 3] = [(60, 100), (35, 50), (12, 25)];

/// Creates the demo account unless it exists. Safe to call on every start.
pub async fn seed_demo_account(pool: &PgPool, processor: &dyn PaymentProcessor) -> Result<bool, AppError> {
    let email = Email::parse(DEMO_EMAIL)?;
    if auth_db::find_login(pool, &email).await?.is_some() {
        return Ok(false);
    }
    let hash = password::hash(&NewPassword::parse(DEMO_PASSWORD)?).await?;
    let user = match auth_db::create_user_with_account(pool, &email, &hash).await {
        Ok(user) => user,
        Err(AppError::EmailTaken) => return Ok(false), // another instance seeded it first
        Err(err) => return Err(err),
    };
    let visa = tokenize(processor, "4242424242424242").await?;
    let declined = tokenize(processor, "4000000000009995").await?;
    let mut tx = pool.begin().await?;
    let saved_at = Utc::now() - Duration::days(61);
    let card_id = past_deposits::save_card(&mut tx, user.account_id, user.user_id, &visa, saved_at).await?;
    let agent = KeySettings::parse("Demo agent", "", "", &[], false, "")?;
    let key_id = keys_db::create(pool, &Actor::server(user.account_id, user.user_id), &agent).await?.key.id;
    keys_db::backdate(&mut tx, key_id, HISTORY_DAYS as i32 + 1).await?;
    let prices = catalog_prices(pool).await?;
    for (n, event) in demo_history(&prices).into_iter().enumerate() {
        match event {
            Event::Deposit { at, dollars } => {
                let amount = Decimal::from(dollars);
                past_deposits::record(&mut tx, user.account_id, &visa, Some(card_id), amount, at, None, n)
                    .await?;
            }
            Event::Call(call) => record_past_call(&mut tx, user.account_id, key_id, &call).await?,
        }
    }
    let failed_day = (Utc::now() - Duration::days(5)).date_naive();
    let failed_at = failed_day.and_time(NaiveTime::from_hms_opt(14, 5, 0).expect("valid time")).and_utc();
    let declined_with = Some(DeclineCode::InsufficientFunds);
    past_deposits::record(
        &mut tx,
        user.account_id,
        &declined,
        None,
        Decimal::from(50),
        failed_at,
        declined_with,
        0,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(email = DEMO_EMAIL, "seeded the demo account");
    Ok(true)
}

async fn tokenize(processor: &dyn PaymentProcessor, number: &str) -> Result<CardToken, AppError> {
    let card = NewCard {
        number: CardNumber::parse(number)?,
        expiry: Expiry { month: 12, year: Utc::now().year() + 3 },
        cvc: Cvc::parse("123")?,
        postal_code: PostalCode::parse("94107")?,
    };
    processor.tokenize(card).await.map_err(|err| AppError::internal("the demo seed's card", err))
}

enum Event {
    Deposit { at: DateTime<Utc>, dollars: i64 },
    Call(PastCall),
}

/// The catalog prices the demo calls use: openai, anthropic, exa, open-meteo.
struct DemoPrices {
    openai: Price,
    anthropic: Price,
    exa: Price,
    meteo: Price,
}

async fn catalog_prices(pool: &PgPool) -> Result<DemoPrices, AppError> {
    let price = |service: &'static str, model: &'static str| async move {
        tollgate_core::catalog::db::price(pool, service, model)
            .await?
            .ok_or_else(|| AppError::bug("a demo call's price is missing from the catalog"))
    };
    Ok(DemoPrices {
        openai: price("openai", "gpt-4o-mini").await?,
        anthropic: price("anthropic", "claude-haiku").await?,
        exa: price("exa", "search").await?,
        meteo: price("open-meteo", "forecast").await?,
    })
}

/// Deposits and each day's calls, oldest first.
fn demo_history(prices: &DemoPrices) -> Vec<Event> {
    let today = Utc::now().date_naive();
    let first_day = today - Duration::days(HISTORY_DAYS);
    let usage = daily_usage_cents(first_day, HISTORY_DAYS as usize, 12_750);
    let mut history = Vec::new();
    for days_ago in (1..=HISTORY_DAYS).rev() {
        let day = today - Duration::days(days_ago);
        if let Some((_, dollars)) = DEPOSITS.iter().find(|(d, _)| *d == days_ago) {
            let at = day.and_time(NaiveTime::from_hms_opt(7, 5, 0).expect("valid time")).and_utc();
            history.push(Event::Deposit { at, dollars: *dollars });
        }
        history.extend(
            day_of_calls(day, usage[(HISTORY_DAYS - days_ago) as usize], prices).into_iter().map(Event::Call),
        );
    }
    history
}

/// One day's calls costing exactly `cents`, spread from 08:00 to 22:40 UTC: gpt-4o-mini calls of 3¢
/// (100k input + 25k output tokens), Exa searches (½¢ each), Claude Haiku calls for the rest (12,500 input
/// tokens = 1¢, 2,500 output tokens = 1¢), and two free forecasts.
fn day_of_calls(day: chrono::NaiveDate, cents: i64, prices: &DemoPrices) -> Vec<PastCall> {
    let openai_calls = cents * 3 / 10 / 3;
    let exa_cents = (cents / 10).min(15);
    let rest = cents - openai_calls * 3 - exa_cents;
    let mut calls: Vec<(&'static str, &'static str, Usage, Price)> = Vec::new();
    for _ in 0..openai_calls {
        calls.push((
            "openai",
            "gpt-4o-mini",
            Usage { input_tokens: 100_000, output_tokens: 25_000 },
            prices.openai,
        ));
    }
    for _ in 0..exa_cents * 2 {
        calls.push(("exa", "search", Usage::default(), prices.exa));
    }
    for part in [rest / 3, rest / 3, rest - 2 * (rest / 3)].into_iter().filter(|p| *p > 0) {
        let output_cents = part / 2;
        let usage = Usage {
            input_tokens: ((part - output_cents) * 12_500) as u64,
            output_tokens: (output_cents * 2_500) as u64,
        };
        calls.push(("anthropic", "claude-haiku", usage, prices.anthropic));
    }
    calls.push(("open-meteo", "forecast", Usage { input_tokens: 0, output_tokens: 0 }, prices.meteo));
    calls.insert(calls.len() / 2, ("open-meteo", "forecast", Usage::default(), prices.meteo));
    let start = day.and_time(NaiveTime::from_hms_opt(8, 0, 0).expect("valid time")).and_utc();
    let step = Duration::minutes(880) / calls.len().max(1) as i32;
    // Interleave the services over the day, as real traffic would be.
    let n = calls.len();
    let order: Vec<usize> = (0..n).map(|i| (i * 7) % n).collect();
    let unique = {
        let mut o = order.clone();
        o.sort();
        o.dedup();
        o.len() == n
    };
    let order: Vec<usize> = if unique { order } else { (0..n).collect() };
    order
        .into_iter()
        .enumerate()
        .map(|(slot, i)| {
            let (service, model, usage, price) = calls[i];
            PastCall { at: start + step * slot as i32, service, model, usage, price }
        })
        .collect()
}

/// `days` daily amounts in cents from `first_day` on, adding up to exactly `total`, shaped like a real
/// team's agents: uneven weekdays (a fixed pseudo-random wobble, the same on every start), quiet weekends,
/// slow growth over the weeks, and one spike (a batch job, 9 days before today).
fn daily_usage_cents(first_day: chrono::NaiveDate, days: usize, total: i64) -> Vec<i64> {
    let mut state: u64 = 0x5EED_CA11;
    let weights: Vec<i64> = (0..days)
        .map(|i| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let wobble = 60 + (state >> 33) % 81; // 60..=140
            let growth = 80 + (i as u64 * 40) / days as u64; // 80 → 120
            let weight = wobble * growth / 100; // 48..=168
            let day = first_day + Duration::days(i as i64);
            let weekend = matches!(day.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun);
            if days - i == 9 {
                420 // the batch job: about four ordinary days at once, weekend or not
            } else if weekend {
                (weight / 6).max(1) as i64
            } else {
                weight as i64
            }
        })
        .collect();
    let weight_sum: i64 = weights.iter().sum();
    let mut cents: Vec<i64> = weights.iter().map(|w| w * total / weight_sum).collect();
    let shortfall = total - cents.iter().sum::<i64>();
    if let Some(last) = cents.last_mut() {
        *last += shortfall;
    }
    cents
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// docs/CONTRACT.md's catalog.
    fn contract_prices() -> DemoPrices {
        let price = |i: &str, o: &str, f: &str| Price {
            input_per_million: d(i),
            output_per_million: d(o),
            per_request: d(f),
        };
        DemoPrices {
            openai: price("0.15", "0.60", "0"),
            anthropic: price("0.80", "4.00", "0"),
            exa: price("0", "0", "0.005"),
            meteo: price("0", "0", "0"),
        }
    }

    #[test]
    fn history_leaves_the_documented_balance_and_never_overdraws() {
        let (mut balance, mut last, mut calls) = (Decimal::ZERO, None, 0);
        for event in demo_history(&contract_prices()) {
            let at = match event {
                Event::Deposit { at, dollars } => {
                    balance += Decimal::from(dollars);
                    at
                }
                Event::Call(call) => {
                    calls += 1;
                    balance -= call.price.cost(call.usage).total.amount();
                    call.at
                }
            };
            assert!(balance >= Decimal::ZERO);
            assert!(last <= Some(at), "in time order");
            last = Some(at);
        }
        assert_eq!(balance, Decimal::new(4750, 2));
        assert!(calls > 1_000, "a living history: {calls} calls");
    }

    #[test]
    fn the_demo_usage_looks_lived_in() {
        let first_day = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let cents = daily_usage_cents(first_day, 60, 12_750);
        assert_eq!(cents.iter().sum::<i64>(), 12_750);
        assert!(cents.iter().all(|c| *c >= 0));
        let weekday = |i: usize| (first_day + Duration::days(i as i64)).weekday();
        let (mut weekends, mut weekdays) = (Vec::new(), Vec::new());
        for (i, c) in cents.iter().enumerate().filter(|(i, _)| *i != 60 - 9) {
            match weekday(i) {
                chrono::Weekday::Sat | chrono::Weekday::Sun => weekends.push(*c),
                _ => weekdays.push(*c),
            }
        }
        let mean = |v: &[i64]| v.iter().sum::<i64>() / v.len() as i64;
        assert!(mean(&weekends) * 3 < mean(&weekdays), "quiet weekends: {weekends:?} vs {weekdays:?}");
        let spike = cents[60 - 9];
        assert!(cents.iter().enumerate().all(|(i, c)| i == 60 - 9 || *c < spike), "one spike: {cents:?}");
        let distinct: std::collections::HashSet<_> = weekdays.iter().collect();
        assert!(distinct.len() > weekdays.len() / 2, "no repeating sawtooth: {weekdays:?}");
    }

    #[test]
    fn the_demo_password_meets_the_password_rule() {
        assert!(NewPassword::parse(DEMO_PASSWORD).is_ok());
    }
}
