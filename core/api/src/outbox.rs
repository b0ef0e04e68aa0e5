//! The outbox's operator API (the dispatcher is `core_app::outbox`'s).
//!
//! Operators see the outbox at `GET /admin/v1/outbox` (pending, leased, retrying and dead
//! counts, the lag: the age of the oldest pending event, and the dead events), one event with
//! its delivery log at `GET /admin/v1/outbox/events/{id}`, and replay one event
//! (`POST /admin/v1/outbox/events/{id}/replay`) or every dead one
//! (`POST /admin/v1/outbox/replay-dead`).

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use core_store::commerce::outbox::OutboxEvent;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

pub use core_app::outbox::*;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn admin_router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/v1/outbox", get(overview))
        .route("/admin/v1/outbox/events/{id}", get(show))
        .route("/admin/v1/outbox/events/{id}/replay", post(replay))
        .route("/admin/v1/outbox/replay-dead", post(replay_dead))
        .route("/admin/v1/outbox/dead", get(dead))
        .layer(axum::middleware::from_fn_with_state(state, require_admin))
}

async fn require_admin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    crate::auth::admit_staff(&state, request, next, crate::auth::Role::Admin).await
}

#[derive(Serialize)]
pub struct EventDto {
    id: Uuid,
    topic: String,
    aggregate_id: Uuid,
    region: String,
    /// `pending`, `delivered`, `skipped` or `dead`.
    status: &'static str,
    attempts: i32,
    created_at: String,
    next_attempt_at: String,
    published_at: Option<String>,
    last_error: Option<String>,
    payload: Value,
}

impl From<OutboxEvent> for EventDto {
    fn from(e: OutboxEvent) -> Self {
        Self {
            id: e.id,
            topic: e.topic,
            aggregate_id: e.aggregate_id,
            region: e.region,
            status: e.status.as_str(),
            attempts: e.attempts,
            created_at: core_app::clock::rfc3339(e.created_at),
            next_attempt_at: core_app::clock::rfc3339(e.next_attempt_at),
            published_at: e.published_at.map(core_app::clock::rfc3339),
            last_error: e.last_error,
            payload: e.payload,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// Only this region's events.
    region: Option<String>,
}

#[utoipa::path(get, path = "/admin/v1/outbox", tag = "admin", params(OverviewQuery),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "pending, leased, retrying and dead counts, the lag (ms), the dead events"),
        (status = 404, body = crate::error::ErrorBody, description = "region_not_found")))]
/// The outbox's health: counts, lag and the dead events (oldest first, at most 100).
pub async fn overview(
    State(state): State<AppState>,
    query: Result<Query<OverviewQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    if let Some(r) = &query.region
        && state.regions.region(r).is_none()
    {
        return Err(ApiError::not_found("region_not_found", format!("no region `{}`", crate::state::truncate(r))));
    }
    let (stats, dead) = core_app::outbox::overview(&state, query.region.as_deref(), 100).await?;
    let dead: Vec<EventDto> = dead.into_iter().map(Into::into).collect();
    Ok(Json(json!({
        "pending": stats.pending,
        "leased": stats.leased,
        "retrying": stats.retrying,
        "dead": stats.dead,
        "lag_ms": stats.lag_ms,
        "dead_events": dead,
    })))
}

#[utoipa::path(get, path = "/admin/v1/outbox/dead", tag = "admin", params(crate::pages::PageParams),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "`items` (the dead events, newest first) and `next_cursor`"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_query, invalid_cursor")))]
/// Every dead event, a page at a time (the overview shows the first 100).
pub async fn dead(
    State(state): State<AppState>,
    query: Result<Query<crate::pages::PageParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(page) = query?;
    let (limit, after) = crate::pages::read(page.limit.as_deref(), page.cursor.as_deref())?;
    let (events, next) = core_app::outbox::dead(&state, after, limit).await?;
    let items: Vec<EventDto> = events.into_iter().map(Into::into).collect();
    Ok(Json(json!({"items": items, "next_cursor": crate::pages::next(next)})))
}

fn event_id(path: Result<Path<String>, PathRejection>) -> ApiResult<Uuid> {
    let missing = || ApiError::not_found("event_not_found", "no such event");
    let Path(id) = path.map_err(|_| missing())?;
    Uuid::parse_str(&id).map_err(|_| missing())
}

#[utoipa::path(get, path = "/admin/v1/outbox/events/{id}", tag = "admin",
    params(("id" = String, Path, description = "the event's id")),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "the event and its delivery log"),
        (status = 404, body = crate::error::ErrorBody, description = "event_not_found")))]
/// One event and its delivery log.
pub async fn show(State(state): State<AppState>, path: Result<Path<String>, PathRejection>) -> ApiResult<Json<Value>> {
    let id = event_id(path)?;
    let (event, log) = core_app::outbox::event(&state, id)
        .await?
        .ok_or_else(|| ApiError::not_found("event_not_found", "no such event"))?;
    let deliveries: Vec<Value> = log
        .into_iter()
        .map(|d| {
            json!({
                "attempt": d.attempt, "subscriber": d.subscriber, "dispatcher": d.dispatcher,
                "outcome": d.outcome, "http_status": d.http_status, "error": d.error,
                "duration_ms": d.duration_ms, "at": core_app::clock::rfc3339(d.at),
            })
        })
        .collect();
    Ok(Json(json!({"event": EventDto::from(event), "deliveries": deliveries})))
}

#[utoipa::path(post, path = "/admin/v1/outbox/events/{id}/replay", tag = "admin",
    params(("id" = String, Path, description = "the event's id")),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "the event, pending again"),
        (status = 404, body = crate::error::ErrorBody, description = "event_not_found")))]
/// Makes a dead, delivered or skipped event pending again, due now.
pub async fn replay(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<EventDto>> {
    let id = event_id(path)?;
    Ok(Json(core_app::outbox::replay(&state, id).await?.into()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReplayDead {
    topic: Option<String>,
}

#[utoipa::path(post, path = "/admin/v1/outbox/replay-dead", tag = "admin",
    request_body(content = Object, description = "optional: `{\"topic\": …}` to replay one topic's dead events"),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "`replayed`: how many events are pending again")))]
/// Replays every dead event (of one topic, when given), at most 10,000 at a time.
pub async fn replay_dead(
    State(state): State<AppState>,
    body: Result<Json<ReplayDead>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    let body = match body {
        Ok(Json(b)) => b,
        Err(JsonRejection::MissingJsonContentType(_)) => ReplayDead::default(),
        Err(e) => return Err(ApiError::bad_request("invalid_body", e.body_text())),
    };
    let replayed = core_app::outbox::replay_dead(&state, body.topic.as_deref(), 10_000).await?;
    Ok(Json(json!({"replayed": replayed})))
}
