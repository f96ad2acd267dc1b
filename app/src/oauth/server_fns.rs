//! What the consent page shows, checked on the server: the signed-in person, the app (from its
//! registration, never from the request) and whether the request may be answered at all.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tollgate_domain::error::AppError;
use tollgate_domain::oauth::authorize_request::AuthorizeQuery;
#[cfg(feature = "ssr")]
use tollgate_domain::oauth::authorize_request::AuthorizeRefusal;

/// The consent page's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentView {
    /// Ask the person.
    Ask {
        app_name: String,
        /// Where the answer is sent ("claude.ai"), so the person sees it before choosing.
        destination: String,
        /// The origin the consent form's redirect leads to (for the page's `form-action`).
        return_origin: String,
        email: String,
    },
    /// The request can't be answered: why, and (when the app may be told) the way back to it.
    Refused { message: String, back_to_app: Option<String> },
}

/// This site as the issuer of its answers (`iss`, RFC 9207): as the metadata document names it.
#[cfg(feature = "ssr")]
fn issuer() -> Result<String, AppError> {
    let public_url = use_context::<super::issuer::PublicUrl>().unwrap_or_default();
    let parts = crate::server_fn_context::request_parts()?;
    let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
    Ok(super::issuer::site_base(public_url.0.as_deref(), host))
}

#[server(endpoint = "oauth/consent")]
pub async fn get_consent(#[server(flatten)] query: AuthorizeQuery) -> Result<ConsentView, AppError> {
    let user = crate::teams::member::require_member().await?;
    let pool = crate::server_fn_context::pool()?;
    let app = tollgate_core::oauth::store::chat_app(&pool, &query.client_id).await?;
    Ok(match query.check(app) {
        Ok(request) => ConsentView::Ask {
            app_name: request.app.client_name,
            destination: request.redirect_uri.destination(),
            return_origin: request.redirect_uri.form_action_source(),
            email: match &user.team {
                Some(team) => format!("{} (team {})", user.email, team.name),
                None => user.email,
            },
        },
        Err(AuthorizeRefusal::Shown(err)) => {
            ConsentView::Refused { message: err.message(), back_to_app: None }
        }
        Err(AuthorizeRefusal::ToApp { redirect_uri, error, state }) => {
            // RFC 6749 §4.1.2.1 lets the app be told at once, but a silent redirect makes Tollgate a way to
            // send people to any address an app registered: only an app this person has connected before
            // is sent to straight away; for any other the page explains, with a link back to the app.
            let back_to_app = redirect_uri.answer(("error", error), state.as_deref(), &issuer()?);
            if tollgate_core::oauth::store::has_connected(&pool, user.user_id, &query.client_id).await? {
                leptos_axum::redirect(&back_to_app);
            }
            ConsentView::Refused {
                message: AppError::ChatAppRequestInvalid.message(),
                back_to_app: Some(back_to_app),
            }
        }
    })
}
