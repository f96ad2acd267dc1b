//! Settings → "Webhooks": add an endpoint (URL and events), its signing secret shown once, and per
//! endpoint its "Delivery log" with "Resend", and "Delete" (docs/CONTRACT.md "Webhooks").

use super::webhook_fns::{DeleteWebhookEndpoint, EnableWebhookEndpoint, ResendWebhook, WebhooksPanel};
use crate::ui::form_error::FormError;
use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;
use tollgate_domain::webhooks::view::{CreatedEndpoint, EndpointView};
use tollgate_domain::webhooks::EventType;

#[component]
pub fn WebhooksSection(
    panel: WebhooksPanel,
    created: Option<CreatedEndpoint>,
    delete: ServerAction<DeleteWebhookEndpoint>,
    enable: ServerAction<EnableWebhookEndpoint>,
    resend: ServerAction<ResendWebhook>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let body = if !panel.may_manage {
        view! { <p class="hint">"Only the team's Owners and Admins can manage webhooks."</p> }.into_any()
    } else {
        view! {
            {created.map(|c| view! {
                <div class="notice" role="status">
                    <p>{format!("Endpoint {} added. Its signing secret is shown only now: keep it to check each delivery's Tollgate-Signature.", c.url)}</p>
                    <div class="secret"><code data-testid="webhook-secret">{c.secret}</code></div>
                </div>
            })}
            // A plain form to `POST /dashboard/settings`: the secret is shown in that response only.
            <form method="post" action="/dashboard/settings" class="stack" novalidate>
                <div class="field">
                    <label for="webhook-url">"Endpoint URL"</label>
                    <input id="webhook-url" name="url" type="url" inputmode="url" autocomplete="off" placeholder="https://example.com/tollgate-events" aria-describedby="webhook-url-hint webhook-error"/>
                    <p id="webhook-url-hint" class="hint">"An https:// address. Each event is a signed JSON POST; any 2xx answer counts as delivered, anything else is retried for 24 hours."</p>
                </div>
                <fieldset class="services webhook-events">
                    <legend>"Events"</legend>
                    {EventType::all().into_iter().map(|event| view! {
                        <label class="checkbox">
                            <input type="checkbox" name="events" value=event.as_str() checked=true/>
                            <span><code>{event.as_str()}</code>" — "{event.description()}</span>
                        </label>
                    }).collect_view()}
                </fieldset>
                <FormError id="webhook-error" message=error/>
                <div class="row">
                    <button type="submit" class="button primary" data-pending="Adding…">"Add endpoint"</button>
                </div>
            </form>
            {panel.endpoints.into_iter().map(|endpoint| view! { <Endpoint endpoint delete enable resend/> }).collect_view()}
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="webhooks-heading">
            <h2 id="webhooks-heading">"Webhooks"</h2>
            <p class="muted">"Tollgate tells your server when money moves: each event is POSTed as JSON with a Tollgate-Signature header (t=timestamp, v1=HMAC-SHA256 of \"timestamp.body\" with the endpoint's secret). Deliveries may repeat: use the event's id to handle each once."</p>
            {body}
        </section>
    }
}

#[component]
fn Endpoint(
    endpoint: EndpointView,
    delete: ServerAction<DeleteWebhookEndpoint>,
    enable: ServerAction<EnableWebhookEndpoint>,
    resend: ServerAction<ResendWebhook>,
) -> impl IntoView {
    let EndpointView { id, url, events, created, disabled, deliveries } = endpoint;
    let log = if deliveries.is_empty() {
        view! { <p class="empty">"No deliveries yet."</p> }.into_any()
    } else {
        view! {
            <ScrollTable label="Delivery log">
                <table class="table">
                    <thead>
                        <tr>
                            <th scope="col">"Event"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col" class="num">"Attempts"</th>
                            <th scope="col">"Response"</th>
                            <th scope="col">"Last attempt"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {deliveries.into_iter().map(|d| {
                            let event_id = d.event_id.clone();
                            view! {
                            <tr data-event-id=event_id>
                                <td><code>{d.event_type}</code><br/><span class="muted mono">{d.event_id}</span></td>
                                <td>{d.status}</td>
                                <td class="num">{d.attempts}</td>
                                <td class="wrap">{d.response_code.map(|c| c.to_string()).or(d.error).unwrap_or_default()}</td>
                                <td>{d.when}</td>
                                <td>
                                    <ActionForm action=resend>
                                        <input type="hidden" name="delivery_id" value=d.id.to_string()/>
                                        <button type="submit" class="button small">"Resend"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </ScrollTable>
        }
        .into_any()
    };
    let shown_url = url.clone();
    view! {
        <article class="webhook-endpoint" data-endpoint=url>
            <h3 class="mono wrap">{shown_url}</h3>
            <p class="muted">{format!("Events: {} · added {created}", events.join(", "))}</p>
            {disabled.map(|reason| view! {
                <div class="row">
                    <p class="badge badge-danger">{reason}</p>
                    <ActionForm action=enable>
                        <input type="hidden" name="endpoint_id" value=id.to_string()/>
                        <button type="submit" class="button small">"Turn on"</button>
                    </ActionForm>
                </div>
            })}
            <details>
                <summary>"Delivery log"</summary>
                {log}
            </details>
            <ActionForm action=delete>
                <input type="hidden" name="endpoint_id" value=id.to_string()/>
                <button type="submit" class="button small ghost">"Delete"</button>
            </ActionForm>
        </article>
    }
}
