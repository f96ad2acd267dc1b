//! Auto top-up (docs/CONTRACT.md "Auto top-up"): fired by the debit that crosses the threshold, one
//! job and one charge for the whole gap however many calls cross at once, and each safeguard — 3 a day,
//! the monthly limit, off after 2 declines and never back on by itself, a removed card never charged.
//! Workers are run by hand here (several at once), so each test decides when a job is charged.

use crate::support::{self, deposit, owner_actor, save_card, VISA};
use rust_decimal::Decimal;
use server::sandbox_processor::SandboxProcessor;
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tollgate_core::accounts::store as auth_db;
use tollgate_core::catalog::db as catalog;
use tollgate_core::metering::charge::MeteredCall;
use tollgate_core::metering::meter::Meter;
use tollgate_core::payments::auto_top_up::settings::{self, Change};
use tollgate_core::payments::auto_top_up::worker;
use tollgate_core::payments::{attempt_store, card_store};
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::catalog::pricing::Usage;
use tollgate_domain::keys::settings::KeySettings;
use tollgate_domain::payments::auto_top_up::AutoTopUpRule;
use uuid::Uuid;

const DECLINED: &str = "4000000000000002";

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A personal account with one saved card (saved by a first $10 deposit, which a declining card doesn't
/// make), a spend key and the sandbox.
struct Wallet {
    account: Uuid,
    key: Uuid,
    card: Uuid,
    processor: Arc<SandboxProcessor>,
}

async fn wallet(pool: &PgPool, email: &str, card_number: &str) -> Wallet {
    let account =
        auth_db::create_user_with_account(pool, &Email::parse(email).unwrap(), "x").await.unwrap().account_id;
    let processor = Arc::new(SandboxProcessor::install(pool.clone(), Duration::ZERO).await.unwrap());
    let card = save_card(pool, &*processor, card_number, account).await;
    let settings = KeySettings::parse("agent", "", "", &[], false, "").unwrap();
    let key = support::owner_key(pool, account, &settings).await.unwrap().key.id;
    Wallet { account, key, card, processor }
}

impl Wallet {
    async fn turn_on(&self, pool: &PgPool, threshold: &str, top_up_to: &str, monthly_limit: &str) {
        let rule = AutoTopUpRule::parse(threshold, top_up_to, monthly_limit).unwrap();
        let change = Change::TurnOn { rule, card: Some(self.card) };
        settings::change(pool, &owner_actor(pool, self.account).await, change).await.unwrap();
    }

    /// A paid call costing `output_tokens` × $4.00 per million (claude-haiku's output price).
    async fn call(&self, pool: &PgPool, output_tokens: u64) -> MeteredCall {
        MeteredCall {
            account_id: self.account,
            key_id: self.key,
            service: "anthropic".into(),
            model: "claude-haiku".into(),
            usage: Usage::new(0, output_tokens).unwrap(),
            price: catalog::price(pool, "anthropic", "claude-haiku").await.unwrap().unwrap(),
            idempotency_key: None,
            reserved: None,
            via: tollgate_domain::metering::call::Via::Api,
        }
    }

    /// Spends $10.40 in one call.
    async fn spend_ten_forty(&self, pool: &PgPool, meter: &Arc<Meter>) {
        let call = self.call(pool, 2_600_000).await;
        assert_eq!(call.price.cost(call.usage).total.amount(), d("10.40"));
        meter.charge(call).await.unwrap();
    }

    /// Runs queued jobs on four workers at once; returns how many jobs they handled in all.
    async fn run_workers(&self, pool: &PgPool) -> usize {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (pool, processor) = (pool.clone(), self.processor.clone());
                tokio::spawn(async move { worker::run_queued(&pool, &*processor).await.unwrap() })
            })
            .collect();
        let mut handled = 0;
        for worker in workers {
            handled += worker.await.unwrap();
        }
        handled
    }
}

async fn count(pool: &PgPool, sql: &str, account: Uuid) -> i64 {
    sqlx::query_scalar(sql).bind(account).fetch_one(pool).await.unwrap()
}

