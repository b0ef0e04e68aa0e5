//! The HTTP API: routes, request bodies, authentication, fault injection, CORS for the
//! browser-facing endpoints.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tracing::{debug, info};

use crate::Secret;
use crate::cards::{self, YearMonth};
use crate::error::ApiError;
use crate::faults::{Faults, Knobs, KnobsPatch};
use crate::model::{Authorization, valid_amount};
use crate::server::DropConnection;
use crate::store::{NewAuthorization, Reply, Store, fingerprint};
use crate::webhooks::{Outbox, WebhookStats};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
/// The longest merchant reference accepted.
pub const MAX_REFERENCE_LEN: usize = 255;

/// Everything a handler needs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct App(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    /// Tokens, authorizations, idempotency keys.
    pub store: Store,
    /// The live fault knobs.
    pub faults: Faults,
    /// Webhook queue and its counters (the store emits into a clone of it).
    pub outbox: Outbox,
    /// The merchant's secret API key (`Authorization: Bearer …`).
    pub api_key: Secret,
    /// How long the processing-timeout card's answer is held back.
    pub slow_card_delay: Duration,
}

impl App {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

pub fn router(app: App) -> Router {
    // Called by the shopper's browser: no API key, any origin, no fault knobs.
    let browser = Router::new()
        .route("/v1/tokens", post(tokenize).options(preflight))
        .route("/3ds/{id}", get(challenge_page))
        .route("/3ds/{id}/complete", post(complete_challenge).options(preflight))
        .layer(middleware::map_response(allow_any_origin));
    // Called by the merchant's servers: API key, fault knobs.
    let api = Router::new()
        .route("/v1/authorizations", post(authorize).get(list_authorizations))
        .route("/v1/authorizations/{id}", get(get_authorization))
        .route("/v1/authorizations/{id}/capture", post(capture))
        .route("/v1/authorizations/{id}/void", post(void))
        .route("/v1/authorizations/{id}/refunds", post(refund))
        .route_layer(middleware::from_fn_with_state(app.clone(), inject_faults))
        .route_layer(middleware::from_fn_with_state(app.clone(), require_api_key));
    // Test and benchmark controls: API key, never faulted.
    let control = Router::new()
        .route("/_control", get(show_control).post(set_control))
        .route("/_control/reset", post(reset_control))
        .route("/_audit", get(audit))
        .route_layer(middleware::from_fn_with_state(app.clone(), require_api_key));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(crate::metrics::serve))
        .merge(browser)
        .merge(api)
        .merge(control)
        .fallback(|| async { ApiError::not_found("not_found", "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(crate::metrics::layer))
        .with_state(app)
}

// ---- middleware ----

async fn require_api_key(State(app): State<App>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(key) if app.api_key.matches(key.trim()) => next.run(request).await,
        _ => ApiError::new(StatusCode::UNAUTHORIZED, "invalid_api_key", "a valid secret API key is required")
            .into_response(),
    }
}

async fn inject_faults(State(app): State<App>, request: Request, next: Next) -> Response {
    let latency = app.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if app.faults.take_failure() {
        info!(path = %telemetry::redact::target(request.uri().path(), None), "failing an api call on purpose");
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the provider failed to process the request; nothing was done, retry",
        )
        .into_response();
    }
    next.run(request).await
}

async fn allow_any_origin(mut response: Response) -> Response {
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"),
            (header::ACCESS_CONTROL_MAX_AGE, "600"),
        ],
    )
        .into_response()
}

// ---- bodies ----

/// Parses a JSON body; an empty body reads as `{}` when `T` allows it. `generic` replaces the
/// parser's message (which may quote the input) for bodies that carry card data.
fn parse<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>, generic: Option<&str>) -> Result<T, ApiError> {
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body must be at most {MAX_BODY_BYTES} bytes"),
        ),
        _ => ApiError::bad_request("invalid_request", "the body could not be read"),
    })?;
    let bytes: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &body };
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request("invalid_request", generic.map(str::to_string).unwrap_or_else(|| e.to_string()))
    })
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    match value.to_str() {
        Ok(key) if !key.is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY_LEN => Ok(Some(key.to_string())),
        _ => Err(ApiError::bad_request(
            "invalid_idempotency_key",
            format!("the Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"),
        )),
    }
}

