//! The JSON API for agents (`/v1`, docs/CONTRACT.md "JSON API"): plain axum handlers (server functions can
//! only answer 500 on error) that call the same service functions as the dashboard. Authenticated by spend
//! key; bodies and queries parsed into the types of `schema.rs` by the extractors of `extract.rs`;
//! documented at `/v1/openapi.json`, generated from these handlers' annotations and those same types.

pub(crate) mod auto_top_up;
pub(crate) mod extract;
pub(crate) mod holds;
pub(crate) mod metered_calls;
pub(crate) mod usage;
pub(crate) mod wallet;

use crate::state::AppState;
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
        .routes(routes!(auto_top_up::get, auto_top_up::put))
        .routes(routes!(metered_calls::create_request, metered_calls::list_requests))
        .routes(routes!(holds::place))
        .routes(routes!(holds::get))
        .routes(routes!(holds::capture))
        .routes(routes!(holds::void))
        .routes(routes!(usage::usage))
        .split_for_parts();
    let mut openapi = openapi;
    document_common_refusals(&mut openapi);
    router.route("/v1/openapi.json", get(move || async move { Json(openapi.clone()) }))
}

/// The answers any `/v1` operation may give besides its own (docs/CONTRACT.md "Limits and account
/// security"): 429 for a key over its rate limit or an address over its failed authentications, 503 when
/// the server is busy or a request outlived its timeout — both with `Retry-After` — and 413 for a body
/// over 64 KB.
fn document_common_refusals(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{
        content::Content, header::Header, schema::Type, ObjectBuilder, Ref, ResponseBuilder,
    };
    let refusal = |description: &str| {
        let body = Content::new(Some(Ref::from_schema_name("ErrorBody")));
        let seconds = Header::new(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)));
        ResponseBuilder::new()
            .description(description)
            .content("application/json", body)
            .header("Retry-After", seconds)
            .build()
    };
    for item in openapi.paths.paths.values_mut() {
        for operation in [&mut item.get, &mut item.post, &mut item.put].into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            responses.entry("429".into()).or_insert_with(|| {
                refusal("the key's rate limit, or this address's failed authentications, or a lock").into()
            });
            responses.entry("503".into()).or_insert_with(|| {
                refusal("busy, or the request took too long: retry after the given seconds").into()
            });
            if operation.request_body.is_some() {
                // Answered before the request reaches `/v1` (plain text), so no JSON body is promised.
                let too_large = ResponseBuilder::new().description("the body is over 64 KB").build();
                responses.entry("413".into()).or_insert_with(|| too_large.into());
            }
        }
    }
}

/// Any other `/v1` path: a JSON 404, not the HTML page.
pub async fn unknown_route() -> crate::channels::shared::error::ApiError {
    tollgate_domain::error::AppError::NotFound.into()
}
