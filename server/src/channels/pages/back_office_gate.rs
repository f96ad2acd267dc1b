//! The back office's gate (docs/CONTRACT.md "Back office"): every address under `/admin`, and the back
//! office's server functions (`/api/admin/…`), answers exactly as an address that doesn't exist would —
//! "Page not found", or the unknown server function's answer — to anyone who isn't staff, signed in or not,
//! before anything of the back office runs. Staff pass; each of their actions then checks their role.

use crate::state::AppState;
use axum::{
    extract::{Request, State},
    http::Uri,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

/// Where a refused request is sent instead: no route answers it, so the answer is the not-found one.
const NOWHERE_PAGE: &str = "/-/not-found";
const NOWHERE_SERVER_FN: &str = "/api/-/not-found";

fn is_back_office(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/") || path.starts_with("/api/admin/")
}

pub async fn staff_only(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    if !is_back_office(req.uri().path()) {
        return next.run(req).await;
    }
    let user = match app::auth::session::read_user(&session).await {
        Ok(user) => user,
        Err(err) => return (err.status_code(), err.message()).into_response(),
    };
    let is_staff = match user {
        Some(user) => match tollgate_core::staff::role_of(&state.pool, user.user_id).await {
            Ok(role) => role.is_some(),
            Err(err) => return (err.status_code(), err.message()).into_response(),
        },
        None => false,
    };
    if !is_staff {
        let nowhere = if req.uri().path().starts_with("/api/") { NOWHERE_SERVER_FN } else { NOWHERE_PAGE };
        *req.uri_mut() = Uri::from_static(nowhere);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_covers_the_back_office_and_nothing_else() {
        for path in ["/admin", "/admin/", "/admin/log", "/admin/accounts/x", "/api/admin/grant"] {
            assert!(is_back_office(path), "{path}");
        }
        for path in ["/administrator", "/dashboard/admin", "/api/wallet/admin", "/", "/api/adminx"] {
            assert!(!is_back_office(path), "{path}");
        }
    }
}
