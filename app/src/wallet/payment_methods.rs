//! Saved cards of an account. Every query is scoped by account: another account's card id is "not found".

use super::card::{Expiry, PostalCode};
use super::processor::PaymentProcessor;
use crate::error::AppError;
use sqlx::PgPool;
use uuid::Uuid;

/// "Update card": a new expiry and billing postal code, at the processor and here. The card keeps its
/// last failure until a later charge succeeds (CONTRACT.md).
pub async fn update_card(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    account_id: Uuid,
    payment_method_id: Uuid,
    expiry: Expiry,
    postal_code: &PostalCode,
) -> Result<(), AppError> {
    let token: String = sqlx::query_scalar(
        "SELECT processor_token FROM payment_methods WHERE id = $1 AND account_id = $2 AND removed_at IS NULL",
    )
    .bind(payment_method_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    processor.update_card(&token, expiry, postal_code).await.map_err(|err| {
        tracing::warn!(error = %err, "processor refused a card update");
        AppError::ProcessorUnavailable
    })?;
    sqlx::query(
        "UPDATE payment_methods SET expiry_month = $3, expiry_year = $4, billing_postal_code = $5, updated_at = now()
          WHERE id = $1 AND account_id = $2",
    )
    .bind(payment_method_id)
    .bind(account_id)
    .bind(expiry.month as i32)
    .bind(expiry.year)
    .bind(postal_code.as_str())
    .execute(pool)
    .await?;
    Ok(())
}
