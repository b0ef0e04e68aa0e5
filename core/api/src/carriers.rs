//! Parcel carriers on the core's side (their clients are in `core_partners::carriers`): the
//! outbox subscriber that labels each warehouse shipment of a shipped order with the carrier
//! and service the shopper was charged for, and the carriers' signed tracking webhooks, which build each order's tracking
//! timeline and complete the order once every parcel is delivered.
//!
//! | route | what |
//! |---|---|
//! | `POST /webhooks/carriers/{carrier}` | a tracking event, `Carrier-Signature` over the raw body |
//! | `GET /v1/orders/{id}/tracking` | the order's labels (carrier, tracking number, status, ETA) and timeline |
//!
//! Carriers: `parcelo` (JSON REST, OAuth-style client-credential access tokens) and
//! `classicpost` (a legacy XML API with the account in every request). The webhooks are
//! verified and read here; their events are applied by [`core_app::carriers`].

use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use core_store::commerce::shipping::TrackingEvent;
use partners_signing::{DEFAULT_TOLERANCE, verify_signature};
use serde_json::{Value, json};

use crate::auth::MaybeShopper;
use crate::error::{ApiError, ApiResult};
use core_partners::carriers::SIGNATURE_HEADER;

use crate::state::AppState;

pub use core_app::carriers::{LabelSubscriber, ReturnLabelSubscriber};

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/carriers/{carrier}", post(webhook)).route("/v1/orders/{id}/tracking", get(tracking))
}

#[utoipa::path(post, path = "/webhooks/carriers/{carrier}", tag = "partners",
    params(("carrier" = String, Path, description = "the carrier's code (`parcelo`, `classicpost`)"),
        ("Carrier-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>`")),
    request_body(content = String, description = "the carrier's tracking event, in its own format (JSON or XML)"),
    responses((status = 200, description = "`applied` (false for a repeat, or a label that is not ours: then `reason`), the parcel's `status`"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_event, invalid_text"),
        (status = 401, body = crate::error::ErrorBody, description = "invalid_signature"),
        (status = 404, body = crate::error::ErrorBody, description = "unknown_carrier")))]
/// A carrier's tracking event, verified over the raw body: recorded once per carrier event id,
/// the parcel's status and ETA recomputed from its timeline, and the order delivered once
/// every parcel is.
pub async fn webhook(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let carrier = core_app::carriers::carrier(&state, &code)?;
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    verify_signature(
        carrier.webhook_secret().expose().as_bytes(),
        signature,
        &body,
        SystemTime::now(),
        DEFAULT_TOLERANCE,
    )
    .map_err(|e| ApiError::new(StatusCode::UNAUTHORIZED, "invalid_signature", e.to_string()))?;
    let t = carrier.read_tracking(&body).map_err(|e| ApiError::bad_request("invalid_event", e))?;
    let event = TrackingEvent {
        carrier: code.clone(),
        event_id: t.event_id,
        tracking_number: t.tracking_number,
        status: t.status,
        carrier_status: t.carrier_status,
        occurred_at: t.occurred_at,
        eta: t.eta,
    };
    let Some(tracked) = core_app::carriers::track(&state, &event).await? else {
        let partner = format!("carrier:{code}");
        let reference = Some(event.tracking_number.clone());
        return crate::answers::partner_events::acknowledge(
            &state,
            &partner,
            &event.event_id,
            "tracking",
            "unknown_label",
            reference,
        )
        .await;
    };
    Ok(Json(json!({
        "event_id": event.event_id, "applied": tracked.new, "status": tracked.status.as_str(),
        "order_delivered": tracked.order_delivered,
    })))
}

#[utoipa::path(get, path = "/v1/orders/{id}/tracking", tag = "checkout",
    params(("id" = String, Path, description = "the order's id"),
        ("X-Cart-Token" = Option<String>, Header, description = "a guest's cart token (shoppers use their session token)")),
    security((), ("session_token" = [])),
    responses((status = 200, body = crate::answers::tracking::TrackingDto, description = "the order's labels and tracking timeline"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_text"),
        (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody, description = "order_not_found")))]
pub async fn tracking(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<crate::answers::tracking::TrackingDto>> {
    let order = crate::access::visible_order(&state, &shopper, &headers, path).await?;
    Ok(Json(crate::answers::tracking::of_order(&state, order).await?))
}
