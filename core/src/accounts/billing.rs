//! An account's billing details (docs/CONTRACT.md "Statements"): kept as the person last saved them, printed
//! on its receipts and statements. Saving writes the audit log in the same transaction.

use crate::audit::{self, Actor, Event};
use sqlx::PgPool;
use tollgate_domain::accounts::billing::{BillingDetails, TaxId};
use tollgate_domain::error::AppError;
use uuid::Uuid;

/// The account's billing details, if it saved some.
pub async fn of_account(pool: &PgPool, account_id: Uuid) -> Result<Option<BillingDetails>, AppError> {
    let row = sqlx::query!(
        "SELECT legal_name, address, country, tax_id_type, tax_id_value FROM billing_details WHERE account_id = $1",
        account_id,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| BillingDetails {
        legal_name: row.legal_name,
        address: row.address,
        country: row.country,
        tax_id: row.tax_id_type.zip(row.tax_id_value).map(|(kind, value)| TaxId { kind, value }),
    }))
}

/// Saves `details` for the actor's account (replacing what was there), with an audit row when they changed.
pub async fn save(pool: &PgPool, actor: &Actor, details: &BillingDetails) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let (kind, value) = match &details.tax_id {
        Some(tax) => (Some(tax.kind.as_str()), Some(tax.value.as_str())),
        None => (None, None),
    };
    let changed = sqlx::query!(
        "INSERT INTO billing_details (account_id, legal_name, address, country, tax_id_type, tax_id_value)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (account_id) DO UPDATE
            SET legal_name = EXCLUDED.legal_name, address = EXCLUDED.address, country = EXCLUDED.country,
                tax_id_type = EXCLUDED.tax_id_type, tax_id_value = EXCLUDED.tax_id_value, updated_at = now()
          WHERE (billing_details.legal_name, billing_details.address, billing_details.country,
                 billing_details.tax_id_type, billing_details.tax_id_value)
                IS DISTINCT FROM (EXCLUDED.legal_name, EXCLUDED.address, EXCLUDED.country,
                                  EXCLUDED.tax_id_type, EXCLUDED.tax_id_value)",
        actor.account_id,
        details.legal_name,
        details.address,
        details.country,
        kind,
        value,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if changed {
        let value = format!("{}, {}", details.legal_name, details.country_name());
        audit::record(&mut tx, actor, Event::SettingChanged { setting: "Billing details", value }).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Who the account's statements are made out to, line by line: its billing details, or — until it saves
/// some — its name and its owner's email.
pub async fn made_out_to(pool: &PgPool, account_id: Uuid) -> Result<Vec<String>, AppError> {
    if let Some(details) = of_account(pool, account_id).await? {
        return Ok(details.printed_lines());
    }
    let row = sqlx::query!(
        "SELECT a.name, u.email
           FROM accounts a
           JOIN memberships m ON m.account_id = a.id AND m.role = 'owner'
           JOIN users u ON u.id = m.user_id
          WHERE a.id = $1
          ORDER BY m.created_at
          LIMIT 1",
        account_id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(vec![row.name, row.email])
}
