//! `GET /healthz`: 200 when Postgres answers, 503 when it doesn't.

use axum::{extract::State, http::StatusCode, Json};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::Duration;

pub async fn healthz(State(pool): State<PgPool>) -> (StatusCode, Json<Value>) {
    let ping =
        tokio::time::timeout(Duration::from_secs(2), sqlx::query!(r#"SELECT 1 AS "ok!""#).fetch_one(&pool))
            .await;
    match ping {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({"status": "ok", "database": "ok"}))),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "health check: database error");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable", "database": "error"})))
        }
        Err(_) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable", "database": "timeout"})))
        }
    }
}
