//! The service catalog in Postgres (seeded by a migration; prices are data).

use super::pricing::Price;
use crate::error::AppError;
use rust_decimal::Decimal;
use sqlx::PgPool;

/// The price of `model` of `service`, or `None` when the catalog has no such pair.
pub async fn price(pool: &PgPool, service: &str, model: &str) -> Result<Option<Price>, AppError> {
    let row: Option<(Decimal, Decimal, Decimal)> = sqlx::query_as(
        "SELECT input_per_million, output_per_million, per_request
           FROM service_models WHERE service_id = $1 AND model = $2",
    )
    .bind(service)
    .bind(model)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(input_per_million, output_per_million, per_request)| Price {
        input_per_million,
        output_per_million,
        per_request,
    }))
}

/// Every service, by name (the "allowed services" choices of a spend key).
pub async fn services(pool: &PgPool) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query_as("SELECT id, name FROM services ORDER BY name").fetch_all(pool).await?)
}