fn required_idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    idempotency_key(headers)?.ok_or_else(|| {
        ApiError::bad_request("missing_idempotency_key", "this request requires an Idempotency-Key header")
    })
}

fn json_reply(reply: Reply) -> Response {
    let mut response = (reply.status, reply.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if reply.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

// ---- browser endpoints ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    number: String,
    exp_month: u32,
    exp_year: u32,
    cvc: String,
}

#[derive(Serialize)]
struct TokenResponse {
    token: String,
    brand: cards::Brand,
    last4: String,
    exp_month: u8,
    exp_year: u16,
}

async fn tokenize(State(app): State<App>, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    let req: TokenRequest = parse(
        body,
        Some("the body must be a JSON object with number and cvc (strings), exp_month and exp_year (integers)"),
    )?;
    let card = cards::check_card(&req.number, req.exp_month, req.exp_year, &req.cvc, YearMonth::now_utc())?;
    let response = TokenResponse {
        token: String::new(),
        brand: card.brand,
        last4: card.last4.clone(),
        exp_month: card.exp_month,
        exp_year: card.exp_year,
    };
    let scenario = card.scenario;
    let token = app.store.tokenize(card);
    debug!(token = %token, brand = ?response.brand, last4 = %response.last4, scenario = ?scenario, "card tokenized");
    Ok((StatusCode::OK, Json(TokenResponse { token, ..response })).into_response())
}

async fn challenge_page(State(app): State<App>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let auth = app.store.get(&id).ok_or_else(auth_not_found)?;
    // Only our own id and validated fields go into the page.
    let page = format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>3-D Secure test challenge</title></head>
<body>
<h1>3-D Secure test challenge</h1>
<p>Authorization {id}: {amount} {currency} (minor units), card ending {last4}.</p>
<button onclick="finish('pass')">Pass</button> <button onclick="finish('fail')">Fail</button>
<p id="result"></p>
<script>
async function finish(outcome) {{
  const r = await fetch(location.pathname + '/complete', {{method: 'POST', headers: {{'content-type': 'application/json'}}, body: JSON.stringify({{outcome}})}});
  const body = await r.json();
  document.getElementById('result').textContent = body.status || (body.error && body.error.code);
}}
</script>
</body></html>
"#,
        id = auth.id,
        amount = auth.amount_minor,
        currency = auth.currency,
        last4 = auth.card.last4,
    );
    Ok(Html(page).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChallengeRequest {
    outcome: ChallengeOutcome,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum ChallengeOutcome {
    Pass,
    Fail,
}

async fn complete_challenge(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: ChallengeRequest = parse(body, None)?;
    let reply = app.store.complete_challenge(&id, matches!(req.outcome, ChallengeOutcome::Pass))?;
    Ok(json_reply(reply))
}

// ---- merchant API ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizationRequest {
    token: String,
    amount_minor: i64,
    currency: String,
    reference: String,
}

impl AuthorizationRequest {
    fn validate(self) -> Result<NewAuthorization, ApiError> {
        if !valid_amount(self.amount_minor) {
            return Err(ApiError::bad_request(
                "invalid_amount",
                format!("amount_minor must be an integer from 1 to {}", crate::model::MAX_AMOUNT_MINOR),
            ));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ApiError::bad_request("invalid_currency", "currency must be a three-letter ISO 4217 code"));
        }
        if self.reference.is_empty()
            || self.reference.len() > MAX_REFERENCE_LEN
            || self.reference.chars().any(char::is_control)
        {
            return Err(ApiError::bad_request(
                "invalid_reference",
                format!("reference must be 1 to {MAX_REFERENCE_LEN} bytes without control characters"),
            ));
        }
        if self.token.is_empty() {
            return Err(ApiError::bad_request("invalid_token", "no such token"));
        }
        Ok(NewAuthorization {
            token: self.token,
            amount_minor: self.amount_minor,
            currency: self.currency.to_ascii_uppercase(),
            reference: self.reference,
        })
    }
}

async fn authorize(
    State(app): State<App>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let key = required_idempotency_key(&headers)?;
    let req = parse::<AuthorizationRequest>(body, None)?.validate()?;
    let fp = fingerprint("POST", "/v1/authorizations", &req);
    let reply = app.store.authorize(&key, fp, req)?;
    if !reply.replayed {
        if app.faults.take_dropped_response() {
            info!("dropping the response of a committed authorization on purpose");
            let mut response = StatusCode::OK.into_response();
            response.extensions_mut().insert(DropConnection);
            return Ok(response);
        }
        if reply.slow {
            tokio::time::sleep(app.slow_card_delay).await;
        }
    }
    Ok(json_reply(reply))
}

#[derive(Deserialize)]
struct ReferenceQuery {
    reference: Option<String>,
}

#[derive(Serialize)]
struct List {
    data: Vec<Authorization>,
}

async fn list_authorizations(
    State(app): State<App>,
    query: Result<Query<ReferenceQuery>, QueryRejection>,
) -> Result<Json<List>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_request", e.body_text()))?;
    let reference = query
        .reference
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::bad_request("missing_reference", "list authorizations by ?reference=<order id>"))?;
    Ok(Json(List { data: app.store.by_reference(&reference) }))
}

