//! What the consent page shows, checked on the server: the signed-in person, the app (from its
//! registration, never from the request) and whether the request may be answered at all.

use super::authorize_request::AuthorizeQuery;
#[cfg(feature = "ssr")]
use super::authorize_request::AuthorizeRefusal;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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

#[server(endpoint = "oauth/consent")]
pub async fn get_consent(#[server(flatten)] query: AuthorizeQuery) -> Result<ConsentView, AppError> {
    let user = crate::teams::member::require_member().await?;
    let pool = crate::server_fn_context::pool()?;
    let app = super::db::chat_app(&pool, &query.client_id).await?;
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
            // RFC 6749 §4.1.2.1: the app is told at once (the page, should the redirect not be followed,
            // explains and links back).
            let back_to_app = redirect_uri.answer(("error", error), state.as_deref());
            leptos_axum::redirect(&back_to_app);
            ConsentView::Refused {
                message: AppError::ChatAppRequestInvalid.message(),
                back_to_app: Some(back_to_app),
            }
        }
    })
}
