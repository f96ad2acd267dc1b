//! The money core's invariant — balance = Σ ledger, never negative — under concurrency.

use rust_decimal::Decimal;
use sqlx::PgPool;
use tollgate_core::accounts::store as auth_db;
use tollgate_core::ledger::{self, Posting};
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use uuid::Uuid;

async fn new_account(pool: &PgPool, email: &str) -> Uuid {
    auth_db::create_user_with_account(pool, &Email::parse(email).unwrap(), "not-a-real-hash")
        .await
        .unwrap()
        .account_id
}

async fn post(pool: &PgPool, account_id: Uuid, kind: EntryKind, cents: i64) -> Result<Decimal, AppError> {
    let mut tx = pool.begin().await?;
    let reference = format!("test:{}", Uuid::new_v4());
    let after = ledger::post(
        &mut tx,
        Posting { account_id, kind, amount: Decimal::new(cents, 2), reference: &reference, at: None },
    )
    .await?;
    tx.commit().await?;
    Ok(after.balance_after.amount())
}

async fn balance_and_sum(pool: &PgPool, account_id: Uuid) -> (Decimal, Decimal) {
    let mut conn = pool.acquire().await.unwrap();
    ledger::balance_and_ledger_sum(&mut conn, account_id).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_debit_the_balance_cannot_cover_changes_nothing(pool: PgPool) {
    let account = new_account(&pool, "a@example.test").await;
    assert_eq!(post(&pool, account, EntryKind::Deposit, 1000).await.unwrap(), Decimal::new(1000, 2));
    assert_eq!(post(&pool, account, EntryKind::Usage, -1001).await, Err(AppError::InsufficientBalance));
    assert_eq!(balance_and_sum(&pool, account).await, (Decimal::new(1000, 2), Decimal::new(1000, 2)));
    assert_eq!(post(&pool, account, EntryKind::Usage, -1000).await.unwrap(), Decimal::ZERO);
}

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_debits_never_overdraw_and_the_ledger_explains_the_balance(pool: PgPool) {
    let account = new_account(&pool, "busy@example.test").await;
    post(&pool, account, EntryKind::Deposit, 2000).await.unwrap(); // $20.00
                                                                   // 64 concurrent $0.50 debits against $20.00: exactly 40 can succeed.
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { post(&pool, account, EntryKind::Usage, -50).await })
        })
        .collect();
    let mut ok = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(after) => {
                assert!(after >= Decimal::ZERO);
                ok += 1;
            }
            Err(AppError::InsufficientBalance) => refused += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, refused), (40, 24));
    assert_eq!(balance_and_sum(&pool, account).await, (Decimal::ZERO, Decimal::ZERO));
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_entries WHERE account_id = $1")
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(entries, 41, "one entry per successful posting, none for refusals");
}

#[sqlx::test(migrations = "../migrations")]
async fn accounts_do_not_touch_each_others_wallets(pool: PgPool) {
    let a = new_account(&pool, "a@example.test").await;
    let b = new_account(&pool, "b@example.test").await;
    post(&pool, a, EntryKind::Deposit, 5000).await.unwrap();
    assert_eq!(post(&pool, b, EntryKind::Usage, -1).await, Err(AppError::InsufficientBalance));
    assert_eq!(balance_and_sum(&pool, a).await.0, Decimal::new(5000, 2));
    assert_eq!(balance_and_sum(&pool, b).await.0, Decimal::ZERO);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_ledger_is_append_only_and_the_wallet_cannot_go_negative_even_by_hand(pool: PgPool) {
    let account = new_account(&pool, "rules@example.test").await;
    post(&pool, account, EntryKind::Deposit, 1000).await.unwrap();
    let edit = sqlx::query("UPDATE ledger_entries SET amount = 1000 WHERE account_id = $1")
        .bind(account)
        .execute(&pool)
        .await;
    assert!(edit.unwrap_err().to_string().contains("append-only"));
    let delete =
        sqlx::query("DELETE FROM ledger_entries WHERE account_id = $1").bind(account).execute(&pool).await;
    assert!(delete.is_err());
    let truncate = sqlx::query("TRUNCATE ledger_entries CASCADE").execute(&pool).await;
    assert!(truncate.unwrap_err().to_string().contains("append-only (TRUNCATE refused)"));
    let overdraw = sqlx::query("UPDATE wallets SET balance = -1 WHERE account_id = $1")
        .bind(account)
        .execute(&pool)
        .await;
    assert!(overdraw.is_err());
}

#[sqlx::test(migrations = "../migrations")]
async fn demo_seed_is_idempotent_and_its_balance_is_the_sum_of_its_ledger(pool: PgPool) {
    let processor =
        server::sandbox_processor::SandboxProcessor::install(pool.clone(), std::time::Duration::ZERO)
            .await
            .unwrap();
    assert!(server::startup::demo_seed::seed_demo_account(&pool, &processor).await.unwrap());
    assert!(!server::startup::demo_seed::seed_demo_account(&pool, &processor).await.unwrap());
    let account: Uuid = sqlx::query_scalar("SELECT m.account_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'demo@tollgate.test'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(balance_and_sum(&pool, account).await, (Decimal::new(4750, 2), Decimal::new(4750, 2)));
    let (cards, succeeded, failed): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM payment_methods WHERE is_default AND last4 = '4242'),
                (SELECT count(*) FROM payment_attempts WHERE status = 'succeeded' AND ledger_entry_id IS NOT NULL),
                (SELECT count(*) FROM payment_attempts WHERE status = 'failed' AND decline_code = 'insufficient_funds')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((cards, succeeded, failed), (1, 3, 1), "a saved Visa, three deposits, one failed attempt");
}
