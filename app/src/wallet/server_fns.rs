//! Wallet server functions: the balance, saved cards, Add Funds and its history. Each one that changes
//! something works from an `ActionForm` with JavaScript on (inline answer) and off (302 back to the page).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::wallet::{ActivityRow, WalletSummary};
use tollgate_domain::money::Usd;
use tollgate_domain::payments::attempt::{AttemptRow, AttemptView, ReceiptView};
use tollgate_domain::payments::new_card::NewCardForm;
use tollgate_domain::payments::payment_method::PaymentMethodView;
use uuid::Uuid;

use super::auto_top_up_fns::AutoTopUpPanel;
use crate::charts::spend::SpendChart;

pub use crate::ui::new_card_fields::CardSetupAnswer;

#[cfg(feature = "ssr")]
use {
    super::alert_threshold::parse_alert_threshold,
    crate::server_fn_context::{person_payer, pool, processor},
    crate::teams::member::{as_member, require_member},
    crate::ui::new_card_fields::{posted_new_card, setup_answer},
    crate::usage::server_fns::wallet_chart,
    tollgate_core::accounts::store as accounts,
    tollgate_core::payments::add_funds::{self, CardChoice},
    tollgate_core::payments::auto_top_up::settings as auto_top_up_settings,
    tollgate_core::payments::processor::CardEntry,
    tollgate_core::payments::{attempt_store, card_store},
    tollgate_core::reads::wallet as db,
    tollgate_domain::money::TopUpAmount,
    tollgate_domain::payments::attempt::AttemptStatus,
    tollgate_domain::payments::card::CardChange,
    tollgate_domain::teams::role::Action,
};

/// The confirm step's view of a draft: the attempt and the balance it would leave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptPanel {
    pub attempt: AttemptView,
    pub balance_now: Usd,
}

#[server(endpoint = "wallet/summary")]
pub async fn get_wallet_summary() -> Result<WalletSummary, AppError> {
    let user = require_member().await?;
    let summary = db::summary(&pool()?, user.account_id).await?;
    Ok(WalletSummary { funding_refused: user.require(Action::AddFunds).err(), ..summary })
}

/// Everything the wallet page shows below its balance, each section with its own outcome (one failing
/// read leaves the others on the page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletSections {
    pub cards: Result<Vec<PaymentMethodView>, AppError>,
    pub attempts: Result<Vec<AttemptRow>, AppError>,
    pub activity: Result<Vec<ActivityRow>, AppError>,
    pub chart: Result<SpendChart, AppError>,
    pub auto_top_up: Result<AutoTopUpPanel, AppError>,
}

/// The wallet page's sections, read one after another on one pooled connection. Each checkout of a pooled
/// connection costs a round trip when it goes back (sqlx checks it then): read separately, the page's
/// sections took six checkouts, and that was a tenth of the server's work for an unchanged page
/// (docs/BENCHMARKS.md, P2).
#[server(endpoint = "wallet/sections")]
pub async fn get_wallet_sections() -> Result<WalletSections, AppError> {
    let user = require_member().await?;
    let account_id = user.account_id;
    let mut conn = pool()?.acquire().await?;
    Ok(WalletSections {
        cards: card_store::saved_cards(&mut *conn, account_id).await,
        attempts: attempt_store::recent_attempts(&mut *conn, account_id, db::DEPOSIT_ROWS).await,
        activity: db::recent_activity(&mut *conn, account_id, db::ACTIVITY_ROWS).await,
        chart: wallet_chart(&mut conn, account_id).await,
        auto_top_up: auto_top_up_settings::view(&mut *conn, account_id)
            .await
            .map(|view| AutoTopUpPanel { view, may_change: user.require(Action::ManageMembers).is_ok() }),
    })
}

#[server(endpoint = "wallet/cards")]
pub async fn get_payment_methods() -> Result<Vec<PaymentMethodView>, AppError> {
    let user = require_member().await?;
    card_store::saved_cards(&pool()?, user.account_id).await
}

