//! `/dashboard/usage`: where the money went — per day (in the account's timezone), per service, per call.
//! The URL is the state (`?since=&until=&service=&model=&status=&cursor=&request=`), so every view works
//! with JavaScript off and can be linked to; "Export CSV" downloads the same range.

use super::report::UsageQuery;
use super::request_list::RequestList;
use super::server_fns::{get_usage, list_timezones, SetTimezone};
use super::summary_table::DailySummaryTable;
use crate::charts::figure::SpendChartView;
use crate::ui::form_error::{url_error, ErrorMessage, FormError};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const PARAMS: [&str; 8] = ["since", "until", "service", "model", "status", "cursor", "request", "member"];

#[component]
pub fn UsagePage() -> impl IntoView {
    let query = use_query_map();
    let params = move || -> Vec<(&'static str, String)> {
        let q = query.read();
        PARAMS.iter().map(|name| (*name, q.get(name).unwrap_or_default())).collect()
    };
    let set_timezone = ServerAction::<SetTimezone>::new();
    let usage = Resource::new(params, |p| {
        let get =
            |name: &str| p.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
        get_usage(UsageQuery {
            since: get("since"),
            until: get("until"),
            service: get("service"),
            model: get("model"),
            status: get("status"),
            cursor: get("cursor"),
            request: get("request").and_then(|r| r.parse().ok()),
            member: get("member"),
        })
    });
    // "All timezones" (`?timezones=all`) lists every timezone; otherwise the common ones and the account's.
    let all_timezones = move || query.read().get("timezones").is_some_and(|v| v == "all");
    let timezones = Resource::new(all_timezones, list_timezones);
    let url_error = url_error();
    let tz_error = Signal::derive(move || url_error.get().map(|e| e.message()));

    view! {
        <main class="page">
            <div class="page-head">
                <h1>"Usage"</h1>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let timezones = timezones.await.unwrap_or_default();
                    match usage.await {
                        Err(err) => view! {
                            <section class="card">
                                <ErrorMessage message=err.message()/>
                                <a href="/dashboard/usage">"Show the last 7 days"</a>
                            </section>
                        }.into_any(),
                        Ok(view) => {
                            let query = params();
                            let member = query.iter().find(|(k, _)| *k == "member").map(|(_, v)| v.clone()).unwrap_or_default();
                            let tz = view.timezone.clone();
                            let mut timezones = timezones.clone();
                            if !timezones.contains(&tz) {
                                timezones.push(tz.clone());
                                timezones.sort();
                            }
                            let listing_all = all_timezones();
                            let all_timezones_href = all_timezones_link(&query);
                            view! {
                                <section class="card range" aria-labelledby="range-heading">
                                    <h2 id="range-heading" class="visually-hidden">"Days shown"</h2>
                                    <form method="get" action="/dashboard/usage" class="filters">
                                        <div class="field">
                                            <label for="usage-since">"Since"</label>
                                            <input id="usage-since" type="date" name="since" value=view.since.to_string()/>
                                        </div>
                                        <div class="field">
                                            <label for="usage-until">"Until"</label>
                                            <input id="usage-until" type="date" name="until" value=view.until.to_string()/>
                                        </div>
                                        <MemberSelect members=view.members.clone() chosen=member.clone()/>
                                        <button type="submit" class="button">"Show"</button>
                                    </form>
                                    <ActionForm action=set_timezone attr:class="filters">
                                        <div class="field">
                                            <label for="usage-timezone">"Timezone"</label>
                                            <select id="usage-timezone" name="timezone">
                                                {timezones.into_iter().map(|name| {
                                                    let selected = name == tz;
                                                    let label = name.clone();
                                                    view! { <option value=name selected=selected>{label}</option> }
                                                }).collect_view()}
                                            </select>
                                        </div>
                                        <button type="submit" class="button" data-pending="Saving…">"Set timezone"</button>
                                        {(!listing_all).then(|| view! {
                                            <a class="all-timezones" href=all_timezones_href.clone()>"All timezones"</a>
                                        })}
                                    </ActionForm>
                                    <p class="muted" data-testid="usage-timezone">{format!("Days run from midnight to midnight in {}.", view.timezone)}</p>
                                    <FormError id="timezone-error" message=tz_error/>
                                    <form method="get" action="/dashboard/usage/export.csv" class="export" data-native>
                                        <input type="hidden" name="since" value=view.since.to_string()/>
                                        <input type="hidden" name="until" value=view.until.to_string()/>
                                        {(!member.is_empty()).then(|| view! { <input type="hidden" name="member" value=member.clone()/> })}
                                        <button type="submit" class="button">"Export CSV"</button>
                                    </form>
                                </section>
                                <section class="card" aria-labelledby="summary-heading">
                                    <h2 id="summary-heading">
                                        {format!("Daily summary, {} to {}", view.since.format("%b %-d"), view.until.format("%b %-d, %Y"))}
                                    </h2>
                                    <p class="totals">
                                        <span>{format!("{} spent", view.summary.totals.cost.exact())}</span>
                                        " · "
                                        <span>{format!("{} completed calls", view.summary.totals.requests)}</span>
                                    </p>
                                    <SpendChartView chart=view.chart.clone() testid="usage-chart"/>
                                    <DailySummaryTable summary=view.summary.clone()/>
                                </section>
                                <section class="card" aria-labelledby="requests-heading">
                                    <h2 id="requests-heading">"Requests"</h2>
                                    <RequestList view=view query=query/>
                                </section>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

/// "Member" on a team: everyone's usage, or one member's keys and chat connections.
#[component]
fn MemberSelect(members: Vec<(String, String)>, chosen: String) -> impl IntoView {
    (!members.is_empty()).then(|| {
        view! {
            <div class="field">
                <label for="usage-member">"Member"</label>
                <select id="usage-member" name="member">
                    <option value="" selected=chosen.is_empty()>"Everyone"</option>
                    {members
                        .into_iter()
                        .map(|(id, email)| {
                            let selected = id == chosen;
                            view! { <option value=id selected=selected>{email}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
        }
    })
}

/// This page with the same query (`params`, as the page reads them) and every timezone in the "Timezone"
/// select.
fn all_timezones_link(params: &[(&str, String)]) -> String {
    let mut pairs: Vec<String> = params
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", tollgate_domain::url_query::encode_value(value)))
        .collect();
    pairs.push("timezones=all".to_string());
    format!("/dashboard/usage?{}", pairs.join("&"))
}
