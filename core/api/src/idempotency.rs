//! `Idempotency-Key` on state-changing POSTs: a retry with the same key gets the first
//! response (with `idempotent-replayed: true`); the same key with another body gets 422
//! `idempotency_key_reused`; a retry while the first is still running gets 409
//! `idempotency_in_progress`. Answers of 5xx are not kept, so a retry runs again.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use core_app::idempotency::{self as keys, Claim};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// Largest request body accepted on these routes.
pub const MAX_BODY: usize = 1 << 20;
/// Largest response kept for replay.
const MAX_KEPT_RESPONSE: usize = 4 << 20;

pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get("idempotency-key") else {
        return next.run(request).await;
    };
    let key = match key.to_str() {
        Ok(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => k.to_string(),
        _ => {
            return ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1-255 visible ASCII characters",
            )
            .into_response();
        }
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
            .into_response();
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update(b" ");
    hasher.update(parts.uri.path());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let hash = hex::encode(hasher.finalize());
    // Keys are each staff member's own (the service token's: the nil id), so that one member's
    // key never replays another's answer.
    let scope = match parts.extensions.get::<crate::auth::Staff>() {
        Some(staff) => format!("staff:{}", staff.id),
        None => "admin".to_string(),
    };

    match keys::claim(&state, &scope, &key, &hash).await {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(Claim::Mismatch) => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request",
            )
            .into_response();
        }
        Ok(Claim::InProgress) => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "the first request with this key is still running",
            )
            .into_response();
        }
        Ok(Claim::Replay { status, body }) => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let headers = response.headers_mut();
            headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
            headers.insert("idempotent-replayed", http::HeaderValue::from_static("true"));
            return response;
        }
        Ok(Claim::New) => {}
    }

    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let status = response.status();
    if status.is_server_error() {
        if let Err(e) = keys::release(&state, &scope, &key).await {
            tracing::warn!(error = %e, "releasing an idempotency key failed");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_KEPT_RESPONSE).await else {
        let _ = keys::release(&state, &scope, &key).await;
        return ApiError::internal("response too large to keep for replay").into_response();
    };
    if let Err(e) = keys::complete(&state, &scope, &key, status.as_u16(), &body).await {
        // The work is done; the next retry will see the key in progress, then abandoned.
        tracing::warn!(error = %e, "recording an idempotent response failed");
    }
    Response::from_parts(parts, Body::from(body))
}
