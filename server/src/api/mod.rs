//! The JSON API for agents (`/v1`, CONTRACT.md "JSON API"): plain axum handlers (server functions can only
//! answer 500 on error) that call the same service functions as the dashboard. Authenticated by spend key;
//! documented at `/v1/openapi.json`, generated from these handlers' annotations and types.

mod answer;
pub mod call_cache;
mod requests;
mod schema;
mod spend_key;
mod wallet;

use crate::startup::AppState;
use axum::{routing::get, Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tollgate API", version = "1", description = "A prepaid wallet for paid API calls. Authenticate with a spend key: `Authorization: Bearer tg_sk_…`. Errors are `{\"error\": message, \"code\": http status}`."),
    modifiers(&SpendKeyAuth)
)]
struct ApiDoc;

struct SpendKeyAuth;

impl Modify for SpendKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "spend_key",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("tg_sk_…").build(),
            ),
        );
    }
}

/// The `/v1` routes and their OpenAPI document.
pub fn router() -> Router<AppState> {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(wallet::balance))
        .routes(routes!(wallet::wallet))
        .routes(routes!(wallet::payment_methods))
        .routes(routes!(wallet::fund))
        .routes(routes!(requests::create_request, requests::list_requests))
        .routes(routes!(requests::usage))
        .split_for_parts();
    router.route("/v1/openapi.json", get(move || async move { Json(openapi.clone()) }))
}

/// Any other `/v1` path: a JSON 404, not the HTML page.
pub async fn unknown_route() -> answer::ApiError {
    app::error::AppError::NotFound.into()
}
