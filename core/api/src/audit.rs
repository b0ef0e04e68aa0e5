//! The staff audit log (PCI DSS 10.2): every request on the staff listener is written down with
//! who made it (a staff member and their session, the development service token, or nobody
//! yet), what it was (method, route template, redacted target, the answer's status), when, and
//! from where (the client address the listener saw), before its answer leaves. Admins read it
//! with `GET /admin/v1/audit`.
//!
//! An entry that cannot be written (the database is down) does not hold the answer back: it is
//! logged in full at `error` instead and counted (`core_audit_write_failures_total`), so that
//! the SRE's alert and the process log keep the record.

use std::net::SocketAddr;

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, MatchedPath, Query, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use core_store::audit::{Actor, Entry};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use core_app::metrics::METRICS;

/// Middleware of the whole staff listener (outside the input checks, so that refused requests
/// are written down too).
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let at = state.auth.clock.now();
    let method = request.method().to_string();
    let route = request.extensions().get::<MatchedPath>().map_or("other", MatchedPath::as_str).to_string();
    let target = telemetry::redact::target(request.uri().path(), request.uri().query());
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=128).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_graphic())
                && !telemetry::card_numbers::carries(id)
        })
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_string);
    let (actor, staff) = crate::auth::audit_actor(&state, request.headers()).await;
    if let Some(staff) = staff {
        // The routes' own checks take the caller from here rather than look it up again.
        request.extensions_mut().insert(staff);
    }
    let response = next.run(request).await;
    let entry = Entry { at, actor, method, route, target, status: response.status().as_u16(), client, request_id };
    if let Err(e) = core_app::audit::record(&state, &entry).await {
        METRICS.audit_write_failures.inc();
        tracing::error!(
            error = %e, cause = e.cause().unwrap_or(""), at = %entry.at, actor = entry.actor.as_str(), staff_id = ?staff_id(&entry.actor),
            method = %entry.method, route = %entry.route, target = %entry.target, status = entry.status,
            client = %entry.client, request_id = %entry.request_id, "audit entry not written"
        );
    }
    response
}

fn staff_id(actor: &Actor) -> Option<Uuid> {
    match actor {
        Actor::Staff { staff_id, .. } => Some(*staff_id),
        _ => None,
    }
}

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/v1/audit", get(list))
        .layer(axum::middleware::from_fn_with_state(state, crate::access::require_admin))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this staff member's requests.
    staff_id: Option<Uuid>,
    /// Only requests before this time (RFC 3339): the `next_before` of the previous page.
    before: Option<String>,
    /// At most this many, newest first (1 to 500, default 100).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/admin/v1/audit", tag = "staff", params(AuditQuery),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "entries, newest first, and `next_before` for the next page"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_query"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody, description = "forbidden: admins only")))]
/// The staff audit log (admins only).
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(query) = query?;
    let before = query
        .before
        .as_deref()
        .map(|b| {
            core_app::clock::parse(b)
                .ok_or_else(|| ApiError::bad_request("invalid_query", "`before` must be an RFC 3339 time"))
        })
        .transpose()?;
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let entries = core_app::audit::list(&state, query.staff_id, before, limit).await?;
    let next_before = (entries.len() as i64 == limit).then(|| entries.last().map(|e| core_app::clock::rfc3339(e.at)));
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            let (staff_id, session_id) = match e.actor {
                Actor::Staff { staff_id, session_id } => (Some(staff_id), Some(session_id)),
                _ => (None, None),
            };
            json!({"at": core_app::clock::rfc3339(e.at), "actor": e.actor.as_str(), "staff_id": staff_id,
                "session_id": session_id, "method": e.method, "route": e.route, "target": e.target,
                "status": e.status, "client": e.client, "request_id": e.request_id})
        })
        .collect();
    Ok(Json(json!({"entries": entries, "next_before": next_before.flatten()})))
}
