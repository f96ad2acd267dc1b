//! `/dashboard/settings`: labels, buttons and messages are docs/CONTRACT.md's ("Limits and account
//! security").

use super::billing_fns::{get_billing_details, SaveBillingDetails};
use super::billing_section::BillingSection;
use super::server_fns::{ChangePassword, SignOutOtherSessions};
use super::webhook_fns::{
    get_webhooks, DeleteWebhookEndpoint, EnableWebhookEndpoint, JustCreatedWebhook, ResendWebhook,
};
use super::webhooks_section::WebhooksSection;
use crate::ui::form_error::{url_error, ErrorMessage, FormError};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tollgate_domain::error::AppError;

/// What the last form did, from the query its redirect carried.
fn done_message() -> Signal<Option<String>> {
    let query = use_query_map();
    Signal::derive(move || {
        let query = query.read();
        match query.get("done").as_deref() {
            Some("password_changed") => {
                return Some("Password changed. Other sessions were signed out.".to_string())
            }
            Some("webhook_deleted") => return Some("Endpoint deleted. It gets no more events.".to_string()),
            Some("webhook_resent") => return Some("The delivery will be sent again now.".to_string()),
            Some("webhook_enabled") => return Some("Endpoint turned on. It gets events again.".to_string()),
            Some("billing_saved") => {
                return Some(
                    "Billing details saved. Receipts and statements show them from now on.".to_string(),
                )
            }
            _ => {}
        }
        let ended = query.get("signed_out")?.parse::<u64>().ok()?;
        Some(format!("Signed out {ended} other sessions."))
    })
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let sign_out = ServerAction::<SignOutOtherSessions>::new();
    let url_error = url_error();
    let is_password_error = |err: &AppError| {
        matches!(
            err,
            AppError::WrongCurrentPassword
                | AppError::PasswordTooShort
                | AppError::PasswordTooLong
                | AppError::TooManyAttempts { .. }
                | AppError::Busy
        )
    };
    let is_webhook_error = |err: &AppError| {
        matches!(
            err,
            AppError::WebhookUrlInvalid
                | AppError::WebhookUrlPrivate
                | AppError::WebhookEventsMissing
                | AppError::WebhookEndpointsFull
                | AppError::WebhookEndpointDisabled
                | AppError::TooManyResends
                | AppError::NotFound
                | AppError::NotPermitted
        )
    };
    let is_billing_error = |err: &AppError| {
        matches!(
            err,
            AppError::LegalNameInvalid
                | AppError::BillingAddressTooLong
                | AppError::CountryUnknown
                | AppError::TaxIdInvalid
        )
    };
    let password_error =
        Signal::derive(move || url_error.get().filter(is_password_error).map(|e| e.message()));
    let webhook_error = Signal::derive(move || url_error.get().filter(is_webhook_error).map(|e| e.message()));
    let billing_error = Signal::derive(move || url_error.get().filter(is_billing_error).map(|e| e.message()));
    let sessions_error = Signal::derive(move || {
        url_error
            .get()
            .filter(|e| !is_password_error(e) && !is_webhook_error(e) && !is_billing_error(e))
            .map(|e| e.message())
    });
    let save_billing = ServerAction::<SaveBillingDetails>::new();
    let billing = Resource::new(|| (), |_| get_billing_details());
    let delete = ServerAction::<DeleteWebhookEndpoint>::new();
    let resend = ServerAction::<ResendWebhook>::new();
    let enable = ServerAction::<EnableWebhookEndpoint>::new();
    let webhooks = Resource::new(|| (), |_| get_webhooks());
    let created = use_context::<JustCreatedWebhook>().map(|c| c.0);
    let done = done_message();
    view! {
        <main class="page">
            <h1>"Settings"</h1>
            // The live region is always there; the styled message only when there is one.
            <div role="status" aria-live="polite">
                {move || done.get().map(|message| view! { <p class="notice">{message}</p> })}
            </div>
            <section class="card" aria-labelledby="password-heading">
                <h2 id="password-heading">"Password"</h2>
                <ActionForm action=change attr:class="stack narrow" attr:novalidate=true>
                    <div class="field">
                        <label for="current-password">"Current password"</label>
                        <input id="current-password" name="current_password" type="password" autocomplete="current-password" required aria-describedby="password-error"/>
                    </div>
                    <div class="field">
                        <label for="new-password">"New password"</label>
                        <input id="new-password" name="new_password" type="password" autocomplete="new-password" required aria-describedby="new-password-rule password-error"/>
                        <p id="new-password-rule" class="hint">"At least 10 characters. Changing it signs out every other session."</p>
                    </div>
                    <FormError id="password-error" message=password_error/>
                    <button type="submit" class="button primary" data-pending="Changing password…">"Change password"</button>
                </ActionForm>
            </section>
            <section class="card" aria-labelledby="sessions-heading">
                <h2 id="sessions-heading">"Sessions"</h2>
                <p class="muted">"Signed in on a computer you no longer use, or not sure? End every session but this one. Sessions also end 30 days after logging in."</p>
                <ActionForm action=sign_out attr:class="stack narrow">
                    <FormError id="sessions-error" message=sessions_error/>
                    <button type="submit" class="button" data-pending="Signing out…">"Sign out other sessions"</button>
                </ActionForm>
            </section>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match billing.await {
                        Ok(panel) => view! { <BillingSection panel save=save_billing error=billing_error/> }.into_any(),
                        Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                    }
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let created = created.clone();
                    Suspend::new(async move {
                        match webhooks.await {
                            Ok(panel) => view! { <WebhooksSection panel created delete enable resend error=webhook_error/> }.into_any(),
                            Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}
