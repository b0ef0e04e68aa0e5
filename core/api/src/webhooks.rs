//! The payment provider's signed webhooks: verified here, applied by
//! [`core_app::payments`].

use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use core_app::payments::{self, ProviderEvent};
use core_partners::payments::Authorization;
use partners_signing::{DEFAULT_TOLERANCE, PAYMENT_SIGNATURE_HEADER as SIGNATURE_HEADER, verify_signature};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/payments", post(payment_webhook))
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: Value,
}

#[utoipa::path(post, path = "/webhooks/payments", tag = "partners",
    params(("Payment-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>`")),
    request_body(content = Object, description = "the provider's event: `id`, `type`, `data` (the authorization)", content_type = "application/json"),
    responses((status = 200, description = "received (`duplicate` when seen before), ignored, or acknowledged but not applied (`applied: false`, `reason`)"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_json, invalid_text"),
        (status = 401, body = crate::error::ErrorBody, description = "invalid_signature"),
        (status = 409, body = crate::error::ErrorBody, description = "payment_busy: send the event again")))]
/// `POST /webhooks/payments`: the provider's signed events. A forged, tampered or replayed
/// one is refused (401); a duplicate is acknowledged and ignored; one about a payment or an
/// order we do not know is acknowledged and recorded for operators (see
/// [`core_app::partner_events`]), so that the provider stops sending it.
pub async fn payment_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let secret = state.payments_webhook_secret.expose().as_bytes();
    if let Err(why) = verify_signature(secret, signature, &body, SystemTime::now(), DEFAULT_TOLERANCE) {
        tracing::warn!(reason = %why, "webhook refused");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
            "the webhook signature does not verify",
        ));
    }
    let event: Event =
        serde_json::from_slice(&body).map_err(|_| ApiError::bad_request("invalid_json", "malformed event"))?;
    let auth: Authorization = match serde_json::from_value(event.data.clone()) {
        Ok(a) => a,
        Err(_) => return Ok(Json(json!({"ignored": true}))),
    };
    let order = match auth.reference.as_deref().and_then(|r| Uuid::parse_str(r).ok()) {
        Some(o) => Some(o),
        None => payments::order_of_payment(&state, &auth.id).await?,
    };
    let Some(order) = order else {
        return crate::answers::partner_events::acknowledge(
            &state,
            "payments",
            &event.id,
            &event.kind,
            "unknown_payment",
            Some(auth.id.clone()),
        )
        .await;
    };
    let news = Some(ProviderEvent { id: &event.id, kind: &event.kind });
    match payments::apply(&state, order, &auth, &format!("webhook {}", event.kind), news).await {
        Ok(fresh) => Ok(Json(json!({"received": true, "duplicate": !fresh}))),
        Err(e) if e.code == "order_not_found" => {
            crate::answers::partner_events::acknowledge(
                &state,
                "payments",
                &event.id,
                &event.kind,
                "unknown_order",
                Some(order.to_string()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