/// An attempt's panel. A pending one whose bank wanted its person is asked about again (they may just have
/// answered): settled now if it has an outcome, else carrying what their browser completes it with.
#[server(endpoint = "wallet/attempt")]
pub async fn get_attempt(id: Uuid) -> Result<AttemptPanel, AppError> {
    let user = require_member().await?;
    let pool = pool()?;
    let attempt = attempt_store::attempt_for(&pool, user.account_id, id, Some(user.user_id)).await?;
    let attempt = if attempt.status == AttemptStatus::Pending {
        add_funds::finish_authentication(&pool, &*processor()?, user.account_id, id, Some(user.user_id))
            .await?
    } else {
        attempt
    };
    let balance_now = db::summary(&pool, user.account_id).await?.balance;
    Ok(AttemptPanel { attempt, balance_now })
}

#[server(endpoint = "wallet/receipt")]
pub async fn get_receipt(id: Uuid) -> Result<ReceiptView, AppError> {
    let user = require_member().await?;
    attempt_store::receipt(&pool()?, user.account_id, id).await
}

/// The card script asks to set a new card up (a processor that takes cards in the browser): answers what
/// Stripe.js confirms the setup with.
#[server(endpoint = "wallet/card-setup")]
pub async fn begin_card_setup() -> Result<CardSetupAnswer, AppError> {
    let setup = as_member(Some(Action::AddFunds), |user| async move {
        let (pool, processor) = (pool()?, processor()?);
        add_funds::begin_card_setup(&pool, &*processor, user.account_id, person_payer()?).await
    })
    .await;
    Ok(setup_answer(setup))
}

/// "Continue": checks the amount and card, takes a new card the processor's way (its number goes no
/// further than the processor), and stores a draft to confirm. Answers with the confirm step's address.
#[server(endpoint = "wallet/add-funds")]
pub async fn start_add_funds(
    amount: String,
    /// A saved card's id, or `new` (or nothing) for the new-card fields.
    card: Option<String>,
    #[server(flatten)] new_card: NewCardForm,
    /// The card setup the processor's script finished in the browser.
    setup_intent: Option<String>,
) -> Result<AttemptView, AppError> {
    as_member(Some(Action::AddFunds), |user| async move {
        let amount = TopUpAmount::parse(&amount)?;
        let processor = processor()?;
        let choice = match card.as_deref() {
            Some(id) if id != "new" => CardChoice::Saved(id.parse().map_err(|_| AppError::NotFound)?),
            _ => posted_new_card(&processor.card_entry(), &new_card, setup_intent)?,
        };
        let draft = add_funds::start_draft(
            &pool()?,
            &*processor,
            user.account_id,
            amount,
            choice,
            person_payer()?,
            Some(user.user_id),
        )
        .await?;
        leptos_axum::redirect(&format!("/dashboard/wallet?attempt={}", draft.id));
        Ok(draft)
    })
    .await
}

/// "Confirm": charges the draft once, however often it is pressed.
#[server(endpoint = "wallet/confirm")]
pub async fn confirm_add_funds(attempt_id: Uuid) -> Result<AttemptView, AppError> {
    as_member(Some(Action::AddFunds), |user| async move {
        let (pool, processor, payer) = (pool()?, processor()?, person_payer()?);
        let result =
            add_funds::confirm(&pool, &*processor, user.account_id, attempt_id, payer, Some(user.user_id))
                .await?;
        leptos_axum::redirect(&format!("/dashboard/wallet?attempt={}", result.id));
        Ok(result)
    })
    .await
}

/// "Check again" after the person answered their bank (3-D Secure): the payment's outcome, recorded once.
#[server(endpoint = "wallet/finish")]
pub async fn finish_add_funds(attempt_id: Uuid) -> Result<AttemptView, AppError> {
    as_member(Some(Action::AddFunds), |user| async move {
        let (pool, processor) = (pool()?, processor()?);
        let result = add_funds::finish_authentication(
            &pool,
            &*processor,
            user.account_id,
            attempt_id,
            Some(user.user_id),
        )
        .await?;
        leptos_axum::redirect(&format!("/dashboard/wallet?attempt={}", result.id));
        Ok(result)
    })
    .await
}

/// "Retry": the same amount on the same card, as a new attempt, charged right away.
#[server(endpoint = "wallet/retry")]
pub async fn retry_add_funds(attempt_id: Uuid) -> Result<AttemptView, AppError> {
    as_member(Some(Action::AddFunds), |user| async move {
        let (pool, processor) = (pool()?, processor()?);
        let payer = person_payer()?;
        let draft =
            add_funds::retry_as_new_draft(&pool, user.account_id, attempt_id, payer, Some(user.user_id))
                .await?;
        let result =
            add_funds::confirm(&pool, &*processor, user.account_id, draft.id, payer, Some(user.user_id))
                .await?;
        leptos_axum::redirect(&format!("/dashboard/wallet?attempt={}", result.id));
        Ok(result)
    })
    .await
}

