//! `/dashboard/wallet/receipts/{id}`: a printable receipt for one successful deposit, owner-only (another
//! account's id is "not found").

use super::server_fns::get_receipt;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

#[component]
pub fn ReceiptPage() -> impl IntoView {
    let params = use_params_map();
    let receipt = Resource::new(
        move || params.read().get("id").and_then(|id| id.parse::<Uuid>().ok()),
        |id| async move {
            match id {
                Some(id) => get_receipt(id).await,
                None => Err(tollgate_domain::error::AppError::NotFound),
            }
        },
    );
    view! {
        <main class="page receipt-page">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match receipt.await {
                        Ok(r) => view! {
                            <article class="card receipt" aria-labelledby="receipt-heading">
                                <h1 id="receipt-heading">{format!("Receipt {}", r.number)}</h1>
                                <p class="muted">"Tollgate · prepaid wallet deposit"</p>
                                {r.billed_to_details.map(|details| view! {
                                    <address class="billing-lines" data-testid="receipt-billed-to">
                                        {details.printed_lines().into_iter().map(|line| view! { <span>{line}</span><br/> }).collect_view()}
                                    </address>
                                })}
                                <dl class="summary">
                                    <dt>"Amount"</dt><dd>{r.amount.display()}</dd>
                                    <dt>"Date"</dt><dd>{r.when}</dd>
                                    <dt>"Paid with"</dt><dd>{r.card_label}</dd>
                                    {r.auto_top_up.then(|| view! { <dt>"Made by"</dt><dd>"Auto top-up"</dd> })}
                                    <dt>"Billed to"</dt><dd>{r.billed_to}</dd>
                                    <dt>"Receipt number"</dt><dd class="mono">{r.number}</dd>
                                    <dt>"Processor reference"</dt><dd class="mono">{r.charge_id}</dd>
                                </dl>
                                {(!r.refunds.is_empty()).then(|| view! {
                                    <ul class="plain-list refunds" data-testid="receipt-refunds">
                                        {r.refunds.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                                    </ul>
                                })}
                                <p class="muted no-print">"Use your browser's Print command to print or save this receipt as PDF."</p>
                                <p class="no-print"><a href="/dashboard/wallet">"Back to wallet"</a></p>
                            </article>
                        }
                        .into_any(),
                        Err(err) => {
                            #[cfg(feature = "ssr")]
                            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                                res.set_status(err.status_code());
                            }
                            view! {
                            <section class="card">
                                <h1>"Receipt not found"</h1>
                                <p>{err.message()}</p>
                                <p><a href="/dashboard/wallet">"Back to wallet"</a></p>
                            </section>
                        }
                        .into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}
