//! Promotional credit on the real Postgres (docs/CONTRACT.md "Promotional credit"): spent before paid
//! credit, soonest expiry first; its unspent rest leaves at expiry by an entry of its own — never after a
//! call could spend it; paid credit never expires; bad grants write nothing; exact under concurrency.

use crate::api_http::{agent, api, settings};
use crate::metering::{call, d};
use crate::support::spawn_app;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::collections::BTreeMap;
use tollgate_core::accounts::store as auth_db;
use tollgate_core::back_office::adjustments::{self, AdjustmentStep};
use tollgate_core::credit::{self, NewGrant};
use tollgate_core::ledger::{self, Posting};
use tollgate_core::metering::meter::Meter;
use tollgate_core::payments::past_deposits;
use tollgate_core::payments::processor::CardToken;
use tollgate_core::payments::refunds::{self, RefundRequest, RefundStep};
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::payments::card::{CardBrand, Expiry, PostalCode};
use tollgate_domain::payments::refund::{refundable, Deposited};
use uuid::Uuid;

/// A claude-haiku call of (1000, 500) tokens costs $0.0028.
const HAIKU: (&str, &str, (u64, u64)) = ("anthropic", "claude-haiku", (1000, 500));

async fn account(pool: &PgPool, email: &str, paid: &str) -> Uuid {
    let account =
        auth_db::create_user_with_account(pool, &Email::parse(email).unwrap(), "x").await.unwrap().account_id;
    if d(paid) > Decimal::ZERO {
        post(pool, account, EntryKind::Deposit, d(paid)).await.unwrap();
    }
    account
}

async fn post(pool: &PgPool, account: Uuid, kind: EntryKind, amount: Decimal) -> Result<(), AppError> {
    let mut tx = pool.begin().await.unwrap();
    ledger::post(&mut tx, Posting { account_id: account, kind, amount, reference: "test", at: None }).await?;
    tx.commit().await.unwrap();
    Ok(())
}

async fn grant(
    pool: &PgPool,
    account: Uuid,
    amount: &str,
    expires_at: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let mut tx = pool.begin().await.unwrap();
    let new = NewGrant {
        account_id: account,
        amount: d(amount),
        expires_at,
        reason: "welcome",
        granted_by: "support@tollgate.test",
    };
    let made = credit::grant(&mut tx, &new).await?;
    tx.commit().await.unwrap();
    Ok(made.id)
}

/// Expires, as of `now`, what is due in the account's wallet (the clock moved forward for the test).
async fn expire_as_of(pool: &PgPool, account: Uuid, now: DateTime<Utc>) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT FROM wallets WHERE account_id = $1 FOR UPDATE")
        .bind(account)
        .execute(&mut *tx)
        .await
        .unwrap();
    credit::expire_locked(&mut tx, account, now).await.unwrap();
    tx.commit().await.unwrap();
}