/// "Save card" in "Update card": a new expiry and billing postal code — or, where the processor takes
/// cards in the browser, the card entered again there (`setup_intent`).
#[server(endpoint = "wallet/card/update")]
pub async fn update_card(
    payment_method_id: Uuid,
    #[server(default)] new_expiry: String,
    #[server(default)] new_postal_code: String,
    return_to: Option<String>,
    /// The card setup the processor's script finished in the browser.
    setup_intent: Option<String>,
) -> Result<(), AppError> {
    as_member(None, |user| async move {
        require_card_permission(&user, payment_method_id, Action::AddFunds).await?;
        let (pool, processor, actor) = (pool()?, processor()?, crate::teams::member::audit_actor(&user)?);
        match processor.card_entry() {
            CardEntry::TollgateForm => {
                let change = CardChange::parse(&new_expiry, &new_postal_code)?;
                card_store::update_card(&pool, &*processor, &actor, payment_method_id, change).await?;
            }
            CardEntry::ProcessorScript { .. } => {
                let setup = setup_intent
                    .filter(|id| !id.trim().is_empty())
                    .ok_or(AppError::NewCardNeedsJavascript)?;
                card_store::replace_card(&pool, &*processor, &actor, payment_method_id, &setup).await?;
            }
        }
        leptos_axum::redirect(&wallet_return_path(return_to.as_deref()));
        Ok(())
    })
    .await
}

/// "Save alert": the balance below which the wallet shows a banner and the API says `low_balance: true`.
/// Empty turns it off.
#[server(endpoint = "wallet/low-balance-alert")]
pub async fn set_low_balance_alert(threshold: String) -> Result<(), AppError> {
    as_member(Some(Action::ManageMembers), |user| async move {
        let threshold = parse_alert_threshold(&threshold)?;
        accounts::set_low_balance_threshold(&pool()?, &crate::teams::member::audit_actor(&user)?, threshold)
            .await?;
        leptos_axum::redirect("/dashboard/wallet");
        Ok(())
    })
    .await
}

#[server(endpoint = "wallet/card/default")]
pub async fn make_default_card(payment_method_id: Uuid) -> Result<(), AppError> {
    as_member(None, |user| async move {
        // Which card the whole account is charged by default is the account's to decide.
        user.require(Action::ManageAnyCard)?;
        card_store::make_default(&pool()?, &crate::teams::member::audit_actor(&user)?, payment_method_id)
            .await?;
        leptos_axum::redirect("/dashboard/wallet");
        Ok(())
    })
    .await
}

#[server(endpoint = "wallet/card/remove")]
pub async fn remove_card(payment_method_id: Uuid) -> Result<(), AppError> {
    as_member(None, |user| async move {
        require_card_permission(&user, payment_method_id, Action::RemoveOwnCard).await?;
        card_store::remove(&pool()?, &crate::teams::member::audit_actor(&user)?, payment_method_id).await?;
        leptos_axum::redirect("/dashboard/wallet");
        Ok(())
    })
    .await
}

/// Changing a saved card: one's own with `own_action` (updating it: "add funds"; removing it: always),
/// anyone's as an Owner or Admin (docs/CONTRACT.md "Teams": Members add and use cards, and don't remove
/// others').
#[cfg(feature = "ssr")]
async fn require_card_permission(
    member: &tollgate_domain::teams::member::Member,
    payment_method_id: Uuid,
    own_action: Action,
) -> Result<(), AppError> {
    let added_by = card_store::added_by(&pool()?, member.account_id, payment_method_id).await?;
    member.require_for(added_by.unwrap_or_default(), own_action, Action::ManageAnyCard)
}

/// Only wallet pages are places to return to after a card update (and only as `safe_next_path` allows).
#[cfg(feature = "ssr")]
fn wallet_return_path(return_to: Option<&str>) -> String {
    let path = crate::auth::return_to::safe_next_path(return_to);
    if path.starts_with("/dashboard/wallet") && !path.contains("//") {
        path
    } else {
        "/dashboard/wallet".to_string()
    }
}
