//! `/dashboard/keys`: create a spend key (its secret shown once), and the keys with their counters and
//! "Pause"/"Resume"/"Revoke".
//!
//! The create form posts to `POST /dashboard/keys`, whose response renders this page with the secret
//! (with JavaScript on, `public/enhance.js` sends the same post and swaps that page in).

use super::server_fns::{list_keys, list_services, ChangeKey};
use crate::ui::form_error::{url_error, ErrorMessage, FormError};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tollgate_domain::error::AppError;
use tollgate_domain::keys::settings::{
    CreatedKey, DailyFundingLimit, KeyStatus, LimitPeriod, RateLimit, SpendKeyView, SpendLimit,
};
use tollgate_domain::money::Usd;
use uuid::Uuid;

#[component]
pub fn KeysPage() -> impl IntoView {
    let change = ServerAction::<ChangeKey>::new();
    let query = use_query_map();
    // `?edit=<key id>`: that key's row shows its settings as a form.
    let editing = move || query.read().get("edit").and_then(|id| id.parse::<Uuid>().ok());
    let saved = move || query.read().get("done").is_some_and(|done| done == "key_changed");
    let keys = Resource::new(|| (), |_| list_keys());
    let services = Resource::new(|| (), |_| list_services());
    // The secret of a key created by a plain form post (JavaScript off): rendered in that one response.
    #[cfg(feature = "ssr")]
    let posted = use_context::<super::server_fns::JustCreatedKey>().map(|k| k.0);
    #[cfg(not(feature = "ssr"))]
    let posted: Option<CreatedKey> = None;
    let posted = Resource::new(
        || (),
        move |_| {
            let posted = posted.clone();
            async move { posted }
        },
    );
    let url_error = url_error();
    // A failed post comes back with `?error=`: key settings errors belong to the create form, the rest
    // (e.g. revoking a key that is gone) to the list.
    let is_create_error = |err: &AppError| {
        matches!(
            err,
            AppError::KeyNameInvalid
                | AppError::SpendLimitInvalid
                | AppError::FundingLimitInvalid
                | AppError::RateLimitInvalid
                | AppError::UnknownService
        )
    };
    // …unless a key is being edited: then they are that form's.
    let error = Signal::derive(move || {
        url_error.get().filter(|e| editing().is_none() && is_create_error(e)).map(|e| e.message())
    });
    let edit_error = Signal::derive(move || {
        url_error.get().filter(|e| editing().is_some() && is_create_error(e)).map(|e| e.message())
    });
    let change_error =
        Signal::derive(move || url_error.get().filter(|e| !is_create_error(e)).map(|e| e.message()));

    view! {
        <main class="page">
            <h1>"Spend keys"</h1>
            <p class="muted">"A spend key lets an agent pay for calls from this wallet without your login. Each call is charged before it runs; a call the balance (or the key's limit) can't cover is refused with HTTP 402 and costs nothing."</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    posted.await.map(|created| view! { <NewKeySecret created/> })
                })}
            </Suspense>
            <section class="card" aria-labelledby="create-key-heading">
                <h2 id="create-key-heading">"Create a key"</h2>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let services = services.await.unwrap_or_default();
                        view! { <CreateKeyForm services error/> }
                    })}
                </Suspense>
            </section>
            <section class="card" aria-labelledby="keys-heading">
                <h2 id="keys-heading">"Your keys"</h2>
                <div role="status" aria-live="polite">
                    {move || saved().then(|| view! { <p class="notice">"Changes saved. The key's next call uses them."</p> })}
                </div>
                <FormError id="key-change-error" message=change_error/>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match keys.await {
                            Ok(keys) if keys.is_empty() => view! {
                                <p class="empty">"No spend keys yet. Create one above and give it to your agent."</p>
                            }.into_any(),
                            Ok(keys) => {
                                let services = services.await.unwrap_or_default();
                                let editing = editing();
                                view! { <KeyList keys change services editing edit_error/> }.into_any()
                            }
                            Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

/// The secret, once. Nothing else ever shows it again.
#[component]
fn NewKeySecret(created: CreatedKey) -> impl IntoView {
    view! {
        <section class="card new-key" aria-labelledby="new-key-heading" role="status">
            <h2 id="new-key-heading">{format!("Key \u{201c}{}\u{201d} created", created.key.name)}</h2>
            <p>"Copy this secret now and store it safely. It is shown only this once: Tollgate keeps only a hash of it."</p>
            <p class="secret"><code data-testid="new-key-secret">{created.secret}</code></p>
            <p class="muted">"Use it as " <code>"Authorization: Bearer <secret>"</code> " on the " <a href="/v1/openapi.json">"Tollgate API"</a> "."</p>
        </section>
    }
}

/// "Allow adding funds" and, while it is ticked, "Daily funding limit" — as the key form, the edit form
/// and the chat consent page ask for them (the names `KeySettings::parse` reads). The limit shows only
/// while the box is ticked, by CSS (`.funding-fields:has(…:checked)`), so also without JavaScript.
#[component]
pub fn FundingFields(
    #[prop(into)] id_prefix: String,
    hint: &'static str,
    allowed: bool,
    limit: DailyFundingLimit,
) -> impl IntoView {
    let (input, limit_hint) =
        (format!("{id_prefix}-funding-limit"), format!("{id_prefix}-funding-limit-hint"));
    view! {
        <div class="funding-fields stack">
            <label class="checkbox">
                <input type="checkbox" name="allow_funding" value="on" checked=allowed/>
                <span>"Allow adding funds"</span>
            </label>
            <p class="hint">{hint}</p>
            <div class="field funding-limit">
                <label for=input.clone()>"Daily funding limit"</label>
                <div class="money-input">
                    <span aria-hidden="true">"$"</span>
                    <input id=input name="daily_funding_limit" inputmode="decimal" autocomplete="off" value=limit.usd().json_cents() aria-describedby=limit_hint.clone()/>
                </div>
                <p id=limit_hint class="hint">{format!("At most this much can be added per day (UTC): $0.01 to {}.", Usd::new(DailyFundingLimit::MAX).display())}</p>
            </div>
        </div>
    }
}

/// "Spend limit" and "Limit period", as the key form and the chat consent page ask for them (the names
/// `KeySettings::parse` reads). Ids start with `id_prefix`.
#[component]
pub fn SpendLimitFields(
    #[prop(into)] id_prefix: String,
    hint: &'static str,
    /// The limit to show filled in (an edit form); none: empty, per day.
    current: Option<SpendLimit>,
) -> impl IntoView {
    let (limit, period, limit_hint) =
        (format!("{id_prefix}-limit"), format!("{id_prefix}-period"), format!("{id_prefix}-limit-hint"));
    let amount = current.map(|l| l.amount.json_cents()).unwrap_or_default();
    let chosen = current.map_or(LimitPeriod::Daily, |l| l.period);
    view! {
        <div class="field-row">
            <div class="field">
                <label for=limit.clone()>"Spend limit"</label>
                <div class="money-input">
                    <span aria-hidden="true">"$"</span>
                    <input id=limit name="spend_limit" inputmode="decimal" autocomplete="off" placeholder="No limit" value=amount aria-describedby=limit_hint.clone()/>
                </div>
                <p id=limit_hint class="hint">{hint}</p>
            </div>
            <div class="field">
                <label for=period.clone()>"Limit period"</label>
                <select id=period name="limit_period">
                    {LimitPeriod::ALL.map(|p| view! { <option value=p.as_str() selected=p == chosen>{p.label()}</option> }).collect_view()}
                </select>
            </div>
        </div>
    }
}

/// "Rate limit": requests per minute, empty for none.
#[component]
fn RateLimitField(#[prop(into)] id_prefix: String, current: Option<RateLimit>) -> impl IntoView {
    let (input, hint) = (format!("{id_prefix}-rate-limit"), format!("{id_prefix}-rate-limit-hint"));
    view! {
        <div class="field">
            <label for=input.clone()>"Rate limit"</label>
            <input id=input name="rate_limit" type="number" min="1" max=RateLimit::MAX step="1" inputmode="numeric" autocomplete="off" value=current.map(|r| r.per_minute().to_string()).unwrap_or_default() placeholder="No limit" aria-describedby=hint.clone()/>
            <p id=hint class="hint">"Requests per minute. Empty: no limit. Over it, calls are refused with 429 and Retry-After."</p>
        </div>
    }
}

/// A checkbox per catalog service (`allowed`: the ids ticked; `None`: none ticked, every service).
#[component]
fn ServicesField(services: Vec<(String, String)>, allowed: Option<Vec<String>>) -> impl IntoView {
    let allowed = allowed.unwrap_or_default();
    view! {
        <fieldset class="services">
            <legend>"Allowed services " <span class="muted">"(none ticked: every service)"</span></legend>
            {services
                .into_iter()
                .map(|(id, service_name)| {
                    let ticked = allowed.contains(&id);
                    view! {
                        <label class="checkbox">
                            <input type="checkbox" name="services" value=id checked=ticked/>
                            <span>{service_name}</span>
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// Posts to `POST /dashboard/keys` (server/src/channels/pages/key_form.rs), which answers with this page and
/// the new secret in it: the secret is never stored or put in a URL, with or without JavaScript.
#[component]
fn CreateKeyForm(services: Vec<(String, String)>, error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <form method="post" action="/dashboard/keys" class="stack key-form" novalidate=true>
            <div class="field">
                <label for="key-name">"Key name"</label>
                <input id="key-name" name="name" maxlength="100" autocomplete="off" placeholder="Research agent"/>
            </div>
            <SpendLimitFields id_prefix="key" hint="Optional. Calls over it are refused with 402." current=None/>
            <RateLimitField id_prefix="key" current=RateLimit::stored(RateLimit::SUGGESTED as i32)/>
            <ServicesField services allowed=None/>
            <FundingFields id_prefix="key" hint="Lets the agent top up this wallet with your saved card (POST /v1/wallet/fund)." allowed=false limit=DailyFundingLimit::DEFAULT/>
            <FormError id="create-key-error" message=error/>
            <div class="row">
                <button type="submit" class="button primary" data-pending="Creating…">"Create key"</button>
            </div>
        </form>
    }
}

#[component]
fn KeyList(
    keys: Vec<SpendKeyView>,
    change: ServerAction<ChangeKey>,
    services: Vec<(String, String)>,
    editing: Option<Uuid>,
    edit_error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <ul class="key-list">
            {keys
                .into_iter()
                .map(|key| {
                    let form = (Some(key.id) == editing && key.may_change && key.status != KeyStatus::Revoked)
                        .then(|| view! { <EditKeyForm key=key.clone() services=services.clone() error=edit_error/> }.into_any());
                    view! { <KeyRow key change form/> }
                })
                .collect_view()}
        </ul>
    }
}

/// A key's settings as a form: the create form's fields, filled in, and "Save changes" — a plain post to
/// `POST /dashboard/keys/{id}/edit` (server/src/channels/pages/key_form.rs). A chat connection's name is the
/// app's and is shown, not edited.
#[component]
fn EditKeyForm(
    key: SpendKeyView,
    services: Vec<(String, String)>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let prefix = format!("edit-{}", key.id.simple());
    let (name_input, error_id) = (format!("{prefix}-name"), format!("{prefix}-error"));
    let heading = format!("Edit \u{201c}{}\u{201d}", key.name);
    let label = heading.clone();
    view! {
        <form method="post" action=format!("/dashboard/keys/{}/edit", key.id) class="stack key-form edit-key-form" novalidate=true aria-label=label>
            <h3 class="edit-key-heading">{heading}</h3>
            {if key.chat_connection {
                view! {
                    <p class="muted">{format!("Name: {} (the app's; it can't be changed)", key.name)}</p>
                    <input type="hidden" name="name" value=key.name.clone()/>
                }.into_any()
            } else {
                view! {
                    <div class="field">
                        <label for=name_input.clone()>"Key name"</label>
                        <input id=name_input name="name" maxlength="100" autocomplete="off" value=key.name.clone()/>
                    </div>
                }.into_any()
            }}
            <SpendLimitFields id_prefix=prefix.clone() hint="Optional. Calls over it are refused with 402." current=key.limit/>
            <RateLimitField id_prefix=prefix.clone() current=key.rate_limit/>
            <ServicesField services allowed=key.allowed_service_ids.clone()/>
            <FundingFields id_prefix=prefix.clone() hint="Lets the agent top up this wallet with your saved card (POST /v1/wallet/fund)." allowed=key.allow_funding limit=key.daily_funding_limit/>
            <FormError id=error_id message=error/>
            <div class="row">
                <button type="submit" class="button primary" data-pending="Saving…">"Save changes"</button>
                <a class="button ghost" href="/dashboard/keys">"Cancel"</a>
            </div>
        </form>
    }
}

#[component]
fn KeyRow(key: SpendKeyView, change: ServerAction<ChangeKey>, form: Option<AnyView>) -> impl IntoView {
    let id = key.id.to_string();
    let edit_href = format!("/dashboard/keys?edit={}", key.id);
    let edit_name = format!("Edit {}", key.name);
    let (status_text, status_class) = match key.status {
        KeyStatus::Active => ("Active", "badge badge-ok"),
        KeyStatus::Paused => ("Paused", "badge badge-warn"),
        KeyStatus::Revoked => ("Revoked", "badge badge-danger"),
    };
    let button = move |value: &'static str, label: &'static str, class: &'static str| {
        let id = id.clone();
        view! {
            <ActionForm action=change>
                <input type="hidden" name="key_id" value=id/>
                <input type="hidden" name="change" value=value/>
                <button type="submit" class=class>{label}</button>
            </ActionForm>
        }
    };
    let limit =
        key.limit.map(|l| format!("{} (spent this cycle: {})", l.describe(), key.cycle_spend.display()));
    view! {
        <li class="key-row" data-key=key.name.clone()>
            <div class="key-main">
                <span class="key-name">{key.name.clone()}</span>
                {(!key.chat_connection).then(|| view! { <code class="muted">{format!("{}…", key.prefix)}</code> })}
                {key.chat_connection.then(|| view! { <span class="badge">"Chat connection"</span> })}
                <span class=status_class>{status_text}</span>
            </div>
            <dl class="key-facts">
                <div><dt>"Spend limit"</dt><dd>{limit.unwrap_or_else(|| "None".to_string())}</dd></div>
                <div><dt>"Rate limit"</dt><dd>{key.rate_limit.map(|r| format!("{} requests per minute", r.per_minute())).unwrap_or_else(|| "None".to_string())}</dd></div>
                <div><dt>"Services"</dt><dd>{key.allowed_services.map(|s| s.join(", ")).unwrap_or_else(|| "All".to_string())}</dd></div>
                <div><dt>"Adding funds"</dt><dd>{if key.allow_funding { format!("Allowed, up to {} per day (UTC)", key.daily_funding_limit.usd().display()) } else { "Not allowed".to_string() }}</dd></div>
                <div><dt>"Total spend"</dt><dd data-testid="key-total-spend" title=key.total_spend.amount().normalize().to_string()>{key.total_spend.display()}</dd></div>
                <div><dt>"Requests"</dt><dd data-testid="key-requests">{key.requests}</dd></div>
                <div><dt>"Last used"</dt><dd>{key.last_used.unwrap_or_else(|| "Never".to_string())}</dd></div>
                <div><dt>"Created"</dt><dd>{key.created}</dd></div>
                {(!key.made_by_email.is_empty()).then(|| view! { <div><dt>"Made by"</dt><dd>{key.made_by_email.clone()}</dd></div> })}
            </dl>
            {key.may_change.then(move || view! {
                <div class="row">
                    {match key.status {
                        KeyStatus::Active => Some(button("pause", "Pause", "button small").into_any()),
                        KeyStatus::Paused => Some(button("resume", "Resume", "button small").into_any()),
                        KeyStatus::Revoked => None,
                    }}
                    {(key.status != KeyStatus::Revoked).then(|| view! {
                        <a class="button small" href=edit_href aria-label=edit_name>"Edit"</a>
                    })}
                    {(key.status != KeyStatus::Revoked).then(|| button("revoke", "Revoke", "button small danger"))}
                </div>
            })}
            {form}
        </li>
    }
}