async fn auto_charges(pool: &PgPool, account: Uuid) -> Vec<(Decimal, String)> {
    sqlx::query_as(
        "SELECT amount, status FROM payment_attempts WHERE account_id = $1 AND channel = 'auto_top_up'
          ORDER BY created_at",
    )
    .bind(account)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn processor_charges(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM sandbox_processor.charges").fetch_one(pool).await.unwrap()
}

async fn assert_balance_is_the_ledger(pool: &PgPool, account: Uuid, expected: &str) {
    let mut conn = pool.acquire().await.unwrap();
    let (balance, sum) = tollgate_core::ledger::balance_and_ledger_sum(&mut conn, account).await.unwrap();
    assert_eq!(balance, d(expected));
    assert_eq!(balance, sum, "the balance is the sum of the ledger");
}

#[sqlx::test(migrations = "../migrations")]
async fn sixty_four_concurrent_calls_crossing_the_threshold_make_one_job_and_one_charge_for_the_gap(
    pool: PgPool,
) {
    let w = wallet(&pool, "busy@example.test", VISA).await;
    deposit(&pool, w.account, 10).await; // $20.00 with the first deposit
    w.turn_on(&pool, "10", "50", "1000").await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM auto_top_up_jobs WHERE account_id = $1", w.account).await,
        0
    );

    // 64 clients at once, $0.25 each: $16.00 takes the balance from $20.00 to $4.00, across $10.00.
    let meter = Meter::new(pool.clone());
    let started = Instant::now();
    let quarter = w.call(&pool, 62_500).await;
    let calls: Vec<_> = (0..64)
        .map(|_| {
            let (meter, call) = (meter.clone(), quarter.clone());
            tokio::spawn(async move { meter.charge(call).await })
        })
        .collect();
    for call in calls {
        let record = call.await.unwrap().expect("every call is paid");
        assert_eq!(record.cost.total.amount(), d("0.25"));
    }
    let calls_took = started.elapsed();
    let jobs = count(&pool, "SELECT count(*) FROM auto_top_up_jobs WHERE account_id = $1", w.account).await;
    assert_eq!(jobs, 1, "one job however many calls crossed");

    let started = Instant::now();
    assert_eq!(w.run_workers(&pool).await, 1, "four workers, one job handled once");
    let charge_took = started.elapsed();
    assert_eq!(auto_charges(&pool, w.account).await, vec![(d("46.00"), "succeeded".to_string())]);
    assert_eq!(processor_charges(&pool).await, 2, "the card's first deposit and one top-up");
    assert_balance_is_the_ledger(&pool, w.account, "50.00").await;
    let job: (String, Option<Uuid>) =
        sqlx::query_as("SELECT state, attempt_id FROM auto_top_up_jobs WHERE account_id = $1")
            .bind(w.account)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(job.0, "succeeded");

    // It shows as "Auto top-up" in the deposits, with a receipt, and in the audit log.
    let rows = attempt_store::recent_attempts(&pool, w.account, 10).await.unwrap();
    assert!(rows[0].auto_top_up && rows[0].succeeded && rows[0].amount.amount() == d("46"));
    let receipt = attempt_store::receipt(&pool, w.account, job.1.unwrap()).await.unwrap();
    assert!(receipt.auto_top_up);
    let logged: (String, String, Option<Uuid>) = sqlx::query_as(
        "SELECT channel, detail, actor_user_id FROM audit_events WHERE account_id = $1 AND action = 'funds_added'
          ORDER BY id DESC LIMIT 1",
    )
    .bind(w.account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(logged, ("auto_top_up".into(), "$46.00 with Visa •••• 4242".into(), None));
    eprintln!(
        "auto top-up figures: 64 concurrent $0.25 calls in {calls_took:?} → 1 job; 4 workers charged it once \
         ($46.00 for the gap to $50.00) in {charge_took:?}; balance $50.00 = Σ ledger"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn at_most_three_top_ups_a_day(pool: PgPool) {
    let w = wallet(&pool, "daily@example.test", VISA).await;
    deposit(&pool, w.account, 10).await;
    w.turn_on(&pool, "10", "20", "1000").await;
    let meter = Meter::new(pool.clone());
    for round in 1..=4 {
        w.spend_ten_forty(&pool, &meter).await; // $20.00 → $9.60
        assert_eq!(w.run_workers(&pool).await, 1, "round {round}: the crossing queued one job");
    }
    let charges = auto_charges(&pool, w.account).await;
    assert_eq!(charges, vec![(d("10.40"), "succeeded".to_string()); 3], "the fourth is skipped");
    let skipped: String = sqlx::query_scalar(
        "SELECT skip_reason FROM auto_top_up_jobs WHERE account_id = $1 AND state = 'skipped'",
    )
    .bind(w.account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(skipped, "daily_limit");
    assert_balance_is_the_ledger(&pool, w.account, "9.60").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn never_past_the_monthly_limit_a_charge_is_cut_to_fit_then_skipped(pool: PgPool) {
    let w = wallet(&pool, "monthly@example.test", VISA).await;
    deposit(&pool, w.account, 10).await;
    w.turn_on(&pool, "10", "30", "40").await;
    let meter = Meter::new(pool.clone());
    w.spend_ten_forty(&pool, &meter).await; // $20.00 → $9.60: gap $20.40
    w.run_workers(&pool).await;
    w.spend_ten_forty(&pool, &meter).await; // $30.00 → $19.60
    w.spend_ten_forty(&pool, &meter).await; // → $9.20: gap $20.80, but $19.60 left this month
    w.run_workers(&pool).await;
    w.spend_ten_forty(&pool, &meter).await; // $28.80 → $18.40
    w.spend_ten_forty(&pool, &meter).await; // → $8.00: nothing left this month
    w.run_workers(&pool).await;
    let charges = auto_charges(&pool, w.account).await;
    let amounts: Vec<Decimal> = charges.iter().map(|(amount, _)| *amount).collect();
    assert_eq!(amounts, vec![d("20.40"), d("19.60")]);
    let view = settings::view(&pool, w.account).await.unwrap();
    assert_eq!(view.spent_this_month.amount(), d("40.00"));
    assert!(view.enabled, "the limit pauses charges; the rule stays on");
    let reasons: Vec<String> = sqlx::query_scalar(
        "SELECT skip_reason FROM auto_top_up_jobs WHERE account_id = $1 AND state = 'skipped'",
    )
    .bind(w.account)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(reasons, vec!["monthly_limit".to_string()]);
    assert_balance_is_the_ledger(&pool, w.account, "8.00").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn two_declines_in_a_row_turn_it_off_with_the_reason_and_it_never_turns_itself_back_on(pool: PgPool) {
    let w = wallet(&pool, "declined@example.test", DECLINED).await;
    deposit(&pool, w.account, 20).await;
    w.turn_on(&pool, "10", "30", "1000").await;
    let meter = Meter::new(pool.clone());

    w.spend_ten_forty(&pool, &meter).await; // $20.00 → $9.60
    w.run_workers(&pool).await;
    let view = settings::view(&pool, w.account).await.unwrap();
    assert!(view.enabled && view.disabled_reason.is_none(), "one decline: still on");

    deposit(&pool, w.account, 10).await; // $19.60
    w.spend_ten_forty(&pool, &meter).await; // → $9.20
    w.run_workers(&pool).await;
    let view = settings::view(&pool, w.account).await.unwrap();
    assert!(!view.enabled);
    assert_eq!(
        view.disabled_reason.as_deref(),
        Some(
            "Auto top-up was turned off because Visa •••• 0002 was declined: Your card was declined. Contact \
             your card issuer or use another card. Update the card, then turn auto top-up back on."
        )
    );
    assert_eq!(view.sentence(), None);
    let logged = count(
        &pool,
        "SELECT count(*) FROM audit_events WHERE account_id = $1 AND action = 'auto_top_up_turned_off'",
        w.account,
    )
    .await;
    assert_eq!(logged, 1);

    // Never back on by itself: a later crossing queues nothing and charges nothing, and fixing the card
    // doesn't turn it on either.
    let charged = processor_charges(&pool).await;
    deposit(&pool, w.account, 10).await; // $19.20
    w.spend_ten_forty(&pool, &meter).await; // → $8.80
    assert_eq!(w.run_workers(&pool).await, 0);
    let change = tollgate_domain::payments::card::CardChange::parse("12/41", "10002").unwrap();
    let owner = owner_actor(&pool, w.account).await;
    card_store::update_card(&pool, &*w.processor, &owner, w.card, change).await.unwrap();
    assert_eq!(w.run_workers(&pool).await, 0);
    assert_eq!(processor_charges(&pool).await, charged, "nothing charged after it turned off");
    assert!(!settings::view(&pool, w.account).await.unwrap().enabled);
    assert_eq!(auto_charges(&pool, w.account).await.len(), 2);

    // A person turning it back on clears the banner (and, below the threshold, tops up at once — here
    // declined again, so it counts one decline of a new run).
    w.turn_on(&pool, "10", "30", "1000").await;
    let view = settings::view(&pool, w.account).await.unwrap();
    assert!(view.enabled && view.disabled_reason.is_none());
    assert_eq!(w.run_workers(&pool).await, 1);
    assert!(settings::view(&pool, w.account).await.unwrap().enabled, "one decline of the new run");
    assert_balance_is_the_ledger(&pool, w.account, "8.80").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_card_removed_while_a_job_is_queued_is_not_charged(pool: PgPool) {
    let w = wallet(&pool, "removed@example.test", VISA).await;
    deposit(&pool, w.account, 10).await;
    w.turn_on(&pool, "10", "30", "1000").await;
    let meter = Meter::new(pool.clone());
    w.spend_ten_forty(&pool, &meter).await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM auto_top_up_jobs WHERE state = 'queued' AND account_id = $1",
            w.account
        )
        .await,
        1
    );
    let charged = processor_charges(&pool).await;

    card_store::remove(&pool, &owner_actor(&pool, w.account).await, w.card).await.unwrap();
    let view = settings::view(&pool, w.account).await.unwrap();
    assert!(!view.enabled);
    assert_eq!(
        view.disabled_reason.as_deref(),
        Some("Auto top-up was turned off because Visa •••• 4242 was removed. Choose another card, then turn auto top-up back on.")
    );
    assert_eq!(w.run_workers(&pool).await, 1);
    assert_eq!(processor_charges(&pool).await, charged, "the removed card is not charged");
    assert!(auto_charges(&pool, w.account).await.is_empty());
    let state: (String, String) =
        sqlx::query_as("SELECT state, skip_reason FROM auto_top_up_jobs WHERE account_id = $1")
            .bind(w.account)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(state, ("skipped".into(), "turned_off".into()));
    assert_balance_is_the_ledger(&pool, w.account, "9.60").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn turning_it_on_needs_a_saved_card_and_a_rule_within_bounds(pool: PgPool) {
    let account = auth_db::create_user_with_account(&pool, &Email::parse("new@example.test").unwrap(), "x")
        .await
        .unwrap()
        .account_id;
    let actor = owner_actor(&pool, account).await;
    let rule = AutoTopUpRule::parse("5", "25", "100").unwrap();
    let refused = settings::change(&pool, &actor, Change::TurnOn { rule, card: None }).await;
    assert_eq!(refused.unwrap_err(), tollgate_domain::error::AppError::AutoTopUpNeedsCard);
    let foreign = wallet(&pool, "other@example.test", VISA).await;
    let refused = settings::change(&pool, &actor, Change::TurnOn { rule, card: Some(foreign.card) }).await;
    assert_eq!(
        refused.unwrap_err(),
        tollgate_domain::error::AppError::CardNotSaved,
        "another account's card"
    );
    let nothing: i64 = sqlx::query_scalar("SELECT count(*) FROM auto_top_up_settings WHERE account_id = $1")
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(nothing, 0, "a refusal writes nothing");
}

/// Waits (up to 10 s) until the account's balance is `expected`, as the server's own worker gets to it.
async fn wait_for_balance(pool: &PgPool, account: Uuid, expected: &str) {
    for _ in 0..200 {
        if support::balance_of(pool, account).await == d(expected) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the balance never reached {expected}: {}", support::balance_of(pool, account).await);
}

#[sqlx::test(migrations = "../migrations")]
async fn on_the_page_with_javascript_off_and_through_v1_a_crossing_call_is_topped_up_by_the_servers_worker(
    pool: PgPool,
) {
    let app = support::spawn_app(pool.clone()).await;
    app.sign_up("page@example.test", "correct-horse-1").await;
    let account = support::account_of(&pool, "page@example.test").await;
    let (_, draft) = app.call("/api/wallet/add-funds", &support::NEW_CARD_FORM).await;
    app.call("/api/wallet/confirm", &[("attempt_id", draft["id"].as_str().unwrap())]).await; // $25.00
    let page = app.get("/dashboard/wallet").await.text().await.unwrap();
    assert!(page.contains("Turn on auto top-up") && page.contains("When balance falls below"));

    let save = "/api/wallet/auto-top-up/save";
    let rule = |threshold: &'static str, top_up_to: &'static str| {
        [
            ("threshold", threshold),
            ("top_up_to", top_up_to),
            ("monthly_limit", "100"),
            ("card", ""),
            ("turn", "on"),
        ]
    };
    let refused = app.post_form(save, "/dashboard/wallet", &rule("20", "25")).await;
    let back = support::location(&refused);
    assert!(back.contains("error=auto_top_up_target_invalid"), "{back}");
    let page = app.get(&back).await.text().await.unwrap();
    assert!(page.contains("amount at least $10.00 above"), "the message is on the page");
    assert!(!settings::view(&pool, account).await.unwrap().enabled, "a refusal writes nothing");

    let on = app.post_form(save, "/dashboard/wallet", &rule("20", "50")).await;
    assert_eq!(support::location(&on), "/dashboard/wallet");
    let page = app.get("/dashboard/wallet").await.text().await.unwrap();
    assert!(page.contains(
        "When your balance falls below $20.00, we charge Visa •••• 4242 to bring it back to $50.00, up to $100.00 a month and 3 times a day."
    ));
    assert!(page.contains("Turn off auto top-up"));

    // An agent's paid call takes $25.00 to $14.60; the server's worker tops up $35.40 on its own.
    let reader = KeySettings::parse("reader", "", "", &[], false, "").unwrap();
    let reader = support::owner_key(&pool, account, &reader).await.unwrap().secret;
    let http = reqwest::Client::new();
    let paid = http
        .post(app.url("/v1/requests"))
        .bearer_auth(&reader)
        .json(&serde_json::json!({"service": "anthropic", "model": "claude-haiku", "usage": {"input_tokens": 0, "output_tokens": 2_600_000}}))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 201);
    wait_for_balance(&pool, account, "50.00").await;
    assert_balance_is_the_ledger(&pool, account, "50.00").await;
    let page = app.get("/dashboard/wallet").await.text().await.unwrap();
    assert!(page.contains("Auto top-up") && page.contains("$35.40"), "the deposit is listed as Auto top-up");

    // /v1: anyone of the account reads it; changing it needs "Allow adding funds".
    let read: serde_json::Value =
        http.get(app.url("/v1/auto_top_up")).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["enabled"], true);
    assert_eq!((read["threshold"].as_str(), read["top_up_to"].as_str()), (Some("20.00"), Some("50.00")));
    assert_eq!(read["spent_this_month"], "35.40");
    assert_eq!(read["disabled_reason"], serde_json::Value::Null);
    let put = |key: String, body: serde_json::Value| {
        http.put(app.url("/v1/auto_top_up")).bearer_auth(key).json(&body).send()
    };
    let off = serde_json::json!({"enabled": false});
    let refused = put(reader.clone(), off.clone()).await.unwrap();
    assert_eq!(refused.status(), 403);
    let funder = KeySettings::parse("funder", "", "", &[], true, "").unwrap();
    let funder = support::owner_key(&pool, account, &funder).await.unwrap().secret;
    let bad =
        serde_json::json!({"enabled": true, "threshold": "0.50", "top_up_to": "50", "monthly_limit": "100"});
    let refused = put(funder.clone(), bad).await.unwrap();
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], tollgate_domain::error::AppError::AutoTopUpThresholdInvalid.message());
    let turned_off: serde_json::Value = put(funder.clone(), off).await.unwrap().json().await.unwrap();
    assert_eq!(turned_off["enabled"], false);
    let page = app.get("/dashboard/wallet").await.text().await.unwrap();
    assert!(page.contains("Turn on auto top-up"));
    let logged: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT e.channel, u.email FROM audit_events e LEFT JOIN users u ON u.id = e.actor_user_id
          WHERE e.account_id = $1 AND e.action = 'setting_changed' ORDER BY e.id",
    )
    .bind(account)
    .fetch_all(&pool)
    .await
    .unwrap();
    let page_and_key = vec![
        ("dashboard".to_string(), Some("page@example.test".to_string())),
        ("api".to_string(), Some("page@example.test".to_string())),
    ];
    assert_eq!(logged, page_and_key, "turned on on the page, off by the maker's key");
}

/// An agent's key acting through `PUT /v1/auto_top_up`, as the audit log and the worker see it.
fn agent(account: Uuid, key: Uuid) -> tollgate_core::audit::Actor {
    tollgate_core::audit::Actor {
        account_id: account,
        user_id: None,
        key_id: Some(key),
        channel: tollgate_core::audit::Channel::Api,
        ip: None,
    }
}

async fn funding_key(pool: &PgPool, account: Uuid, daily_limit: &str) -> Uuid {
    let settings = KeySettings::parse("funder", "", "", &[], true, daily_limit).unwrap();
    support::owner_key(pool, account, &settings).await.unwrap().key.id
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rule_an_agent_set_charges_within_its_keys_daily_funding_limit_and_stops_with_the_key(
    pool: PgPool,
) {
    let w = wallet(&pool, "agent-rule@example.test", VISA).await;
    deposit(&pool, w.account, 10).await; // $20.00
    let key = funding_key(&pool, w.account, "25").await;
    let by_agent = agent(w.account, key);
    let rule = AutoTopUpRule::parse("10", "50", "1000").unwrap();
    settings::change(&pool, &by_agent, Change::TurnOn { rule, card: None }).await.unwrap();
    let meter = Meter::new(pool.clone());

    // The gap ($40.40) is more than the key may add in a day ($25.00): skipped, nothing charged.
    w.spend_ten_forty(&pool, &meter).await; // → $9.60
    w.run_workers(&pool).await;
    assert!(auto_charges(&pool, w.account).await.is_empty());
    // A smaller rule fits ($20.40); it is charged as the key's funding.
    let rule = AutoTopUpRule::parse("10", "30", "1000").unwrap();
    settings::change(&pool, &by_agent, Change::Save { rule, card: None }).await.unwrap();
    w.run_workers(&pool).await;
    let charged: Vec<(Decimal, Option<Uuid>)> = sqlx::query_as(
        "SELECT amount, spend_key_id FROM payment_attempts WHERE channel = 'auto_top_up' AND status = 'succeeded'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(charged, vec![(d("20.40"), Some(key))]);

    // The key paused: its rule charges nothing more.
    support::change_key(&pool, w.account, key, tollgate_core::keys::db::StatusChange::Pause).await.unwrap();
    w.spend_ten_forty(&pool, &meter).await; // $30.00 → $19.60
    w.spend_ten_forty(&pool, &meter).await; // → $9.20
    w.run_workers(&pool).await;
    let reasons: Vec<String> = sqlx::query_scalar(
        "SELECT skip_reason FROM auto_top_up_jobs WHERE state = 'skipped' ORDER BY created_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(reasons, vec!["key_funding_limit".to_string(), "key_stopped".to_string()]);
    assert_balance_is_the_ledger(&pool, w.account, "9.20").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_agent_can_neither_reset_the_decline_count_nor_turn_back_on_what_tollgate_turned_off(
    pool: PgPool,
) {
    let w = wallet(&pool, "agent-declined@example.test", DECLINED).await;
    deposit(&pool, w.account, 20).await;
    let by_agent = agent(w.account, funding_key(&pool, w.account, "1000").await);
    let rule = AutoTopUpRule::parse("10", "30", "1000").unwrap();
    let turn_on = Change::TurnOn { rule, card: Some(w.card) };
    settings::change(&pool, &by_agent, turn_on).await.unwrap();
    let meter = Meter::new(pool.clone());
    let declines = || async {
        sqlx::query_scalar::<_, i32>("SELECT consecutive_declines FROM auto_top_up_settings")
            .fetch_one(&pool)
            .await
            .unwrap()
    };

    w.spend_ten_forty(&pool, &meter).await;
    w.run_workers(&pool).await;
    assert_eq!(declines().await, 1);
    settings::change(&pool, &by_agent, turn_on).await.unwrap(); // the same settings sent again
    assert_eq!(declines().await, 1, "turning on a rule that is on doesn't reset its declines");

    deposit(&pool, w.account, 10).await;
    w.spend_ten_forty(&pool, &meter).await;
    w.run_workers(&pool).await;
    assert!(!settings::view(&pool, w.account).await.unwrap().enabled);
    let refused = settings::change(&pool, &by_agent, turn_on).await;
    assert_eq!(refused.unwrap_err(), tollgate_domain::error::AppError::AutoTopUpNeedsPerson);
    assert!(!settings::view(&pool, w.account).await.unwrap().enabled);
    // A person who has looked at the card may.
    settings::change(&pool, &owner_actor(&pool, w.account).await, turn_on).await.unwrap();
    assert!(settings::view(&pool, w.account).await.unwrap().enabled);
}
