//! `/invite/{token}`: "Join <team>" with "Accept" for a signed-in person; "Log in" and "Sign up" (coming
//! back here) for anyone else. A used, expired or revoked link says so and offers nothing to press.

use super::server_fns::{get_invite, AcceptInvite};
use crate::auth::return_to::with_next;
use crate::ui::form_error::{url_error, ErrorMessage, FormError};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let invite = Resource::new(token, get_invite);
    let accept = ServerAction::<AcceptInvite>::new();
    let url_error = url_error();
    let error = Signal::derive(move || url_error.get().map(|e| e.message()));
    view! {
        <main class="auth-page">
            <section class="auth-card" aria-labelledby="invite-heading">
                <p class="brand">"Tollgate"</p>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let here = format!("/invite/{}", token());
                        match invite.await {
                            Err(err) => view! {
                                <h1 id="invite-heading">"Invite link"</h1>
                                <ErrorMessage message=err.message()/>
                            }.into_any(),
                            Ok(data) => {
                                let preview = data.preview;
                                let heading = format!("Join {}", preview.team_name);
                                let body = match (preview.unusable, data.signed_in_as) {
                                    (Some(problem), _) => view! {
                                        <ErrorMessage message=problem.message()/>
                                    }.into_any(),
                                    (None, Some(email)) => view! {
                                        <p>{format!("You're invited as {}. You'll join as {email}.", preview.role)}</p>
                                        <ActionForm action=accept attr:class="stack">
                                            <input type="hidden" name="token" value=token()/>
                                            <FormError id="invite-error" message=error/>
                                            <button type="submit" class="button primary" data-pending="Joining…">"Accept"</button>
                                        </ActionForm>
                                    }.into_any(),
                                    (None, None) => view! {
                                        <p>{format!("You're invited as {}. Log in or sign up to accept.", preview.role)}</p>
                                        <p class="row">
                                            <a class="button primary" href=with_next("/login", &here)>"Log in"</a>
                                            <a class="button" href=with_next("/signup", &here)>"Sign up"</a>
                                        </p>
                                    }.into_any(),
                                };
                                view! { <h1 id="invite-heading">{heading}</h1> {body} }.into_any()
                            }
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}
