//! The per-request list: newest first, filters, "Next page", and a call's detail.

use super::report::UsageView;
use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos_router::components::A;
use tollgate_domain::metering::call::{CallStatus, Via};
use tollgate_domain::metering::report::RequestDetail;
use tollgate_domain::url_query::encode_value;

/// The page's own URL with `changes` applied (the list's links keep the range and filters).
pub fn usage_href(query: &[(&str, String)], changes: &[(&str, Option<String>)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .filter(|(k, v)| !v.is_empty() && !changes.iter().any(|(c, _)| c == k))
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    pairs.extend(changes.iter().filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v))));
    let encoded: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={}", encode_value(&v))).collect();
    if encoded.is_empty() {
        "/dashboard/usage".to_string()
    } else {
        format!("/dashboard/usage?{}", encoded.join("&"))
    }
}

#[component]
pub fn RequestList(view: UsageView, query: Vec<(&'static str, String)>) -> impl IntoView {
    let value =
        |name: &str| query.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let (service, model, status) = (value("service"), value("model"), value("status"));
    let (since, until, paged) = (value("since"), value("until"), !value("cursor").is_empty());
    let member = value("member");
    let rows = view.requests.data.clone();
    let next = view.requests.next_cursor.clone();
    let detail_href = {
        let query = query.clone();
        move |id: uuid::Uuid| usage_href(&query, &[("request", Some(id.to_string()))])
    };
    view! {
        <form method="get" action="/dashboard/usage" class="filters">
            <input type="hidden" name="since" value=since/>
            <input type="hidden" name="until" value=until/>
            {(!member.is_empty()).then(|| view! { <input type="hidden" name="member" value=member.clone()/> })}
            <div class="field">
                <label for="filter-service">"Service"</label>
                <select id="filter-service" name="service">
                    <option value="" selected=service.is_empty()>"All services"</option>
                    {view.services.iter().map(|(id, name)| view! { <option value=id.clone() selected=*id == service>{name.clone()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-model">"Model"</label>
                <select id="filter-model" name="model">
                    <option value="" selected=model.is_empty()>"All models"</option>
                    {view.models.iter().map(|(_, m)| view! { <option value=m.clone() selected=*m == model>{m.clone()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-status">"Status"</label>
                <select id="filter-status" name="status">
                    <option value="" selected=status.is_empty()>"Any status"</option>
                    <option value="completed" selected=status == "completed">"Completed"</option>
                    <option value="rejected" selected=status == "rejected">"Refused (402)"</option>
                </select>
            </div>
            <button type="submit" class="button">"Filter"</button>
        </form>
        {if rows.is_empty() {
            view! { <p class="empty">"No calls match in this range."</p> }.into_any()
        } else {
            view! {
                <ScrollTable label="Calls">
                    <table class="table stacked-phone" data-testid="request-list">
                        <caption class="visually-hidden">"Calls, newest first"</caption>
                        <thead>
                            <tr>
                                <th scope="col">{format!("Time ({})", view.timezone)}</th>
                                <th scope="col">"Service"</th>
                                <th scope="col" class="hide-narrow">"Model"</th>
                                <th scope="col">"Result"</th>
                                <th scope="col" class="num hide-narrow">"Input"</th>
                                <th scope="col" class="num hide-narrow">"Output"</th>
                                <th scope="col" class="num hide-narrow">"Fee"</th>
                                <th scope="col" class="num">"Total"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .zip(view.times.clone())
                                .map(|(call, time)| {
                                    let (result, class) = match call.status {
                                        CallStatus::Completed => ("Completed", "tag tag-deposit"),
                                        CallStatus::Rejected => ("Refused", "tag tag-failed"),
                                    };
                                    view! {
                                        <tr data-request=call.request_id.to_string()>
                                            <td data-label="Time"><A href=detail_href(call.request_id)>{time}</A></td>
                                            <td data-label="Service">{call.service.clone()}</td>
                                            <td class="hide-narrow" data-label="Model">{call.model.clone()}</td>
                                            <td data-label="Result"><span class=class>{result}</span></td>
                                            <td class="num hide-narrow" data-label="Input">{call.cost.input.exact()}</td>
                                            <td class="num hide-narrow" data-label="Output">{call.cost.output.exact()}</td>
                                            <td class="num hide-narrow" data-label="Fee">{call.cost.fee.exact()}</td>
                                            <td class="num" data-label="Total">{call.cost.total.exact()}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </ScrollTable>
            }
            .into_any()
        }}
        <div class="row paging">
            {paged.then(|| view! { <A href=usage_href(&query, &[("cursor", None), ("request", None)])>"First page"</A> })}
            {next.map(|cursor| {
                let keep = query.clone();
                view! {
                    <form method="get" action="/dashboard/usage">
                        {keep
                            .into_iter()
                            .filter(|(k, v)| !v.is_empty() && *k != "cursor" && *k != "request")
                            .map(|(k, v)| view! { <input type="hidden" name=k value=v/> })
                            .collect_view()}
                        <input type="hidden" name="cursor" value=cursor/>
                        <button type="submit" class="button">"Next page"</button>
                    </form>
                }
            })}
        </div>
        {view.detail.map(|detail| view! { <RequestDetailView detail close=usage_href(&query, &[("request", None)])/> })}
    }
}

#[component]
fn RequestDetailView(detail: RequestDetail, close: String) -> impl IntoView {
    let call = detail.call;
    view! {
        <section class="card panel request-detail" aria-labelledby="request-detail-heading">
            <h3 id="request-detail-heading">{format!("{} · {}", call.service, call.model)}</h3>
            <dl class="summary">
                <dt>"Request"</dt><dd class="mono">{call.request_id.to_string()}</dd>
                <dt>"When"</dt><dd>{detail.created}</dd>
                <dt>"Spend key"</dt><dd>{detail.key_name}</dd>
                <dt>"Via"</dt><dd>{match call.via {
                    Via::Api => "API (charged by the caller)",
                    Via::Gateway => "Gateway (run by Tollgate)",
                }}</dd>
                <dt>"Result"</dt>
                <dd>{match detail.refused_because {
                    Some(why) => format!("Refused before it ran: {why}. Nothing was charged."),
                    None => "Completed".to_string(),
                }}</dd>
                <dt>"Input tokens"</dt><dd>{call.input_tokens}</dd>
                <dt>"Output tokens"</dt><dd>{call.output_tokens}</dd>
                <dt>"Input cost"</dt><dd>{call.cost.input.exact()}</dd>
                <dt>"Output cost"</dt><dd>{call.cost.output.exact()}</dd>
                <dt>"Request fee"</dt><dd>{call.cost.fee.exact()}</dd>
                <dt>"Total"</dt><dd>{call.cost.total.exact()}</dd>
                <dt>"Balance after"</dt><dd>{call.balance_after.display()}</dd>
            </dl>
            <A href=close>"Close"</A>
        </section>
    }
}
