//! The HTTP side: what tests and operators read of the kept messages, and the fault knobs.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::store::Mailbox;

pub fn app(mailbox: Mailbox) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/_messages", get(messages).delete(clear))
        .route("/_control", post(control))
        .with_state(mailbox)
}

#[derive(Deserialize)]
struct Filter {
    to: Option<String>,
}

async fn messages(State(mailbox): State<Mailbox>, Query(filter): Query<Filter>) -> impl IntoResponse {
    Json(json!({ "messages": mailbox.messages(filter.to.as_deref()) }))
}

async fn clear(State(mailbox): State<Mailbox>) -> StatusCode {
    mailbox.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Knobs {
    down: Option<bool>,
    temporary_failure: Option<bool>,
}

async fn control(State(mailbox): State<Mailbox>, Json(knobs): Json<Knobs>) -> impl IntoResponse {
    if let Some(down) = knobs.down {
        mailbox.set_down(down);
    }
    if let Some(failing) = knobs.temporary_failure {
        mailbox.set_temporary_failure(failing);
    }
    tracing::info!(down = mailbox.is_down(), temporary_failure = mailbox.temporary_failure(), "fault knobs changed");
    Json(json!({"down": mailbox.is_down(), "temporary_failure": mailbox.temporary_failure()}))
}
