//! The service catalog in Postgres (seeded by a migration; prices are data).

use sqlx::PgPool;
use tollgate_domain::catalog::pricing::Price;
use tollgate_domain::error::AppError;

/// The price of `model` of `service`, or `None` when the catalog has no such pair. Read on the pool, or on
/// a transaction that must not take a second connection while it holds a lock.
#[tracing::instrument(name = "catalog::price", skip(db))]
pub async fn price<'c>(
    db: impl sqlx::PgExecutor<'c>,
    service: &str,
    model: &str,
) -> Result<Option<Price>, AppError> {
    Ok(sqlx::query_as!(
        Price,
        "SELECT input_per_million, output_per_million, per_request
           FROM service_models WHERE service_id = $1 AND model = $2",
        service,
        model,
    )
    .fetch_optional(db)
    .await?)
}

/// Every service as (id, name), by name (a spend key's "allowed services", the usage page's filter).
#[tracing::instrument(name = "catalog::services", skip(pool))]
pub async fn services(pool: &PgPool) -> Result<Vec<(String, String)>, AppError> {
    let rows = sqlx::query!("SELECT id, name FROM services ORDER BY name").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|row| (row.id, row.name)).collect())
}

/// Every model as (service id, model), for the usage page's filter.
#[tracing::instrument(name = "catalog::models", skip(pool))]
pub async fn models(pool: &PgPool) -> Result<Vec<(String, String)>, AppError> {
    let rows = sqlx::query!("SELECT service_id, model FROM service_models ORDER BY service_id, model")
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|row| (row.service_id, row.model)).collect())
}

/// Whether the catalog has the service `service` (a hold may name a service without a model).
#[tracing::instrument(name = "catalog::service_exists", skip(pool))]
pub async fn service_exists(pool: &PgPool, service: &str) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM services WHERE id = $1) AS "exists!""#, service)
        .fetch_one(pool)
        .await?)
}

/// A model the gateway can run: its price and the most output it can give (`None`: not a model's call).
pub struct RunnableModel {
    pub price: Price,
    pub max_output_tokens: Option<i32>,
}

/// `model` of `service` with what the gateway needs to hold for its call, or `None` when the catalog has no
/// such pair.
#[tracing::instrument(name = "catalog::runnable_model", skip(pool))]
pub async fn runnable_model(
    pool: &PgPool,
    service: &str,
    model: &str,
) -> Result<Option<RunnableModel>, AppError> {
    let row = sqlx::query!(
        "SELECT input_per_million, output_per_million, per_request, max_output_tokens
           FROM service_models WHERE service_id = $1 AND model = $2",
        service,
        model,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| RunnableModel {
        price: Price {
            input_per_million: r.input_per_million,
            output_per_million: r.output_per_million,
            per_request: r.per_request,
        },
        max_output_tokens: r.max_output_tokens,
    }))
}

/// The models of `service`, by name (the gateway's model list).
#[tracing::instrument(name = "catalog::models_of", skip(pool))]
pub async fn models_of(pool: &PgPool, service: &str) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar!("SELECT model FROM service_models WHERE service_id = $1 ORDER BY model", service)
        .fetch_all(pool)
        .await?)
}
