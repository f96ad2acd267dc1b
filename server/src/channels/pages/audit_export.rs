//! "Download CSV" on `/dashboard/audit`: the acting account's whole audit log, newest first, streamed a page
//! at a time (no connection held for the whole download). Columns: `id,time,who,action,detail,channel,ip`,
//! `action` and `channel` as stored (docs/CONTRACT.md "Teams"). Text people chose (team, key and card
//! names) is quoted and never starts like a spreadsheet formula.

use crate::channels::pages::attachment::{attachment, CSV};
use crate::channels::pages::csv_field::text;
use crate::state::AppState;
use axum::{
    body::{Body, Bytes},
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use tollgate_core::reads::audit_log::{self as audit_db, StoredEvent};
use tower_sessions::Session;
use uuid::Uuid;

const PAGE: i64 = 5_000;
pub const HEADER: &str = "id,time,who,action,detail,channel,ip\n";

pub async fn export_csv(State(state): State<AppState>, session: Session) -> Response {
    let member = match app::teams::member::from_session(&state.pool, &session).await {
        Ok(Some(member)) => member,
        Ok(None) => {
            return Redirect::to(&app::auth::return_to::login_path("/dashboard/audit")).into_response()
        }
        Err(err) => return (StatusCode::INTERNAL_SERVER_ERROR, err.message()).into_response(),
    };
    let filename = format!("tollgate-audit-{}.csv", chrono::Utc::now().date_naive());
    attachment(CSV, &filename, Body::from_stream(rows(state.pool.clone(), member.account_id)))
}

fn rows(pool: sqlx::PgPool, account_id: Uuid) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    let head = futures::stream::once(async { Ok(Bytes::from_static(HEADER.as_bytes())) });
    // The state: `Some(before)` while there may be more (`before`: `None` for the newest page).
    let events = futures::stream::unfold(Some(None::<i64>), move |before| {
        let pool = pool.clone();
        async move {
            let before = before?;
            match audit_db::events(&pool, account_id, before, PAGE).await {
                Ok(events) => {
                    let next = (events.len() as i64 == PAGE).then(|| events.last().map(|e| e.id));
                    let chunk: String = events.iter().map(row).collect();
                    Some((Ok(Bytes::from(chunk)), next))
                }
                Err(err) => Some((Err(std::io::Error::other(err.message())), None)),
            }
        }
    });
    // Fused: a body may be polled again after its end (the gzip layer does), which `unfold` doesn't allow.
    futures::StreamExt::fuse(futures::StreamExt::chain(head, events))
}

pub fn row(event: &StoredEvent) -> String {
    format!(
        "{},{},{},{},{},{},{}\n",
        event.id,
        event.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        text(&event.who()),
        event.action,
        text(&event.detail),
        event.channel,
        event.ip.as_deref().unwrap_or_default(),
    )
}
