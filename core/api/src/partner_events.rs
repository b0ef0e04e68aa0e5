//! Partner events that verified but could not be applied: a payment for an order we do not know,
//! a shipment of an unknown order, a tracking event for a label that is not ours. The partner is
//! answered 200 (a 404 would make it retry for days) and the event is recorded once, counted and
//! listed for operators (`GET /admin/v1/partner-events/unapplied`).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::pages::PageParams;
use crate::state::AppState;

pub fn admin_router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/v1/partner-events/unapplied", get(list))
        .layer(axum::middleware::from_fn_with_state(state, crate::access::require_support))
}

/// A signed partner event acknowledged but not applied.
#[derive(Serialize, ToSchema)]
pub struct UnappliedEventDto {
    id: Uuid,
    /// `payments`, `warehouse`, or `carrier:<code>`.
    partner: String,
    event_id: String,
    kind: String,
    /// Why it was not applied (`unknown_order`, `unknown_label`…).
    reason: String,
    reference: Option<String>,
    /// RFC 3339.
    received_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct UnappliedEventPage {
    items: Vec<UnappliedEventDto>,
    /// The next page's `cursor`, when there are more events.
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/admin/v1/partner-events/unapplied", tag = "admin", params(PageParams),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, body = UnappliedEventPage, description = "the events, newest first, a page at a time"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_query, invalid_cursor"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
/// Signed partner events acknowledged but not applied (support and admins).
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<PageParams>, QueryRejection>,
) -> ApiResult<Json<UnappliedEventPage>> {
    let Query(page) = query?;
    let (limit, after) = crate::pages::read(page.limit.as_deref(), page.cursor.as_deref())?;
    let (events, next) = core_app::partner_events::unapplied(&state, after, limit).await?;
    let items = events
        .into_iter()
        .map(|e| UnappliedEventDto {
            id: e.id,
            partner: e.partner,
            event_id: e.event_id,
            kind: e.kind,
            reason: e.reason,
            reference: e.reference,
            received_at: core_app::clock::rfc3339(e.received_at),
        })
        .collect();
    Ok(Json(UnappliedEventPage { items, next_cursor: crate::pages::next(next) }))
}
