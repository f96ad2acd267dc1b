//! Server functions of the hosted checkout page. No login: the checkout id in the URL is the capability
//! (docs/CONTRACT.md "/checkout/{id}"). Cross-site posts are refused like every other write.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::attempt::AttemptView;
use tollgate_domain::payments::checkout_session::CheckoutState;
use tollgate_domain::payments::new_card::NewCardForm;
use uuid::Uuid;

pub use crate::ui::new_card_fields::CardSetupAnswer;

#[cfg(feature = "ssr")]
use {
    crate::server_fn_context::{answer_form, person_payer, pool, processor},
    crate::ui::new_card_fields::{posted_new_card, setup_answer},
    tollgate_core::payments::add_funds,
    tollgate_core::payments::attempt_store,
    tollgate_core::payments::checkout_session,
    tollgate_domain::money::TopUpAmount,
    tollgate_domain::payments::attempt::AttemptStatus,
};

/// What the checkout page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub amount: Usd,
    pub state: CheckoutState,
    pub expires: String,
    /// The attempt that paid a used link; else the one named in the URL (`?attempt=`), if it belongs to
    /// this checkout.
    pub attempt: Option<AttemptView>,
}

#[server(endpoint = "checkout/get")]
pub async fn get_checkout(id: String, attempt: Option<Uuid>) -> Result<CheckoutView, AppError> {
    let pool = pool()?;
    let checkout = checkout_session::load(&pool, &id).await?;
    let paid = checkout.state == CheckoutState::Completed;
    let shown = match attempt {
        // A used link shows the payment that used it, whatever attempt the URL names.
        _ if paid => checkout.attempt_id,
        Some(a) if checkout_session::owns_attempt(&pool, &checkout, a).await? => Some(a),
        _ => None,
    };
    let attempt = match shown {
        // Whoever holds the link sees this payment and, once paid, the balance it left ("return to your
        // chat: your balance is …") — never a saved card's id.
        Some(a) => {
            let view = attempt_store::attempt(&pool, checkout.account_id, a).await?;
            // A payment waiting for its person's bank is asked about again (they may just have answered).
            let view = if view.status == AttemptStatus::Pending {
                add_funds::finish_authentication(&pool, &*processor()?, checkout.account_id, a, None).await?
            } else {
                view
            };
            let balance_after = if paid { view.balance_after } else { None };
            Some(AttemptView { balance_after, payment_method_id: None, ..view })
        }
        None => None,
    };
    Ok(CheckoutView {
        amount: checkout.amount,
        state: checkout.state,
        expires: tollgate_domain::utc::shown_utc(checkout.expires_at),
        attempt,
    })
}

/// The card script asks to set a new card up on this checkout (a processor that takes cards in the
/// browser), for the checkout's account.
#[server(endpoint = "checkout/card-setup")]
pub async fn begin_checkout_card_setup(checkout_id: String) -> Result<CardSetupAnswer, AppError> {
    let setup = async {
        let (pool, processor) = (pool()?, processor()?);
        let checkout = checkout_session::load(&pool, &checkout_id).await?;
        checkout_session::ensure_open(&checkout)?;
        add_funds::begin_card_setup(&pool, &*processor, checkout.account_id, person_payer()?).await
    };
    Ok(setup_answer(setup.await))
}

/// "Continue" on the checkout page: takes the new card the processor's way and stores a draft for this
/// checkout.
#[server(endpoint = "checkout/start")]
pub async fn start_checkout(
    checkout_id: String,
    #[server(flatten)] new_card: NewCardForm,
    /// The card setup the processor's script finished in the browser.
    setup_intent: Option<String>,
) -> Result<AttemptView, AppError> {
    answer_form(async move {
        let (pool, processor) = (pool()?, processor()?);
        let checkout = checkout_session::load(&pool, &checkout_id).await?;
        checkout_session::ensure_open(&checkout)?;
        let choice = posted_new_card(&processor.card_entry(), &new_card, setup_intent)?;
        // Stored as NUMERIC(20,8); the checkout's CHECK keeps it a whole-cent top-up amount.
        let amount = TopUpAmount::parse(&checkout.amount.json_cents())?;
        let draft = add_funds::start_draft(
            &pool,
            &*processor,
            checkout.account_id,
            amount,
            choice,
            person_payer()?,
            None,
        )
        .await?;
        attempt_store::attach_to_checkout(&pool, draft.id, &checkout.id).await?;
        leptos_axum::redirect(&format!("/checkout/{}?attempt={}", checkout.id, draft.id));
        Ok(draft)
    })
    .await
}

/// "Check again" on the checkout page after the person answered their bank: the payment's outcome,
/// recorded once (a success uses the checkout up).
#[server(endpoint = "checkout/finish")]
pub async fn finish_checkout(checkout_id: String, attempt_id: Uuid) -> Result<AttemptView, AppError> {
    answer_form(async move {
        let (pool, processor) = (pool()?, processor()?);
        let checkout = checkout_of_attempt(&pool, &checkout_id, attempt_id).await?;
        let result =
            add_funds::finish_authentication(&pool, &*processor, checkout.account_id, attempt_id, None)
                .await?;
        if result.status == AttemptStatus::Succeeded {
            checkout_session::complete(&pool, &checkout.id, attempt_id).await?;
        }
        leptos_axum::redirect(&format!("/checkout/{}?attempt={}", checkout.id, attempt_id));
        Ok(result)
    })
    .await
}

/// "Confirm" on the checkout page: charges the draft once and uses the checkout up if it succeeds.
#[server(endpoint = "checkout/confirm")]
pub async fn confirm_checkout(checkout_id: String, attempt_id: Uuid) -> Result<AttemptView, AppError> {
    answer_form(async move {
        let (pool, processor) = (pool()?, processor()?);
        let checkout = checkout_of_attempt(&pool, &checkout_id, attempt_id).await?;
        let result = if checkout.state == CheckoutState::Completed && checkout.attempt_id == Some(attempt_id)
        {
            // A second press of "Confirm" on the attempt that paid: its result again.
            attempt_store::attempt(&pool, checkout.account_id, attempt_id).await?
        } else {
            checkout_session::take_for_attempt(&pool, &checkout.id, attempt_id).await?;
            let result = add_funds::confirm(
                &pool,
                &*processor,
                checkout.account_id,
                attempt_id,
                person_payer()?,
                None,
            )
            .await?;
            if result.status == AttemptStatus::Succeeded {
                checkout_session::complete(&pool, &checkout.id, attempt_id).await?;
            }
            result
        };
        leptos_axum::redirect(&format!("/checkout/{}?attempt={}", checkout.id, attempt_id));
        Ok(result)
    })
    .await
}

/// The checkout `checkout_id`, if `attempt_id` was made on it (else "not found").
#[cfg(feature = "ssr")]
async fn checkout_of_attempt(
    pool: &sqlx::PgPool,
    checkout_id: &str,
    attempt_id: Uuid,
) -> Result<checkout_session::Checkout, AppError> {
    let checkout = checkout_session::load(pool, checkout_id).await?;
    if !checkout_session::owns_attempt(pool, &checkout, attempt_id).await? {
        return Err(AppError::NotFound);
    }
    Ok(checkout)
}
