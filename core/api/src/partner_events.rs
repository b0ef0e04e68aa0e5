//! Partner events that verified but could not be applied: a payment for an order we do not know,
//! a shipment of an unknown order, a tracking event for a label that is not ours. The partner is
//! answered 200 (a 404 would make it retry for days) and the event is recorded once, counted and
//! listed for operators (`GET /admin/v1/partner-events/unapplied`).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use core_store::partner_events::{self as store, Unapplied};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::metrics::METRICS;
use crate::state::AppState;

/// Records an event of `partner` that could not be applied, and the answer that acknowledges it.
pub(crate) async fn acknowledge(
    state: &AppState,
    partner: &str,
    event_id: &str,
    kind: &str,
    reason: &'static str,
    reference: Option<String>,
) -> ApiResult<Json<Value>> {
    let event = Unapplied {
        partner: partner.to_string(),
        event_id: event_id.chars().take(200).collect(),
        kind: kind.chars().take(100).collect(),
        reason: reason.to_string(),
        reference: reference.map(|r| r.chars().take(200).collect()),
        received_at: state.auth.clock.now(),
    };
    let client = state.store.client().await?;
    let first = store::record(&client, &event, &state.region).await?;
    if first {
        METRICS.partner_events_unapplied.with_label_values(&[partner, reason]).inc();
        tracing::warn!(partner, event_id = %event.event_id, kind = %event.kind, reason, "partner event acknowledged but not applied");
    }
    Ok(Json(json!({"id": event.event_id, "received": true, "applied": false, "reason": reason})))
}

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
    let client = state.store.client().await?;
    let events = store::list(&client, limit).await?;
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({"partner": e.partner, "event_id": e.event_id, "kind": e.kind, "reason": e.reason,
                "reference": e.reference, "received_at": crate::times::rfc3339(e.received_at)})
        })
        .collect();
    Ok(Json(json!({ "events": events })))
}