/// (balance, promotional, Σ ledger amounts, Σ ledger promotional parts).
async fn money(pool: &PgPool, account: Uuid) -> (Decimal, Decimal, Decimal, Decimal) {
    sqlx::query_as(
        "SELECT w.balance, w.promotional,
                COALESCE((SELECT sum(amount) FROM ledger_entries e WHERE e.account_id = w.account_id), 0),
                COALESCE((SELECT sum(promotional) FROM ledger_entries e WHERE e.account_id = w.account_id), 0)
           FROM wallets w WHERE w.account_id = $1",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The account's entries of `kind`, oldest first: (amount, promotional part).
async fn entries(pool: &PgPool, account: Uuid, kind: &str) -> Vec<(Decimal, Decimal)> {
    sqlx::query_as(
        "SELECT amount, promotional FROM ledger_entries WHERE account_id = $1 AND kind = $2 ORDER BY id",
    )
    .bind(account)
    .bind(kind)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn spend(pool: &PgPool, meter: &std::sync::Arc<Meter>, account: Uuid, key: Uuid, times: usize) {
    let (service, model, usage) = HAIKU;
    for _ in 0..times {
        meter.charge(call(pool, account, key, service, model, usage).await).await.unwrap();
    }
}

async fn key_of(pool: &PgPool, account: Uuid) -> Uuid {
    crate::support::owner_key(pool, account, &settings("", &[], false)).await.unwrap().key.id
}

#[sqlx::test(migrations = "../migrations")]
async fn a_paid_call_spends_promotional_credit_first_and_its_entry_says_how_much(pool: PgPool) {
    let account = account(&pool, "promo@example.test", "10.00").await;
    let key = key_of(&pool, account).await;
    grant(&pool, account, "0.01", Utc::now() + Duration::days(30)).await.unwrap();
    let meter = Meter::new(pool.clone());
    spend(&pool, &meter, account, key, 4).await;
    // 0.0028 × 3 from the $0.01 grant, then 0.0016 of it and 0.0012 of paid credit.
    assert_eq!(
        entries(&pool, account, "usage").await,
        [
            (d("-0.0028"), d("-0.0028")),
            (d("-0.0028"), d("-0.0028")),
            (d("-0.0028"), d("-0.0028")),
            (d("-0.0028"), d("-0.0016")),
        ]
    );
    let (balance, promotional, sum, promotional_sum) = money(&pool, account).await;
    assert_eq!((balance, promotional), (d("10.01") - d("0.0112"), Decimal::ZERO));
    assert_eq!((balance, promotional), (sum, promotional_sum), "balance and promotional = Σ ledger");
    assert_eq!(entries(&pool, account, "promotional_grant").await, [(d("0.01"), d("0.01"))]);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_soonest_expiry_is_spent_first_and_only_what_is_left_of_a_grant_expires(pool: PgPool) {
    let account = account(&pool, "expiry@example.test", "5.00").await;
    let key = key_of(&pool, account).await;
    let now = Utc::now();
    let later = grant(&pool, account, "0.01", now + Duration::days(2)).await.unwrap();
    let sooner = grant(&pool, account, "0.01", now + Duration::days(1)).await.unwrap();
    spend(&pool, &Meter::new(pool.clone()), account, key, 5).await; // 0.014: all of `sooner`, 0.004 of `later`
    let credit = credit::promotional_credit(&pool, account).await.unwrap();
    let left: Vec<(Uuid, Decimal)> = credit.left.iter().map(|g| (g.id, g.remaining)).collect();
    assert_eq!(left, [(later, d("0.006"))], "the spent-out grant shows nothing left");

    expire_as_of(&pool, account, now + Duration::hours(36)).await;
    assert!(entries(&pool, account, "promotional_expiry").await.is_empty(), "nothing was left of the sooner");
    let expired: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT expired_at FROM promotional_grants WHERE id = $1")
            .bind(sooner)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(expired.is_some());

    expire_as_of(&pool, account, now + Duration::days(3)).await;
    assert_eq!(entries(&pool, account, "promotional_expiry").await, [(d("-0.006"), d("-0.006"))]);
    let (balance, promotional, sum, promotional_sum) = money(&pool, account).await;
    assert_eq!(balance, d("5.00"), "paid credit never expires: all of it is still there");
    assert_eq!((promotional, sum, promotional_sum), (Decimal::ZERO, balance, Decimal::ZERO));
    let next: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT promotional_expires_at FROM wallets WHERE account_id = $1")
            .bind(account)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(next, None);
    // A second pass finds nothing more to do.
    expire_as_of(&pool, account, now + Duration::days(4)).await;
    assert_eq!(entries(&pool, account, "promotional_expiry").await.len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_call_after_a_grants_expiry_never_spends_it_even_before_the_worker_runs(pool: PgPool) {
    let account = account(&pool, "late@example.test", "1.00").await;
    let key = key_of(&pool, account).await;
    grant(&pool, account, "0.50", Utc::now() + Duration::milliseconds(1200)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    spend(&pool, &Meter::new(pool.clone()), account, key, 1).await;
    let kinds: Vec<(String, Decimal, Decimal)> = sqlx::query_as(
        "SELECT kind, amount, promotional FROM ledger_entries WHERE account_id = $1 ORDER BY id",
    )
    .bind(account)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        kinds,
        [
            ("deposit".into(), d("1.00"), d("0")),
            ("promotional_grant".into(), d("0.50"), d("0.50")),
            ("promotional_expiry".into(), d("-0.50"), d("-0.50")),
            ("usage".into(), d("-0.0028"), d("0")),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bad_grant_is_refused_with_its_reason_and_writes_nothing(pool: PgPool) {
    let account = account(&pool, "refused@example.test", "0").await;
    let soon = Utc::now() + Duration::days(7);
    for amount in ["0", "-1.00", "0.001", "10000.01", "1e9"] {
        assert_eq!(grant(&pool, account, amount, soon).await, Err(AppError::GrantAmountInvalid), "{amount}");
    }
    for expires_at in [Utc::now() - Duration::seconds(1), Utc::now() + Duration::days(5 * 366 + 1)] {
        assert_eq!(grant(&pool, account, "5.00", expires_at).await, Err(AppError::GrantExpiryInvalid));
    }
    for reason in ["", "   ", &"é".repeat(501)] {
        let mut tx = pool.begin().await.unwrap();
        let new =
            NewGrant { account_id: account, amount: d("5.00"), expires_at: soon, reason, granted_by: "x" };
        assert_eq!(credit::grant(&mut tx, &new).await, Err(AppError::ReasonRequired));
    }
    assert_eq!(grant(&pool, Uuid::new_v4(), "5.00", soon).await, Err(AppError::NotFound), "no such wallet");
    assert_eq!(money(&pool, account).await, (d("0"), d("0"), d("0"), d("0")));
    let grants: i64 =
        sqlx::query_scalar("SELECT count(*) FROM promotional_grants").fetch_one(&pool).await.unwrap();
    assert_eq!(grants, 0);
    // Unicode is kept as given, up to 500 characters.
    let mut tx = pool.begin().await.unwrap();
    let reason = "Entschuldigung für den Ausfall — 🙏".to_string();
    let new = NewGrant {
        account_id: account,
        amount: d("10000.00"),
        expires_at: soon,
        reason: &reason,
        granted_by: "x",
    };
    assert_eq!(credit::grant(&mut tx, &new).await.unwrap().reason, reason);
}

#[sqlx::test(migrations = "../migrations")]
async fn balance_and_wallet_answer_paid_and_promotional_with_each_expiry(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let agent = agent(&app, "split@example.test", "20.00", settings("", &[], false)).await;
    // Microseconds, as the database keeps it.
    let expires_at = (Utc::now() + Duration::days(3)).trunc_subsecs(6);
    grant(&pool, agent.account, "5.00", expires_at).await.unwrap();
    for path in ["/v1/balance", "/v1/wallet"] {
        let (status, body) = api(&app, "GET", path, &agent.secret, None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["balance"], "25.00");
        assert_eq!(body["paid"], "20.00");
        assert_eq!(body["promotional"], "5.00");
        assert_eq!(body["promotional_expiring"][0]["amount"], "5.00");
        let at: DateTime<Utc> =
            body["promotional_expiring"][0]["expires_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(at, expires_at);
    }
    let wallet = tollgate_core::reads::wallet::summary(&pool, agent.account).await.unwrap();
    let on = expires_at.format("%b %-d, %Y").to_string();
    assert_eq!(
        wallet.promotional_note().unwrap(),
        format!("Includes $5.00 promotional credit (expires {on})")
    );
    let soon: Vec<String> = wallet.promotional_expiring.iter().filter_map(|p| p.soon_note()).collect();
    assert_eq!(soon, [format!("$5.00 of promotional credit expires on {on}")], "within the week");
}

#[sqlx::test(migrations = "../migrations")]
async fn grants_and_expiries_racing_sixty_four_clients_keep_paid_and_promotional_exact(pool: PgPool) {
    let account = account(&pool, "race@example.test", "2.00").await;
    let key = key_of(&pool, account).await;
    let meter = Meter::new(pool.clone());
    let mut clients = Vec::new();
    for _ in 0..64 {
        let (pool, meter) = (pool.clone(), meter.clone());
        clients.push(tokio::spawn(async move {
            let (service, model, usage) = HAIKU;
            for _ in 0..8 {
                meter.charge(call(&pool, account, key, service, model, usage).await).await.unwrap();
            }
        }));
    }
    // Meanwhile: short-lived grants, and the expiry worker's pass, over and over.
    let granter = {
        let pool = pool.clone();
        tokio::spawn(async move {
            for n in 0..20 {
                let lifetime = Duration::milliseconds(100 + 37 * n);
                grant(&pool, account, "0.01", Utc::now() + lifetime).await.unwrap();
                credit::expire_due(&pool).await.unwrap();
            }
        })
    };
    for client in clients {
        client.await.unwrap();
    }
    granter.await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    credit::expire_due(&pool).await.unwrap();

    let (balance, promotional, sum, promotional_sum) = money(&pool, account).await;
    assert_eq!((balance, promotional), (sum, promotional_sum), "balance and promotional = Σ ledger");
    assert_eq!(promotional, Decimal::ZERO, "every grant has expired");
    let usage: Vec<(Decimal, Decimal)> = entries(&pool, account, "usage").await;
    assert_eq!(usage.len(), 64 * 8);
    let paid_spent: Decimal = usage.iter().map(|(amount, promotional)| promotional - amount).sum();
    let promotional_spent: Decimal = usage.iter().map(|(_, promotional)| -promotional).sum();
    let expired: Decimal = entries(&pool, account, "promotional_expiry").await.iter().map(|(a, _)| -a).sum();
    assert_eq!(promotional_spent + expired, d("0.20"), "every granted cent was spent or expired, once");
    assert_eq!(balance, d("2.00") - paid_spent, "paid credit lost only what calls spent of it");
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM promotional_grants WHERE expired_at IS NULL OR remaining <> 0",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(open, 0);
}

/// A saved-card stand-in for recorded deposits.
fn card() -> CardToken {
    CardToken {
        token: "tok_property".into(),
        brand: CardBrand::Visa,
        last4: "4242".into(),
        expiry: Expiry { month: 12, year: 2030 },
        postal_code: PostalCode::parse("10001").unwrap(),
    }
}

/// One step of a wallet's life, for the property test.
#[derive(Clone, Debug)]
enum Step {
    /// Cents ($10.00 and up, as a deposit must be).
    Deposit(i64),
    /// Paid calls of $0.0028 each.
    Calls(usize),
    /// Cents, expiring this many days ahead.
    Grant(i64, i64),
    /// The clock moves this many days ahead and what is due expires.
    Expire(i64),
    /// Cents of the n-th deposit (of those made so far, wrapping) asked back to its card.
    Refund(usize, i64),
    /// Signed cents of paid credit, by hand.
    Adjust(i64),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            (1000i64..20_000).prop_map(Step::Deposit),
            (1usize..6).prop_map(Step::Calls),
            ((1i64..300), (1i64..10)).prop_map(|(cents, days)| Step::Grant(cents, days)),
            (1i64..6).prop_map(Step::Expire),
            ((0usize..4), (1i64..600)).prop_map(|(n, cents)| Step::Refund(n, cents)),
            (-600i64..600).prop_filter("not zero", |c| *c != 0).prop_map(Step::Adjust),
        ],
        1..16,
    )
}

/// For random sequences of deposits, calls, grants, expiries, refunds and adjustments, against a model of
/// the rules: balance = Σ ledger, promotional credit is spent first and soonest expiry first, what expires
/// is exactly what is left of each grant, paid credit never expires, a refund is refused exactly when it
/// would exceed what is left of its deposit (oldest deposits spent first), and an adjustment exactly when it
/// would take paid credit below zero.
#[sqlx::test(migrations = "../migrations")]
async fn any_sequence_of_deposits_calls_grants_and_expiries_follows_the_rules(pool: PgPool) {
    let mut runner = TestRunner::deterministic();
    let meter = Meter::new(pool.clone());
    let cost = d("0.0028");
    for case in 0..24 {
        let steps = steps().new_tree(&mut runner).unwrap().current();
        let account = account(&pool, &format!("case{case}@example.test"), "0").await;
        let key = key_of(&pool, account).await;
        let start = Utc::now();
        let mut clock_days = 0i64;
        // The model: paid credit, and what is left of each grant by (expiry, id).
        let mut paid = Decimal::ZERO;
        let mut deposits: Vec<(Uuid, Deposited)> = Vec::new();
        let owner = crate::support::owner_of(&pool, account).await;
        let mut grants: BTreeMap<(DateTime<Utc>, Uuid), Decimal> = BTreeMap::new();
        let mut expired = Decimal::ZERO;
        for step in &steps {
            match *step {
                Step::Deposit(cents) => {
                    // A succeeded deposit with its payment attempt (as the demo's history is made), so it
                    // can be refunded; each a second later than the last, in the order they were made.
                    let mut tx = pool.begin().await.unwrap();
                    let at = start + Duration::seconds(deposits.len() as i64);
                    let n = deposits.len();
                    past_deposits::record(
                        &mut tx,
                        account,
                        &card(),
                        None,
                        Decimal::new(cents, 2),
                        at,
                        None,
                        n,
                    )
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                    let id: Uuid = sqlx::query_scalar(
                        "SELECT id FROM payment_attempts WHERE account_id = $1 ORDER BY completed_at DESC LIMIT 1",
                    )
                    .bind(account)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                    deposits
                        .push((id, Deposited { amount: Decimal::new(cents, 2), refunded: Decimal::ZERO }));
                    paid += Decimal::new(cents, 2);
                }
                Step::Refund(n, cents) => {
                    if deposits.is_empty() {
                        continue;
                    }
                    let which = n % deposits.len();
                    let newest_first: Vec<Deposited> = deposits.iter().rev().map(|(_, d)| *d).collect();
                    let left = refundable(paid, &newest_first)[deposits.len() - 1 - which];
                    let amount = Decimal::new(cents, 2);
                    let mut tx = pool.begin().await.unwrap();
                    let asked = RefundRequest {
                        account_id: account,
                        payment_id: deposits[which].0,
                        amount,
                        reason: "property",
                        requested_by: owner,
                    };
                    let answer = refunds::request(&mut tx, &asked).await;
                    tx.commit().await.unwrap();
                    if amount > left {
                        assert_eq!(answer, Err(AppError::RefundExceedsRefundable), "{steps:?}");
                    } else {
                        assert!(matches!(answer, Ok(RefundStep::Debited { .. })), "{answer:?} {steps:?}");
                        paid -= amount;
                        deposits[which].1.refunded += amount;
                    }
                }
                Step::Adjust(cents) => {
                    let amount = Decimal::new(cents, 2);
                    let mut tx = pool.begin().await.unwrap();
                    let answer = adjustments::request(&mut tx, account, amount, "property", owner).await;
                    tx.commit().await.unwrap();
                    if paid + amount < Decimal::ZERO {
                        assert_eq!(answer.map(|_| ()), Err(AppError::PaidCreditTooLow), "{steps:?}");
                    } else {
                        assert!(matches!(answer, Ok(AdjustmentStep::Applied { .. })), "{answer:?} {steps:?}");
                        paid += amount;
                    }
                }
                Step::Calls(n) => {
                    for _ in 0..n {
                        let promotional: Decimal = grants.values().sum();
                        let (service, model, usage) = HAIKU;
                        let answer =
                            meter.charge(call(&pool, account, key, service, model, usage).await).await;
                        if paid + promotional < cost {
                            assert_eq!(answer.map(|_| ()), Err(AppError::InsufficientBalance), "{steps:?}");
                            continue;
                        }
                        answer.unwrap();
                        let mut take = cost;
                        for left in grants.values_mut() {
                            let taken = take.min(*left);
                            *left -= taken;
                            take -= taken;
                        }
                        paid -= take;
                    }
                }
                Step::Grant(cents, days) => {
                    // Expiries are whole days from the test's start, later than the clock has moved.
                    let expires_at = start + Duration::days(clock_days + days) + Duration::minutes(1);
                    let id =
                        grant(&pool, account, &Decimal::new(cents, 2).to_string(), expires_at).await.unwrap();
                    grants.insert((expires_at, id), Decimal::new(cents, 2));
                }
                Step::Expire(days) => {
                    clock_days += days;
                    let now = start + Duration::days(clock_days) + Duration::minutes(1);
                    let paid_before = money(&pool, account).await;
                    expire_as_of(&pool, account, now).await;
                    let due: Vec<(DateTime<Utc>, Uuid)> =
                        grants.keys().filter(|(at, _)| *at <= now).copied().collect();
                    for key in due {
                        expired += grants.remove(&key).unwrap();
                    }
                    let after = money(&pool, account).await;
                    assert_eq!(
                        after.0 - after.1,
                        paid_before.0 - paid_before.1,
                        "paid credit never expires: {steps:?}"
                    );
                }
            }
            let (balance, promotional, sum, promotional_sum) = money(&pool, account).await;
            let model_promotional: Decimal = grants.values().sum();
            assert_eq!((balance, promotional), (sum, promotional_sum), "balance = Σ ledger: {steps:?}");
            assert_eq!((balance - promotional, promotional), (paid, model_promotional), "{steps:?}");
            let left: Vec<Decimal> = credit::promotional_credit(&pool, account)
                .await
                .unwrap()
                .left
                .iter()
                .map(|g| g.remaining)
                .collect();
            let model_left: Vec<Decimal> = grants.values().copied().filter(|l| *l > Decimal::ZERO).collect();
            assert_eq!(left, model_left, "each grant's rest, soonest first: {steps:?}");
        }
        let expired_entries: Decimal =
            entries(&pool, account, "promotional_expiry").await.iter().map(|(a, _)| -a).sum();
        assert_eq!(expired_entries, expired, "{steps:?}");
    }
}

async fn wallet_page(app: &crate::support::TestApp) -> String {
    app.get("/dashboard/wallet").await.text().await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_wallet_page_says_what_is_promotional_and_warns_a_week_before_it_expires(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.sign_up("page@example.test", "correct-horse-1").await;
    let account = crate::support::account_of(&pool, "page@example.test").await;
    let plain = wallet_page(&app).await;
    assert!(!plain.contains("promotional credit"), "no promotional credit, no line");

    let far = (Utc::now() + Duration::days(30)).trunc_subsecs(6);
    grant(&pool, account, "5.00", far).await.unwrap();
    let html = wallet_page(&app).await;
    let on = far.format("%b %-d, %Y").to_string();
    assert!(html.contains(&format!("Includes $5.00 promotional credit (expires {on})")), "{html}");
    assert!(!html.contains("promotional-expiry-banner"), "30 days away: no warning yet");

    // A second grant inside the week: the page changes (its cache too) and warns of that one only.
    let near = (Utc::now() + Duration::days(6)).trunc_subsecs(6);
    grant(&pool, account, "2.50", near).await.unwrap();
    let html = wallet_page(&app).await;
    let near_on = near.format("%b %-d, %Y").to_string();
    assert!(html.contains(&format!(
        "Includes $7.50 promotional credit ($2.50 expires {near_on}; $5.00 expires {on})"
    )));
    assert!(html.contains(&format!("$2.50 of promotional credit expires on {near_on}")));
    assert!(!html.contains(&format!("$5.00 of promotional credit expires on {on}")));
}
