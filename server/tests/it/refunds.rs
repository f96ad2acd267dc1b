//! Refunds and adjustments from the back office (docs/CONTRACT.md "Refunds", "Back office"), on the real
//! Postgres and the sandbox processor: what is left of a deposit and no more, the customer's receipt and
//! deposit list, a bank's refusal putting the money back, the second person above $1,000.00, a lost answer
//! finished once, and a refund racing paid calls on the same money.

use crate::metering::d;
use crate::support::{account_of, balance_of, spawn_app, TestApp, NEW_CARD_FORM};
use async_trait::async_trait;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgPool;
use std::sync::Arc;
use tollgate_core::back_office::{self, RefundResult, StaffActor};
use tollgate_core::ledger::{self, Posting};
use tollgate_core::payments::processor::{
    CardToken, ChargeOutcome, PaymentProcessor, Presence, ProcessorError, RefundOutcome,
};
use tollgate_core::payments::refunds::{self, Sent};
use tollgate_core::staff;
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::card::{Expiry, PostalCode};
use tollgate_domain::payments::new_card::NewCard;
use tollgate_domain::staff::StaffRole;
use uuid::Uuid;

/// A customer who added `amount` with `card` (and saved it); answers their app, account and payment id.
pub(crate) async fn customer_with_deposit(
    pool: &PgPool,
    email: &str,
    card: &str,
    amount: &str,
) -> (TestApp, Uuid, Uuid) {
    let app = spawn_app(pool.clone()).await;
    app.sign_up(email, "correct-horse-1").await;
    let mut form = NEW_CARD_FORM.to_vec();
    form[0] = ("amount", amount);
    form[2] = ("card_number", card);
    let (_, draft) = app.call("/api/wallet/add-funds", &form).await;
    let payment_id = draft["id"].as_str().unwrap().to_string();
    let (status, paid) = app.call("/api/wallet/confirm", &[("attempt_id", &payment_id)]).await;
    assert_eq!((status, paid["status"].as_str()), (StatusCode::OK, Some("succeeded")), "{paid}");
    (app, account_of(pool, email).await, payment_id.parse().unwrap())
}

pub(crate) async fn staff_member(pool: &PgPool, email: &str, role: StaffRole) -> TestApp {
    let app = spawn_app(pool.clone()).await;
    app.sign_up(email, "correct-horse-1").await;
    staff::add(pool, &Email::parse(email).unwrap(), role, staff::COMMAND_LINE).await.unwrap();
    app
}

pub(crate) async fn refund(app: &TestApp, account: Uuid, payment: Uuid, amount: &str) -> (StatusCode, Value) {
    let (account, payment) = (account.to_string(), payment.to_string());
    app.call(
        "/api/admin/refund",
        &[
            ("account_id", &account),
            ("payment_id", &payment),
            ("amount", amount),
            ("reason", "customer asked"),
        ],
    )
    .await
}

