//! `/dashboard/wallet`: balance, Add Funds (steps chosen by the URL: `?add=1`, `?attempt=<id>`), saved
//! cards, deposit history and ledger activity. The URL is the state, so every step works with
//! JavaScript off (forms post, then 302 back here) and, with it on, without a page load.

use super::activity::ActivityTable;
use super::add_funds_panel::AddFundsPanel;
use super::attempt_panel::AttemptPanelView;
use super::auto_top_up::{AutoTopUpBanner, AutoTopUpCard};
use super::auto_top_up_fns::SaveAutoTopUp;
use super::deposit_table::DepositHistory;
use super::low_balance::{LowBalanceAlertForm, LowBalanceBanner};
use super::saved_cards::SavedCards;
use super::server_fns::{
    get_attempt, get_wallet_sections, ConfirmAddFunds, MakeDefaultCard, RemoveCard, RetryAddFunds,
    SetLowBalanceAlert, StartAddFunds, UpdateCard, WalletSections,
};
use super::summary::WalletResource;
use crate::charts::figure::SpendChartView;
use crate::ui::form_error::{url_error, ErrorMessage, FormError};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tollgate_domain::error::AppError;
use uuid::Uuid;

#[component]
pub fn WalletPage() -> impl IntoView {
    let WalletResource(wallet) = expect_context::<WalletResource>();
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name);
    let attempt_id = move || param("attempt").and_then(|id| id.parse::<Uuid>().ok());
    let adding = move || param("add").is_some() && attempt_id().is_none();
    let editing = move || param("edit").and_then(|id| id.parse::<Uuid>().ok());
    let url_error = url_error();

    // Every form posts (with JavaScript on, `public/enhance.js` sends it with fetch) and comes back to this
    // page, so the page is rendered afresh after each action: nothing here needs to re-read on the client.
    let start = ServerAction::<StartAddFunds>::new();
    let confirm = ServerAction::<ConfirmAddFunds>::new();
    let retry = ServerAction::<RetryAddFunds>::new();
    let update = ServerAction::<UpdateCard>::new();
    let make_default = ServerAction::<MakeDefaultCard>::new();
    let remove = ServerAction::<RemoveCard>::new();
    let alert = ServerAction::<SetLowBalanceAlert>::new();
    let auto_top_up_save = ServerAction::<SaveAutoTopUp>::new();
    // A failed form post comes back with `?error=<code>`: the open step shows it, else the form it belongs
    // to, else the page.
    let card_editing = move || if attempt_id().is_none() { editing() } else { None };
    let error_for = move |place: ErrorPlace| {
        let err = url_error.get()?;
        let here = if attempt_id().is_some() || adding() {
            ErrorPlace::Panel
        } else if card_editing().is_some() {
            ErrorPlace::CardForm
        } else if matches!(err, AppError::ThresholdInvalid) {
            ErrorPlace::AlertForm
        } else if matches!(
            err,
            AppError::AutoTopUpThresholdInvalid
                | AppError::AutoTopUpTargetInvalid
                | AppError::AutoTopUpLimitInvalid
                | AppError::AutoTopUpNeedsCard
        ) {
            ErrorPlace::AutoTopUpForm
        } else {
            ErrorPlace::Page
        };
        (here == place).then(|| err.message())
    };

    // One read of every section (`get_wallet_sections`); each Suspend below takes its own part of it.
    let sections = Resource::new(|| (), |_| get_wallet_sections());
    let cards = move || section(sections, |s| &s.cards);
    let attempts = move || section(sections, |s| &s.attempts);
    let activity = move || section(sections, |s| &s.activity);
    let chart = move || section(sections, |s| &s.chart);
    let auto_top_up = move || section(sections, |s| &s.auto_top_up);
    let panel = Resource::new(attempt_id, |id| async move {
        match id {
            Some(id) => get_attempt(id).await.map(Some),
            None => Ok(None),
        }
    });

    view! {
        <main class="page">
            <div class="page-head">
                <h1>"Wallet"</h1>
                // In a Suspense, like every read of the wallet: rendered once the summary is there, on the
                // server and when hydrating alike.
                <Suspense fallback=|| ()>
                {move || wallet.get().map(|w| match w.ok().and_then(|w| w.funding_refused) {
                    None => view! {
                        <form method="get" action="/dashboard/wallet">
                            <input type="hidden" name="add" value="1"/>
                            <button type="submit" class="button primary">"Add Funds"</button>
                        </form>
                    }.into_any(),
                    Some(refused) => view! {
                        <div class="refused-action">
                            <button type="button" class="button primary" disabled aria-describedby="funding-refused">"Add Funds"</button>
                            <p id="funding-refused" class="hint">{refused.message()}</p>
                        </div>
                    }.into_any(),
                })}
                </Suspense>
            </div>
            <FormError id="wallet-error" message=Signal::derive(move || error_for(ErrorPlace::Page))/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    auto_top_up().await.ok().map(|panel| view! { <AutoTopUpBanner panel/> })
                })}
            </Suspense>
            <section class="card balance-card" aria-labelledby="balance-heading">
                <h2 id="balance-heading" class="card-label">"Available balance"</h2>
                <p class="balance-amount">
                    <Suspense fallback=|| "…">
                        {move || wallet.get().map(|w| w.map(|w| w.balance.display()).unwrap_or_else(|e| e.message()))}
                    </Suspense>
                </p>
                <p class="muted">"USD · paid calls are charged against this balance; a call it can't cover is refused before it runs."</p>
                <Suspense fallback=|| ()>
                    {move || wallet.get().and_then(Result::ok).filter(|w| w.held > tollgate_domain::money::Usd::ZERO).map(|w| view! {
                        <p class="muted" id="held">{format!("Held for calls in progress: {}", w.held.display())}</p>
                    })}
                    {move || wallet.get().and_then(Result::ok).and_then(|w| w.promotional_note()).map(|note| view! {
                        <p class="muted" id="promotional">{note}</p>
                    })}
                    {move || wallet.get().and_then(Result::ok).map(|w| w.promotional_expiring.iter().filter_map(|p| p.soon_note()).map(|note| view! {
                        <p class="banner banner-warn" role="status" data-testid="promotional-expiry-banner">{note}</p>
                    }).collect_view())}
                    {move || wallet.get().and_then(Result::ok).filter(|w| w.balance < tollgate_domain::money::Usd::ZERO).map(|_| view! {
                        <p class="banner banner-warn" role="status" data-testid="negative-banner">{AppError::WalletNegative.message()}</p>
                    })}
                    {move || wallet.get().and_then(Result::ok).map(|w| view! { <LowBalanceBanner wallet=w/> })}
                </Suspense>
            </section>
            // Each Suspend awaits one resource: the attempt's panel, and only for a new top-up the saved
            // cards. (Awaiting both in one Suspend, while an action refetched both and the URL changed the
            // attempt, could leave the panel empty after "Continue" on a slow machine.)
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match panel.await {
                        Ok(Some(panel)) => view! {
                            <AttemptPanelView panel=panel confirm=confirm retry=retry update=update editing=editing() url_error=url_error/>
                        }
                        .into_any(),
                        Err(err) => view! { <section class="card panel"><ErrorMessage message=err.message()/></section> }.into_any(),
                        Ok(None) if adding() => view! {
                            <Suspense fallback=|| ()>
                                {move || Suspend::new(async move {
                                    let cards = cards().await.unwrap_or_default();
                                    view! {
                                        <AddFundsPanel action=start cards=cards prefer_new_card=param("card").as_deref() == Some("new") url_error=url_error/>
                                    }
                                })}
                            </Suspense>
                        }
                        .into_any(),
                        Ok(None) => ().into_any(),
                    }
                })}
            </Suspense>
            <div class="grid-2">
                <section class="card" aria-labelledby="methods-heading">
                    <h2 id="methods-heading">"Payment methods"</h2>
                    <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            match cards().await {
                                Ok(cards) => view! {
                                    <SavedCards
                                        cards=cards
                                        make_default=make_default
                                        remove=remove
                                        update=update
                                        editing=card_editing()
                                        error=error_for(ErrorPlace::CardForm)
                                    />
                                }
                                .into_any(),
                                Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                            }
                        })}
                    </Suspense>
                </section>
                // The right-hand column: the two small settings cards, one above the other, beside the
                // (taller) card list, so neither column leaves a hole.
                <div class="stack">
                    <section class="card" aria-labelledby="alert-heading">
                        <h2 id="alert-heading">"Low balance alert"</h2>
                        <Suspense fallback=|| ()>
                            {move || wallet.get().and_then(Result::ok).map(|w| {
                                let current = w.low_balance_threshold.map(|t| t.json_cents());
                                view! { <LowBalanceAlertForm action=alert current error=error_for(ErrorPlace::AlertForm)/> }
                            })}
                        </Suspense>
                    </section>
                    // Hidden while an Add Funds step is open: its "Card number" and this card's "Card" would be two
                    // fields whose labels overlap (docs/CONTRACT.md "Pages").
                    <Show when=move || attempt_id().is_none() && !adding()>
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                let (panel, cards) = (auto_top_up().await, cards().await.unwrap_or_default());
                                match panel {
                                    Ok(panel) => view! {
                                        <AutoTopUpCard panel cards action=auto_top_up_save error=error_for(ErrorPlace::AutoTopUpForm)/>
                                    }
                                    .into_any(),
                                    Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                                }
                            })}
                        </Suspense>
                    </Show>
                </div>
            </div>
            <section class="card" aria-labelledby="chart-heading">
                <h2 id="chart-heading">"Recent activity chart"</h2>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match chart().await {
                            Ok(chart) => view! { <SpendChartView chart testid="wallet-chart"/> }.into_any(),
                            Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <section class="card" aria-labelledby="deposits-heading">
                <h2 id="deposits-heading">"Deposits and failed attempts"</h2>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match attempts().await {
                            Ok(rows) => view! { <DepositHistory rows=rows retry=retry/> }.into_any(),
                            Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <section class="card" aria-labelledby="activity-heading">
                <h2 id="activity-heading">"Recent activity"</h2>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match activity().await {
                            Ok(rows) if rows.is_empty() => view! { <p class="empty">"No activity yet. Deposits and charges will appear here."</p> }.into_any(),
                            Ok(rows) => view! { <ActivityTable rows=rows/> }.into_any(),
                            Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

/// A copy of one part of the page's sections, once they are read (the rest stays uncopied: the page asks for
/// the cards three times).
async fn section<T: Clone>(
    sections: Resource<Result<WalletSections, AppError>>,
    part: fn(&WalletSections) -> &Result<T, AppError>,
) -> Result<T, AppError> {
    match &*sections.by_ref().await {
        Ok(all) => part(all).clone(),
        Err(err) => Err(err.clone()),
    }
}

/// Where on the wallet page a form's `?error=` is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ErrorPlace {
    /// The open Add Funds step (amount and card, or the attempt).
    Panel,
    /// A saved card's "Update card" form.
    CardForm,
    /// "Low balance alert".
    AlertForm,
    /// "Auto top-up".
    AutoTopUpForm,
    /// Above the balance (e.g. "Make default" on a card that was removed meanwhile).
    Page,
}
