//! The back office's server functions. Each one checks, on every call, that the signed-in person is staff
//! (else "Not found", as the gate answers) and that their role may do what it does (else "not permitted").

use leptos::prelude::*;
use tollgate_domain::back_office::{AccountFile, AccountHit, StaffLogPage, StaffView, WaitingKind};
use tollgate_domain::error::AppError;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {
    crate::server_fn_context::{answer_form, client_ip, pool, processor},
    tollgate_core::back_office::{self as actions, StaffActor},
    tollgate_core::reads::back_office as db,
    tollgate_domain::money::parse_dollars,
    tollgate_domain::staff::StaffPower,
};

/// The signed-in staff member, as the staff table says now; anyone else is not found.
#[cfg(feature = "ssr")]
async fn require_staff(power: StaffPower) -> Result<StaffActor, AppError> {
    let user = crate::auth::session::signed_in_user().await?.ok_or(AppError::NotFound)?;
    let role = tollgate_core::staff::role_of(&pool()?, user.user_id).await?.ok_or(AppError::NotFound)?;
    let staff =
        StaffActor { user_id: user.user_id, email: user.email, role, ip: client_ip().ok().map(|c| c.ip()) };
    staff.require(power)?;
    Ok(staff)
}

#[server(endpoint = "admin/me")]
pub async fn get_staff_me() -> Result<StaffView, AppError> {
    let staff = require_staff(StaffPower::Look).await?;
    Ok(StaffView { email: staff.email, role: staff.role })
}

/// "Find account": by email, account id, key prefix or payment id.
#[server(endpoint = "admin/find")]
pub async fn find_accounts(query: String) -> Result<Vec<AccountHit>, AppError> {
    require_staff(StaffPower::Look).await?;
    db::find_accounts(&pool()?, &query).await
}

#[server(endpoint = "admin/account")]
pub async fn get_account_file(account_id: Uuid) -> Result<AccountFile, AppError> {
    require_staff(StaffPower::Look).await?;
    db::account_file(&pool()?, account_id).await
}

#[server(endpoint = "admin/log")]
pub async fn get_staff_log(before: Option<i64>) -> Result<StaffLogPage, AppError> {
    require_staff(StaffPower::Look).await?;
    db::staff_log(&pool()?, before).await
}

/// "Grant promotional credit": an amount, the date it expires (the start of that day in the account's
/// timezone) and a reason.
#[server(endpoint = "admin/grant")]
pub async fn grant_promotional_credit(
    account_id: Uuid,
    amount: String,
    expires_on: String,
    reason: String,
) -> Result<(), AppError> {
    answer_form(async move {
        let staff = require_staff(StaffPower::GrantPromotionalCredit).await?;
        let amount = parse_dollars(&amount).map_err(|_| AppError::GrantAmountInvalid)?;
        let expires_on = chrono::NaiveDate::parse_from_str(expires_on.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::GrantExpiryInvalid)?;
        actions::grant_promotional_credit(&pool()?, &staff, account_id, amount, expires_on, &reason).await?;
        back_to(account_id, "granted");
        Ok(())
    })
    .await
}

/// "Pause key", with a reason.
#[server(endpoint = "admin/pause-key")]
pub async fn pause_key(account_id: Uuid, key_id: Uuid, reason: String) -> Result<(), AppError> {
    answer_form(async move {
        let staff = require_staff(StaffPower::PauseKey).await?;
        actions::pause_key(&pool()?, &staff, account_id, key_id, &reason).await?;
        back_to(account_id, "paused");
        Ok(())
    })
    .await
}

/// Where a money action leaves the account's page: back on it, with what happened in `?done=`.
#[cfg(feature = "ssr")]
fn back_to(account_id: Uuid, done: &str) {
    leptos_axum::redirect(&format!("/admin/accounts/{account_id}?done={done}"));
}

/// "Adjust balance": a signed amount of paid credit and a reason; above $1,000.00 it waits for a second
/// person.
#[server(endpoint = "admin/adjust")]
pub async fn adjust_balance(account_id: Uuid, amount: String, reason: String) -> Result<(), AppError> {
    answer_form(async move {
        let staff = require_staff(StaffPower::Adjust).await?;
        let amount = parse_dollars(&amount).map_err(|_| AppError::AdjustmentInvalid)?;
        let step = actions::adjust(&pool()?, &staff, account_id, amount, &reason).await?;
        back_to(
            account_id,
            match step {
                actions::adjustments::AdjustmentStep::Applied { .. } => "adjusted",
                _ => "awaiting_approval",
            },
        );
        Ok(())
    })
    .await
}

/// "Refund" on a deposit: an amount (at most what is left of it) and a reason; above $1,000.00 it waits
/// for a second person.
#[server(endpoint = "admin/refund")]
pub async fn refund_deposit(
    account_id: Uuid,
    payment_id: Uuid,
    amount: String,
    reason: String,
) -> Result<(), AppError> {
    answer_form(async move {
        let staff = require_staff(StaffPower::Refund).await?;
        let amount = parse_dollars(&amount).map_err(|_| AppError::RefundAmountInvalid)?;
        let result =
            actions::refund(&pool()?, &*processor()?, &staff, account_id, payment_id, amount, &reason)
                .await?;
        back_to(account_id, refund_done(&result));
        Ok(())
    })
    .await
}

#[cfg(feature = "ssr")]
fn refund_done(result: &actions::RefundResult) -> &'static str {
    use tollgate_core::payments::refunds::Sent;
    match result {
        actions::RefundResult::AwaitingApproval => "awaiting_approval",
        actions::RefundResult::Sent(Sent::Succeeded) => "refunded",
        actions::RefundResult::Sent(Sent::Failed { .. }) => "refund_failed",
        actions::RefundResult::Sent(Sent::Pending) => "refund_pending",
    }
}

/// "Approve": a second finance or admin person approves a refund or adjustment another asked for.
#[server(endpoint = "admin/approve")]
pub async fn approve(account_id: Uuid, kind: WaitingKind, id: Uuid) -> Result<(), AppError> {
    answer_form(async move {
        let staff = require_staff(StaffPower::Approve).await?;
        let approval = match kind {
            WaitingKind::Refund => actions::Approval::Refund(id),
            WaitingKind::Adjustment => actions::Approval::Adjustment(id),
        };
        let approved = actions::approve(&pool()?, &*processor()?, &staff, account_id, approval).await?;
        back_to(
            account_id,
            match &approved {
                actions::Approved::Adjusted => "adjusted",
                actions::Approved::Refused => "refused",
                actions::Approved::RefundSent(sent) => {
                    refund_done(&actions::RefundResult::Sent(sent.clone()))
                }
            },
        );
        Ok(())
    })
    .await
}

/// "Won" or "Lost" on an open dispute: how it ended, as finance learned it, with a reason.
#[server(endpoint = "admin/dispute-outcome")]
pub async fn record_dispute_outcome(
    account_id: Uuid,
    dispute_id: Uuid,
    outcome: String,
    reason: String,
) -> Result<(), AppError> {
    answer_form(async move {
        let staff = require_staff(StaffPower::SettleDispute).await?;
        let won = match outcome.as_str() {
            "won" => true,
            "lost" => false,
            _ => return Err(AppError::InvalidRequestBody),
        };
        actions::settle_dispute(&pool()?, &staff, account_id, dispute_id, won, &reason).await?;
        back_to(account_id, if won { "dispute_won" } else { "dispute_lost" });
        Ok(())
    })
    .await
}