async fn refund_rows(pool: &PgPool, account: Uuid) -> Vec<(String, Decimal, Option<String>)> {
    sqlx::query_as("SELECT status, amount, failure FROM refunds WHERE account_id = $1 ORDER BY requested_at")
        .bind(account)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// (balance, Σ ledger) of the account.
async fn books(pool: &PgPool, account: Uuid) -> (Decimal, Decimal) {
    let mut conn = pool.acquire().await.unwrap();
    ledger::balance_and_ledger_sum(&mut conn, account).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn finance_refunds_half_a_deposit_and_the_customer_sees_it_on_the_receipt_and_deposit_list(
    pool: PgPool,
) {
    let (customer, account, payment) =
        customer_with_deposit(&pool, "payer@example.test", "4242 4242 4242 4242", "25").await;
    let bo = staff_member(&pool, "bo@example.test", StaffRole::Finance).await;
    assert_eq!(refund(&bo, account, payment, "12.50").await.0, StatusCode::OK);
    assert_eq!(balance_of(&pool, account).await, d("12.50"));
    assert_eq!(refund_rows(&pool, account).await, [("succeeded".into(), d("12.50"), None)]);
    let at_processor: Decimal =
        sqlx::query_scalar("SELECT sum(amount) FROM sandbox_processor.refunds WHERE failure IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(at_processor, d("12.50"));

    let receipt = customer.get(&format!("/dashboard/wallet/receipts/{payment}")).await.text().await.unwrap();
    let today = chrono::Utc::now().format("%B %-d, %Y").to_string();
    assert!(receipt.contains(&format!("Refunded $12.50 on {today}")), "{receipt}");
    let wallet = customer.get("/dashboard/wallet").await.text().await.unwrap();
    assert!(wallet.contains("Refunded $12.50"));
    let audit: Vec<(String, String)> =
        sqlx::query_as("SELECT action, detail FROM audit_events WHERE account_id = $1 AND channel = 'staff'")
            .bind(account)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        audit,
        [("refund_issued".into(), format!("$12.50 of deposit {payment} (reason: customer asked)"))]
    );

    // What is left, and no more.
    assert_eq!(
        refund(&bo, account, payment, "12.51").await,
        (StatusCode::CONFLICT, Value::from("refund_exceeds_refundable"))
    );
    assert_eq!(refund(&bo, account, payment, "12.50").await.0, StatusCode::OK);
    assert_eq!(
        refund(&bo, account, payment, "0.01").await,
        (StatusCode::CONFLICT, Value::from("refund_exceeds_refundable"))
    );
    assert_eq!(books(&pool, account).await, (Decimal::ZERO, Decimal::ZERO));
}

#[sqlx::test(migrations = "../migrations")]
async fn spent_money_and_bad_input_are_refused_and_write_nothing(pool: PgPool) {
    let (_, account, payment) =
        customer_with_deposit(&pool, "spender@example.test", "4242 4242 4242 4242", "25").await;
    let mut tx = pool.begin().await.unwrap();
    let spent = Posting {
        account_id: account,
        kind: EntryKind::Usage,
        amount: d("-20"),
        reference: "test",
        at: None,
    };
    ledger::post(&mut tx, spent).await.unwrap();
    tx.commit().await.unwrap();
    let bo = staff_member(&pool, "bo@example.test", StaffRole::Finance).await;
    assert_eq!(
        refund(&bo, account, payment, "5.01").await,
        (StatusCode::CONFLICT, Value::from("refund_exceeds_refundable"))
    );
    for amount in ["0", "-1", "1.001", "abc", ""] {
        assert_eq!(
            refund(&bo, account, payment, amount).await,
            (StatusCode::BAD_REQUEST, Value::from("refund_amount_invalid")),
            "{amount}"
        );
    }
    let (status, _) = bo
        .call(
            "/api/admin/refund",
            &[
                ("account_id", &account.to_string()),
                ("payment_id", &payment.to_string()),
                ("amount", "1"),
                ("reason", " "),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refund(&bo, Uuid::new_v4(), payment, "1").await.0,
        StatusCode::NOT_FOUND,
        "another account's id"
    );
    assert_eq!(refund(&bo, account, Uuid::new_v4(), "1").await.0, StatusCode::NOT_FOUND);
    let ana = staff_member(&pool, "ana@example.test", StaffRole::Support).await;
    assert_eq!(
        refund(&ana, account, payment, "1").await,
        (StatusCode::FORBIDDEN, Value::from("not_permitted"))
    );
    assert!(refund_rows(&pool, account).await.is_empty());
    assert_eq!(balance_of(&pool, account).await, d("5"));
    assert_eq!(refund(&bo, account, payment, "5.00").await.0, StatusCode::OK, "what is left can go back");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_refund_the_bank_refuses_puts_the_money_back_and_says_why(pool: PgPool) {
    let (_, account, payment) =
        customer_with_deposit(&pool, "closed@example.test", "4000 0000 0000 5126", "25").await;
    let bo = staff_member(&pool, "bo@example.test", StaffRole::Finance).await;
    let account_page = format!("/admin/accounts/{account}");
    let res = bo
        .post_form(
            "/api/admin/refund",
            &account_page,
            &[
                ("account_id", &account.to_string()),
                ("payment_id", &payment.to_string()),
                ("amount", "10"),
                ("reason", "duplicate"),
            ],
        )
        .await;
    assert_eq!(crate::support::location(&res), format!("{account_page}?done=refund_failed"));
    assert_eq!(balance_of(&pool, account).await, d("25"), "the money is back");
    let reason = "the card's bank refused the refund (the card account is closed)".to_string();
    assert_eq!(refund_rows(&pool, account).await, [("failed".into(), d("10"), Some(reason.clone()))]);
    let entries: Vec<Decimal> = sqlx::query_scalar(
        "SELECT amount FROM ledger_entries WHERE account_id = $1 AND kind = 'refund' ORDER BY id",
    )
    .bind(account)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(entries, [d("-10"), d("10")], "out and back, each by an entry of its own");
    assert_eq!(books(&pool, account).await, (d("25"), d("25")));
    let page = bo.get(&format!("{account_page}?done=refund_failed")).await.text().await.unwrap();
    assert!(page.contains(&reason) && page.contains("The processor refused the refund"));
}

#[sqlx::test(migrations = "../migrations")]
async fn above_a_thousand_dollars_a_second_person_approves_and_it_is_checked_again(pool: PgPool) {
    let (_, account, payment) =
        customer_with_deposit(&pool, "big@example.test", "4242 4242 4242 4242", "5000").await;
    let bo = staff_member(&pool, "bo@example.test", StaffRole::Finance).await;
    let cy = staff_member(&pool, "cy@example.test", StaffRole::Admin).await;
    assert_eq!(refund(&bo, account, payment, "1200").await.0, StatusCode::OK);
    assert_eq!(refund_rows(&pool, account).await, [("awaiting_approval".into(), d("1200"), None)]);
    assert_eq!(balance_of(&pool, account).await, d("5000"), "nothing moved yet");
    let refund_id: Uuid = sqlx::query_scalar("SELECT id FROM refunds").fetch_one(&pool).await.unwrap();
    let approve = |app: &TestApp, kind: &'static str, id: Uuid| {
        let (app, account) = (app.clone_handle(), account.to_string());
        async move {
            app.call(
                "/api/admin/approve",
                &[("account_id", &account), ("kind", kind), ("id", &id.to_string())],
            )
            .await
        }
    };
    assert_eq!(
        approve(&bo, "Refund", refund_id).await,
        (StatusCode::FORBIDDEN, Value::from("second_person_required"))
    );
    let ana = staff_member(&pool, "ana@example.test", StaffRole::Support).await;
    assert_eq!(
        approve(&ana, "Refund", refund_id).await,
        (StatusCode::FORBIDDEN, Value::from("not_permitted"))
    );
    assert_eq!(approve(&cy, "Refund", refund_id).await.0, StatusCode::OK);
    assert_eq!(refund_rows(&pool, account).await, [("succeeded".into(), d("1200"), None)]);
    assert_eq!(
        approve(&cy, "Refund", refund_id).await,
        (StatusCode::CONFLICT, Value::from("already_decided"))
    );
    assert_eq!(balance_of(&pool, account).await, d("3800"));

    // An adjustment the same way; and one whose money is gone by the time it is approved is refused.
    let adjust = |app: &TestApp, amount: &'static str| {
        let (app, account) = (app.clone_handle(), account.to_string());
        async move {
            app.call(
                "/api/admin/adjust",
                &[("account_id", &account), ("amount", amount), ("reason", "billing error")],
            )
            .await
        }
    };
    assert_eq!(adjust(&bo, "-1500").await.0, StatusCode::OK);
    assert_eq!(adjust(&bo, "-3000").await.0, StatusCode::OK);
    let waiting: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM adjustments WHERE status = 'awaiting_approval' ORDER BY amount DESC",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(balance_of(&pool, account).await, d("3800"));
    assert_eq!(approve(&cy, "Adjustment", waiting[0]).await.0, StatusCode::OK);
    assert_eq!(balance_of(&pool, account).await, d("2300"));
    assert_eq!(approve(&cy, "Adjustment", waiting[1]).await.0, StatusCode::OK, "recorded as refused");
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM adjustments ORDER BY requested_at")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(statuses, ["applied", "refused"]);
    assert_eq!(books(&pool, account).await, (d("2300"), d("2300")));
    let log: Vec<String> =
        sqlx::query_scalar("SELECT action FROM staff_log WHERE account_id = $1 ORDER BY id")
            .bind(account)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        log,
        [
            "refund.requested",
            "refund.approved",
            "adjustment.requested",
            "adjustment.requested",
            "adjustment.approved",
            "adjustment.refused"
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn adjustments_move_paid_credit_by_their_own_entry_never_below_zero(pool: PgPool) {
    let (_, account, _) = customer_with_deposit(&pool, "adj@example.test", "4242 4242 4242 4242", "10").await;
    let bo = staff_member(&pool, "bo@example.test", StaffRole::Finance).await;
    let adjust = |amount: &'static str| {
        let (bo, account) = (bo.clone_handle(), account.to_string());
        async move {
            bo.call("/api/admin/adjust", &[("account_id", &account), ("amount", amount), ("reason", "fix")])
                .await
        }
    };
    for amount in ["0", "1.001", "1000000.01", "x", "-0"] {
        assert_eq!(
            adjust(amount).await,
            (StatusCode::BAD_REQUEST, Value::from("adjustment_invalid")),
            "{amount}"
        );
    }
    assert_eq!(adjust("-10.01").await, (StatusCode::CONFLICT, Value::from("paid_credit_too_low")));
    assert_eq!(adjust("3.25").await.0, StatusCode::OK);
    assert_eq!(adjust("-$13.25").await.0, StatusCode::OK);
    let entries: Vec<Decimal> = sqlx::query_scalar(
        "SELECT amount FROM ledger_entries WHERE account_id = $1 AND kind = 'adjustment' ORDER BY id",
    )
    .bind(account)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(entries, [d("3.25"), d("-13.25")]);
    assert_eq!(books(&pool, account).await, (Decimal::ZERO, Decimal::ZERO));
}

/// The sandbox, whose refund answers are lost on the way back (the refund is made).
struct LostRefundAnswers(Arc<dyn PaymentProcessor>);

#[async_trait]
impl PaymentProcessor for LostRefundAnswers {
    async fn tokenize(&self, card: NewCard) -> Result<CardToken, ProcessorError> {
        self.0.tokenize(card).await
    }
    async fn update_card(
        &self,
        token: &str,
        expiry: Expiry,
        postal: &PostalCode,
    ) -> Result<(), ProcessorError> {
        self.0.update_card(token, expiry, postal).await
    }
    async fn charge(
        &self,
        token: &str,
        amount: Usd,
        key: &str,
        presence: Presence,
    ) -> Result<ChargeOutcome, ProcessorError> {
        self.0.charge(token, amount, key, presence).await
    }
    async fn find_charge(&self, key: &str) -> Result<Option<ChargeOutcome>, ProcessorError> {
        self.0.find_charge(key).await
    }
    async fn refund(&self, charge_id: &str, amount: Usd, key: &str) -> Result<RefundOutcome, ProcessorError> {
        self.0.refund(charge_id, amount, key).await?;
        Err(ProcessorError::Unavailable("connection reset".into()))
    }
}

async fn finance_actor(pool: &PgPool) -> StaffActor {
    let bo = crate::support::owner_of(pool, account_of(pool, "bo@example.test").await).await;
    StaffActor { user_id: bo, email: "bo@example.test".into(), role: StaffRole::Finance, ip: None }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_lost_refund_answer_stays_pending_and_recovery_finishes_it_once(pool: PgPool) {
    let (_, account, payment) =
        customer_with_deposit(&pool, "lost@example.test", "4242 4242 4242 4242", "25").await;
    staff_member(&pool, "bo@example.test", StaffRole::Finance).await;
    let sandbox: Arc<dyn PaymentProcessor> = Arc::new(
        server::sandbox_processor::SandboxProcessor::install(pool.clone(), std::time::Duration::ZERO)
            .await
            .unwrap(),
    );
    let flaky = LostRefundAnswers(sandbox.clone());
    let staff = finance_actor(&pool).await;
    let result = back_office::refund(&pool, &flaky, &staff, account, payment, d("7"), "asked").await.unwrap();
    assert_eq!(result, RefundResult::Sent(Sent::Pending));
    assert_eq!(refund_rows(&pool, account).await, [("pending".into(), d("7"), None)]);
    assert_eq!(balance_of(&pool, account).await, d("18"), "debited while its answer is awaited");
    // Two servers' sweepers at once: the processor refunds once, the outcome is recorded once.
    let (a, b) = tokio::join!(
        refunds::recover_pending(&pool, &*sandbox, std::time::Duration::ZERO),
        refunds::recover_pending(&pool, &*sandbox, std::time::Duration::ZERO),
    );
    assert!(a.unwrap() + b.unwrap() >= 1, "one of them finished it (the other may have read it finished)");
    assert_eq!(refund_rows(&pool, account).await, [("succeeded".into(), d("7"), None)]);
    let made: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sandbox_processor.refunds").fetch_one(&pool).await.unwrap();
    assert_eq!(made, 1);
    assert_eq!(books(&pool, account).await, (d("18"), d("18")));
}

#[sqlx::test(migrations = "../migrations")]
async fn refunds_racing_paid_calls_on_the_same_money_never_take_more_than_is_left(pool: PgPool) {
    let (_, account, payment) =
        customer_with_deposit(&pool, "race@example.test", "4242 4242 4242 4242", "10").await;
    staff_member(&pool, "bo@example.test", StaffRole::Finance).await;
    let settings =
        tollgate_domain::keys::settings::KeySettings::parse("agent", "", "", &[], false, "").unwrap();
    let key = crate::support::owner_key(&pool, account, &settings).await.unwrap().key.id;
    let sandbox: Arc<dyn PaymentProcessor> = Arc::new(
        server::sandbox_processor::SandboxProcessor::install(pool.clone(), std::time::Duration::ZERO)
            .await
            .unwrap(),
    );
    let staff = finance_actor(&pool).await;
    let meter = tollgate_core::metering::meter::Meter::new(pool.clone());
    let call = crate::metering::call(&pool, account, key, "exa", "search", (0, 0)).await; // $0.005
    let mut calls = Vec::new();
    for _ in 0..64 {
        let (meter, call) = (meter.clone(), call.clone());
        calls.push(tokio::spawn(async move {
            let mut spent = Decimal::ZERO;
            for _ in 0..10 {
                if let Ok(record) = meter.charge(call.clone()).await {
                    spent += record.cost.total.amount();
                }
            }
            spent
        }));
    }
    let mut asked = Vec::new();
    for _ in 0..4 {
        let (pool, sandbox, staff) = (pool.clone(), sandbox.clone(), staff.clone());
        asked.push(tokio::spawn(async move {
            back_office::refund(&pool, &*sandbox, &staff, account, payment, d("3"), "race").await
        }));
    }
    let mut spent = Decimal::ZERO;
    for c in calls {
        spent += c.await.unwrap();
    }
    let mut refunded = Decimal::ZERO;
    for r in asked {
        match r.await.unwrap() {
            Ok(RefundResult::Sent(Sent::Succeeded)) => refunded += d("3"),
            Err(AppError::RefundExceedsRefundable) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(refunded >= d("3") && refunded <= d("9"), "{refunded}");
    assert!(refunded + spent <= d("10"), "refunded {refunded} + spent {spent}");
    let (balance, sum) = books(&pool, account).await;
    assert_eq!((balance, sum), (d("10") - refunded - spent, d("10") - refunded - spent));
    assert!(balance >= Decimal::ZERO);
}
