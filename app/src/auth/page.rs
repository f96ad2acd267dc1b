//! `/login` and `/signup` (docs/CONTRACT.md "Pages"): labels and button names are the contract's.

use super::return_to::with_next;
use super::server_fns::{LogIn, SignUp};
use crate::ui::form_error::{url_error, FormError};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tollgate_domain::accounts::credentials::NewPassword;

/// The message a failed form post came back with (`?error=<code>`).
fn url_error_message() -> Signal<Option<String>> {
    let error = url_error();
    Signal::derive(move || error.get().map(|e| e.message()))
}

fn next_param() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("next").unwrap_or_default())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let error = url_error_message();
    let next = next_param();
    let signup_href = move || with_next("/signup", &next.get());
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Log in to Tollgate"</h1>
                <ActionForm action=action attr:class="stack" attr:novalidate=true>
                    <div class="field">
                        <label for="login-email">"Email"</label>
                        <input id="login-email" name="email" type="email" autocomplete="username" required aria-describedby="login-error"/>
                    </div>
                    <div class="field">
                        <label for="login-password">"Password"</label>
                        <input id="login-password" name="password" type="password" autocomplete="current-password" required aria-describedby="login-error"/>
                    </div>
                    <input type="hidden" name="next" value=move || next.get()/>
                    <FormError id="login-error" message=error/>
                    <button type="submit" class="button primary" data-pending="Logging in…">"Log in"</button>
                </ActionForm>
                <p class="muted">"New to Tollgate? " <a href=signup_href>"Create an account"</a></p>
            </section>
        </main>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let next = next_param();
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Create your Tollgate account"</h1>
                <ActionForm action=action attr:class="stack" attr:novalidate=true>
                    <div class="field">
                        <label for="signup-email">"Email"</label>
                        <input id="signup-email" name="email" type="email" autocomplete="email" required aria-describedby="signup-error"/>
                    </div>
                    <input type="hidden" name="next" value=move || next.get()/>
                    <NewPasswordField server_error=url_error_message().get_untracked()/>
                    <button type="submit" class="button primary" data-pending="Creating account…">"Sign up"</button>
                </ActionForm>
                <p class="muted">"Already have an account? " <a href="/login">"Log in"</a></p>
            </section>
        </main>
    }
}

/// The sign-up password and the form's error line: an island, so the password rule (`NewPassword::parse`,
/// the server's own) is checked while typing, after the field was first left so it doesn't nag. A
/// server's answer (`?error=`) shows until then.
#[island]
fn NewPasswordField(server_error: Option<String>) -> impl IntoView {
    let (password, set_password) = signal(String::new());
    let (left_once, set_left_once) = signal(false);
    let rule_problem = move || {
        if !left_once.get() {
            return None;
        }
        NewPassword::parse(&password.get()).err().map(|e| e.message())
    };
    let error = Signal::derive(move || {
        rule_problem().or_else(|| (!left_once.get()).then(|| server_error.clone()).flatten())
    });
    view! {
        <div class="field">
            <label for="signup-password">"Password"</label>
            <input
                id="signup-password"
                name="password"
                type="password"
                autocomplete="new-password"
                required
                aria-describedby="signup-password-rule signup-error"
                on:input=move |ev| set_password.set(event_target_value(&ev))
                on:blur=move |_| set_left_once.set(true)
            />
            <p id="signup-password-rule" class="hint">"At least 10 characters."</p>
        </div>
        <FormError id="signup-error" message=error/>
    }
}
