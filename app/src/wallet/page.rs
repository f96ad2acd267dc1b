//! `/dashboard/wallet`.

use super::api::{get_recent_activity, ActivityRow};
use crate::layout::dashboard::WalletResource;
use leptos::prelude::*;

#[component]
pub fn WalletPage() -> impl IntoView {
    let WalletResource(wallet) = expect_context::<WalletResource>();
    let activity = Resource::new(|| (), |_| get_recent_activity());
    view! {
        <main class="page">
            <h1>"Wallet"</h1>
            <section class="card balance-card" aria-labelledby="balance-heading">
                <h2 id="balance-heading" class="card-label">"Available balance"</h2>
                <p class="balance-amount">
                    <Suspense fallback=|| "…">
                        {move || wallet.get().map(|w| w.map(|w| w.balance.display()).unwrap_or_else(|e| e.message()))}
                    </Suspense>
                </p>
                <p class="muted">"USD · paid calls are charged against this balance; a call it can't cover is refused before it runs."</p>
            </section>
            <div class="grid-2">
                <section class="card" aria-labelledby="methods-heading">
                    <h2 id="methods-heading">"Payment methods"</h2>
                    <p class="empty">"No saved cards yet. Adding funds with a card is on its way; your balance and history below are live."</p>
                </section>
                <section class="card" aria-labelledby="chart-heading">
                    <h2 id="chart-heading">"Recent activity chart"</h2>
                    <p class="empty">"The 30-day spend chart arrives with usage tracking. Until then, every balance change is listed below."</p>
                </section>
            </div>
            <section class="card" aria-labelledby="activity-heading">
                <h2 id="activity-heading">"Recent activity"</h2>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match activity.await {
                            Ok(rows) if rows.is_empty() => view! { <p class="empty">"No activity yet. Deposits and charges will appear here."</p> }.into_any(),
                            Ok(rows) => view! { <ActivityTable rows=rows/> }.into_any(),
                            Err(err) => view! { <p class="form-error" role="alert">{err.message()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

#[component]
fn ActivityTable(rows: Vec<ActivityRow>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Date"</th>
                        <th scope="col" class="hide-narrow">"Type"</th>
                        <th scope="col" class="num">"Amount"</th>
                        <th scope="col" class="num">"Balance after"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let credit = !row.amount.is_negative();
                            let amount = if credit { format!("+{}", row.amount.display()) } else { row.amount.display() };
                            view! {
                                <tr>
                                    <td>{row.when}</td>
                                    <td class="hide-narrow"><span class=format!("tag tag-{}", row.kind)>{label(&row.kind)}</span></td>
                                    <td class=if credit { "num credit" } else { "num" }>{amount}</td>
                                    <td class="num">{row.balance_after.display()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn label(kind: &str) -> &'static str {
    match kind {
        "deposit" => "Deposit",
        "usage" => "Usage",
        "refund" => "Refund",
        _ => "Adjustment",
    }
}
