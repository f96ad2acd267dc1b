//! The seeded service catalog prices calls as docs/CONTRACT.md says, and refuses prices that can't be exact.

use rust_decimal::Decimal;
use sqlx::PgPool;
use std::str::FromStr;
use tollgate_core::catalog::db as catalog;
use tollgate_domain::catalog::pricing::Usage;

#[sqlx::test(migrations = "../migrations")]
async fn the_seeded_catalog_prices_calls_as_the_contract_says(pool: PgPool) {
    let cost = |service: &'static str, model: &'static str, input: u64, output: u64| {
        let pool = pool.clone();
        async move {
            let price = catalog::price(&pool, service, model).await.unwrap().expect("in the catalog");
            price.cost(Usage::new(input, output).unwrap()).total.amount()
        }
    };
    let d = |s: &str| Decimal::from_str(s).unwrap();
    assert_eq!(cost("openai", "gpt-4o-mini", 1_000_000, 1_000_000).await, d("0.75"));
    assert_eq!(cost("anthropic", "claude-haiku", 1_000, 200).await, d("0.0016"));
    assert_eq!(cost("exa", "search", 0, 0).await, d("0.005"));
    assert_eq!(cost("open-meteo", "forecast", 5_000, 5_000).await, Decimal::ZERO);
    assert!(catalog::price(&pool, "openai", "gpt-9").await.unwrap().is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn prices_per_million_tokens_must_be_whole_cents(pool: PgPool) {
    let fractional =
        sqlx::query("UPDATE service_models SET input_per_million = 0.155 WHERE model = 'gpt-4o-mini'")
            .execute(&pool)
            .await;
    assert!(fractional.is_err(), "a third decimal would make token costs inexact");
    let negative =
        sqlx::query("UPDATE service_models SET per_request = -1 WHERE model = 'search'").execute(&pool).await;
    assert!(negative.is_err());
    // Prices are data: a change takes effect without a deploy.
    sqlx::query("UPDATE service_models SET per_request = 0.01 WHERE model = 'search'")
        .execute(&pool)
        .await
        .unwrap();
    let price = catalog::price(&pool, "exa", "search").await.unwrap().unwrap();
    assert_eq!(price.per_request, Decimal::from_str("0.01").unwrap());
}
