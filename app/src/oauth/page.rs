//! `/oauth/authorize`: the consent page a chat app sends the person to (docs/CONTRACT.md "Chat (MCP)").
//! "<app> wants to use your Tollgate wallet", a spend limit, "Allow adding funds" (unticked), "Allow" and
//! "Deny". The form posts natively (`data-native`) to `POST /oauth/authorize`
//! (server/src/channels/oauth/consent.rs), whose answer is a redirect to the app — with JavaScript on or off.

use super::server_fns::{get_consent, ConsentView};
use crate::keys::page::{FundingFields, SpendLimitFields};
use crate::ui::form_error::{url_error, ErrorMessage, FormError};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tollgate_domain::keys::settings::DailyFundingLimit;
use tollgate_domain::oauth::authorize_request::AuthorizeQuery;

/// The authorization request's parameters from the address (the same names the form posts back).
fn request_from_address() -> Memo<AuthorizeQuery> {
    let query = use_query_map();
    Memo::new(move |_| {
        let query = query.read();
        let text = |name: &str| query.get(name).unwrap_or_default();
        AuthorizeQuery {
            client_id: text("client_id"),
            redirect_uri: text("redirect_uri"),
            response_type: text("response_type"),
            code_challenge: text("code_challenge"),
            code_challenge_method: text("code_challenge_method"),
            state: query.get("state"),
            scope: query.get("scope"),
            resource: query.get("resource"),
        }
    })
}

#[component]
pub fn ConsentPage() -> impl IntoView {
    let request = request_from_address();
    let consent = Resource::new(move || request.get(), get_consent);
    let url_error = url_error();
    let error = Signal::derive(move || url_error.get().map(|e| e.message()));
    view! {
        <main class="auth-page">
            <section class="auth-card consent" aria-labelledby="consent-heading">
                <p class="brand">"Tollgate"</p>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match consent.await {
                            Ok(ConsentView::Ask { app_name, destination, return_origin, email }) => {
                                // The form's answer is a redirect to the app: the policy lets it go there.
                                #[cfg(feature = "ssr")]
                                crate::content_security_policy::set_for_this_page(Some(&return_origin));
                                #[cfg(not(feature = "ssr"))]
                                let _ = return_origin;
                                ask(request.get_untracked(), app_name, destination, email, error).into_any()
                            }
                            Ok(ConsentView::Refused { message, back_to_app }) => view! {
                                <h1 id="consent-heading">"This connection can't be made"</h1>
                                <ErrorMessage message=message/>
                                {back_to_app.map(|href| view! { <p><a href=href>"Back to the app"</a></p> })}
                            }.into_any(),
                            Err(err) => view! {
                                <h1 id="consent-heading">"Connect a chat app"</h1>
                                <ErrorMessage message=err.message()/>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

fn ask(
    request: AuthorizeQuery,
    app_name: String,
    destination: String,
    email: String,
    error: Signal<Option<String>>,
) -> impl IntoView {
    // The request goes back with the answer, to be checked again (`server/src/channels/oauth/consent.rs`).
    let hidden: Vec<(&'static str, String)> =
        request.pairs().into_iter().map(|(name, value)| (name, value.to_string())).collect();
    view! {
        <h1 id="consent-heading">{format!("{app_name} wants to use your Tollgate wallet")}</h1>
        <p>"Signed in as " <strong>{email}</strong> "."</p>
        <ul class="consent-facts">
            <li>"It can read your balance, saved cards (never their numbers), usage and requests."</li>
            <li>"It can add funds with your saved cards only if you tick \u{201c}Allow adding funds\u{201d}."</li>
            <li>"It appears on the Keys page as a chat connection: pause or revoke it there at any time."</li>
        </ul>
        <form method="post" action="/oauth/authorize" class="stack" data-native novalidate=true>
            {hidden.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
            <SpendLimitFields id_prefix="consent" hint="Optional. Paid calls over it are refused with 402." current=None/>
            <FundingFields id_prefix="consent" hint="Lets the chat add funds with your saved cards, up to the daily limit below." allowed=false limit=DailyFundingLimit::DEFAULT/>
            <FormError id="consent-error" message=error/>
            <p class="muted">{format!("Either way, you will be sent back to {destination}.")}</p>
            <div class="actions">
                <button type="submit" name="decision" value="allow" class="button primary">"Allow"</button>
                <button type="submit" name="decision" value="deny" class="button">"Deny"</button>
            </div>
        </form>
    }
}