async fn get_authorization(State(app): State<App>, Path(id): Path<String>) -> Result<Json<Authorization>, ApiError> {
    app.store.get(&id).map(Json).ok_or_else(auth_not_found)
}

#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
struct AmountRequest {
    amount_minor: Option<i64>,
}

async fn capture(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let req: AmountRequest = parse(body, None)?;
    let fp = fingerprint("POST", &format!("/v1/authorizations/{id}/capture"), &req);
    Ok(json_reply(app.store.capture(&id, key.as_deref(), fp, req.amount_minor)?))
}

async fn void(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let _: EmptyRequest = parse(body, None)?;
    let fp = fingerprint("POST", &format!("/v1/authorizations/{id}/void"), &());
    Ok(json_reply(app.store.void(&id, key.as_deref(), fp)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyRequest {}

async fn refund(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let key = required_idempotency_key(&headers)?;
    let req: AmountRequest = parse(body, None)?;
    let fp = fingerprint("POST", &format!("/v1/authorizations/{id}/refunds"), &req);
    let reply = app.store.refund(&id, &key, fp, req.amount_minor)?;
    if reply.status.is_success() && !reply.replayed {
        crate::metrics::METRICS.refunds.inc();
    }
    Ok(json_reply(reply))
}

fn auth_not_found() -> ApiError {
    ApiError::not_found("authorization_not_found", "no such authorization")
}

// ---- controls ----

#[derive(Serialize)]
struct ControlView {
    knobs: Knobs,
    webhooks: WebhookStats,
}

fn control_view(app: &App) -> Json<ControlView> {
    Json(ControlView { knobs: app.faults.current(), webhooks: app.outbox.stats() })
}

async fn show_control(State(app): State<App>) -> Json<ControlView> {
    control_view(&app)
}

async fn set_control(
    State(app): State<App>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ControlView>, ApiError> {
    let patch: KnobsPatch = parse(body, None)?;
    let knobs = app.faults.apply(&patch).map_err(|m| ApiError::bad_request("invalid_request", m))?;
    info!(knobs = ?knobs, "fault knobs changed");
    Ok(control_view(&app))
}

async fn reset_control(State(app): State<App>) -> Json<ControlView> {
    let knobs = app.faults.reset();
    app.store.clear();
    info!(knobs = ?knobs, "fault knobs reset and state cleared");
    control_view(&app)
}

async fn audit(
    State(app): State<App>,
    query: Result<Query<ReferenceQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_request", e.body_text()))?;
    Ok(Json(app.store.audit(query.reference.as_deref())).into_response())
}
