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
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiResult;
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
    let entry = Entry {
        id: uuid::Uuid::new_v4(),
        at,
        actor,
        method,
        route,
        target,
        status: response.status().as_u16(),
        client,
        request_id,
    };
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
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this staff member's requests.
    staff_id: Option<Uuid>,
    /// Page size, 1 to 100 (default 20).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A request on the staff listener, as the audit log keeps it.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryDto {
    id: Uuid,
    /// RFC 3339.
    at: String,
    /// `staff`, `service_token`, `console` or `anonymous`.
    actor: &'static str,
    staff_id: Option<Uuid>,
    session_id: Option<Uuid>,
    method: String,
    /// The route template, or `other`.
    route: String,
    target: String,
    status: u16,
    client: String,
    request_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    items: Vec<AuditEntryDto>,
    /// The next page's `cursor`, when there are more entries.
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/admin/v1/audit", tag = "staff", params(AuditQuery),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, body = AuditPage, description = "entries, newest first, a page at a time"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_query, invalid_cursor"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody, description = "forbidden: admins only")))]
/// The staff audit log (admins only).
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> ApiResult<Json<AuditPage>> {
    let Query(query) = query?;
    let (limit, after) = crate::pages::read(query.limit.as_deref(), query.cursor.as_deref())?;
    let (entries, next) = core_app::audit::list(&state, query.staff_id, after, limit).await?;
    let items = entries
        .into_iter()
        .map(|e| {
            let (staff_id, session_id) = match e.actor {
                Actor::Staff { staff_id, session_id } => (Some(staff_id), Some(session_id)),
                _ => (None, None),
            };
            AuditEntryDto {
                id: e.id,
                at: core_app::clock::rfc3339(e.at),
                actor: e.actor.as_str(),
                staff_id,
                session_id,
                method: e.method,
                route: e.route,
                target: e.target,
                status: e.status,
                client: e.client,
                request_id: e.request_id,
            }
        })
        .collect();
    Ok(Json(AuditPage { items, next_cursor: crate::pages::next(next) }))
}
