//! Partner events that verified but could not be applied: a payment for an order we do not know,
//! a shipment of an unknown order, a tracking event for a label that is not ours. The partner is
//! answered 200 (a 404 would make it retry for days) and the event is recorded once, counted and
//! listed for operators (`GET /admin/v1/partner-events/unapplied`).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::state::AppState;

pub fn admin_router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/v1/partner-events/unapplied", get(list))
        .layer(axum::middleware::from_fn_with_state(state, crate::access::require_support))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// At most this many, newest first (1 to 500, default 100).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/admin/v1/partner-events/unapplied", tag = "admin", params(ListQuery),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "the events, newest first: partner, event_id, kind, reason, reference, received_at"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
/// Signed partner events acknowledged but not applied (support and admins).
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let events = core_app::partner_events::unapplied(&state, limit).await?;
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({"partner": e.partner, "event_id": e.event_id, "kind": e.kind, "reason": e.reason,
                "reference": e.reference, "received_at": core_app::clock::rfc3339(e.received_at)})
        })
        .collect();
    Ok(Json(json!({ "events": events })))
}
