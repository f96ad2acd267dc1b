//! Server functions of the hosted checkout page. No login: the checkout id in the URL is the capability
//! (CONTRACT.md `/checkout/{id}`). Cross-site posts are refused like every other write.

use crate::error::AppError;
use crate::money::Usd;
use crate::wallet::attempt::AttemptView;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {
    super::db::{self, CheckoutState},
    crate::request::{answer_form, pool, processor},
    crate::wallet::add_funds::{self, CardChoice},
    crate::wallet::attempt::AttemptStatus,
    crate::wallet::processor::NewCard,
};

/// What the checkout page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub amount: Usd,
    /// "open", "expired" or "completed".
    pub state: String,
    pub expires: String,
    /// The attempt named in the URL (`?attempt=`), if it belongs to this checkout.
    pub attempt: Option<AttemptView>,
}

#[server(endpoint = "checkout/get")]
pub async fn get_checkout(id: String, attempt: Option<Uuid>) -> Result<CheckoutView, AppError> {
    let pool = pool()?;
    let checkout = db::load(&pool, &id).await?;
    let shown = match attempt {
        Some(a) if db::owns_attempt(&pool, &checkout, a).await? => Some(a),
        _ if checkout.state == CheckoutState::Completed => checkout.attempt_id,
        _ => None,
    };
    let attempt = match shown {
        // Whoever holds the link sees this payment, not the wallet: no balance, no saved-card id.
        Some(a) => Some(AttemptView {
            balance_after: None,
            payment_method_id: None,
            ..add_funds::attempt(&pool, checkout.account_id, a).await?
        }),
        None => None,
    };
    Ok(CheckoutView {
        amount: checkout.amount,
        state: serde_json::to_value(checkout.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        expires: crate::utc::shown_utc(checkout.expires_at),
        attempt,
    })
}

/// "Continue" on the checkout page: tokenizes the new card and stores a draft for this checkout.
#[server(endpoint = "checkout/start")]
pub async fn start_checkout(
    checkout_id: String,
    card_number: Option<String>,
    expiry: Option<String>,
    cvc: Option<String>,
    postal_code: Option<String>,
    save_card: Option<String>,
) -> Result<AttemptView, AppError> {
    answer_form(async move {
        let (pool, processor) = (pool()?, processor()?);
        let checkout = db::load(&pool, &checkout_id).await?;
        db::ensure_open(&checkout)?;
        let card = NewCard::from_fields(
            card_number.as_deref(),
            expiry.as_deref(),
            cvc.as_deref(),
            postal_code.as_deref(),
        )?;
        // Stored as NUMERIC(20,8); the checkout's CHECK keeps it a whole-cent top-up amount.
        let amount = crate::money::TopUpAmount::parse(&checkout.amount.json_cents())?;
        let choice = CardChoice::New { card, save: save_card.is_some() };
        let draft = add_funds::start_draft(&pool, &*processor, checkout.account_id, amount, choice).await?;
        db::attach_attempt(&pool, &checkout.id, draft.id).await?;
        leptos_axum::redirect(&format!("/checkout/{}?attempt={}", checkout.id, draft.id));
        Ok(draft)
    })
    .await
}

/// "Confirm" on the checkout page: charges the draft once and uses the checkout up if it succeeds.
#[server(endpoint = "checkout/confirm")]
pub async fn confirm_checkout(checkout_id: String, attempt_id: Uuid) -> Result<AttemptView, AppError> {
    answer_form(async move {
        let (pool, processor) = (pool()?, processor()?);
        let checkout = db::load(&pool, &checkout_id).await?;
        if !db::owns_attempt(&pool, &checkout, attempt_id).await? {
            return Err(AppError::NotFound);
        }
        let result = if checkout.state == CheckoutState::Completed && checkout.attempt_id == Some(attempt_id)
        {
            // A second press of "Confirm" on the attempt that paid: its result again.
            add_funds::attempt(&pool, checkout.account_id, attempt_id).await?
        } else {
            db::take_for_attempt(&pool, &checkout.id, attempt_id).await?;
            let result = add_funds::confirm(&pool, &*processor, checkout.account_id, attempt_id).await?;
            if result.status == AttemptStatus::Succeeded {
                db::complete(&pool, &checkout.id, attempt_id).await?;
            }
            result
        };
        leptos_axum::redirect(&format!("/checkout/{}?attempt={}", checkout.id, attempt_id));
        Ok(result)
    })
    .await
}
