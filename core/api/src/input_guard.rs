//! Every request's input checked once, at the boundary, on decoded values, before any handler,
//! log line or database sees it:
//! - **text**: control characters, Unicode noncharacters, invalid UTF-8 and over-long strings
//!   are refused (400 `invalid_text`, `text_too_long`; see [`text`]);
//! - **card data**: a card number in any shape ([`telemetry::card_numbers`]) is refused (400
//!   `card_data_rejected`). Shoppers send their card to the payment provider's tokenization
//!   endpoint and give us the token (PCI DSS scope reduction).
//!
//! What is decoded: each path segment (percent-decoding), each query parameter's name and value
//! (form decoding, and percent-escapes decoded again while any remain, so `%2534` is seen as
//! `4`), the headers we keep (`Idempotency-Key`, `X-Request-Id`), and a JSON body parsed into
//! values: every string, object key and number (JSON `\u` escapes undone). A body that is not
//! JSON is read as form fields when it says so, else as text. Partners' signed webhooks
//! (`/webhooks/…`, verified over their raw bytes by their handlers) and the edges' own routes
//! (`/internal/…`) have their path and query checked, not their body.
//!
//! The body is read once here (bounded by the same limit as every route) and handed on
//! unchanged. A refusal names where the problem is, never the value, and logs the route
//! template only.

mod text;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::ApiError;
pub use text::{Problem, TextKind};

/// Request headers whose values are stored or logged, and so checked for card numbers.
const KEPT_HEADERS: [&str; 2] = ["idempotency-key", "x-request-id"];

/// Percent-decoding rounds of a query value looked at for card numbers (`%253` → `%3` → `3`).
const DECODE_ROUNDS: usize = 3;

pub async fn layer(request: Request, next: Next) -> Response {
    let partner_or_internal = {
        let path = request.uri().path();
        path.starts_with("/webhooks/") || path.starts_with("/internal/")
    };
    let checks = Checks { cards: !partner_or_internal };
    if let Err(refusal) = checks.target(request.uri().path(), request.uri().query()) {
        return refuse(request, refusal).await;
    }
    for name in KEPT_HEADERS {
        if let Some(value) = request.headers().get(name)
            && checks.cards
            && telemetry::card_numbers::carries(&String::from_utf8_lossy(value.as_bytes()))
        {
            return refuse(request, Refusal::Card { at: format!("header {name}") }).await;
        }
    }
    if partner_or_internal || !may_have_body(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::idempotency::MAX_BODY).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
            .into_response();
    };
    let form = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if let Err(refusal) = checks.body(&bytes, form) {
        return refusal.answer(parts.uri.path());
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Answers `refusal` once the request's body is read: a connection closed on unread bytes is
/// reset, and the reset can destroy the answer before the client (the edge) reads it.
async fn refuse(request: Request, refusal: Refusal) -> Response {
    let (parts, body) = request.into_parts();
    let _ = axum::body::to_bytes(body, crate::idempotency::MAX_BODY).await;
    refusal.answer(parts.uri.path())
}

/// Why a request was refused, and where in it.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Text { at: String, problem: Problem },
    Card { at: String },
}

impl Refusal {
    fn answer(self, path: &str) -> Response {
        let route = telemetry::routes::template_of(path).0;
        // Where the problem is, as told to the client: made of names the client sent, which
        // may themselves join into a card number.
        let hide = |at: String| if telemetry::card_numbers::carries(&at) { "the request".to_string() } else { at };
        match self {
            Self::Card { at } => {
                let at = hide(at);
                tracing::warn!(route, at = %at, "request carrying a card number rejected");
                ApiError::bad_request(
                    "card_data_rejected",
                    format!(
                        "{at}: card numbers are not accepted here: send the card to the payment provider's \
                         tokenization endpoint and use its token"
                    ),
                )
                .into_response()
            }
            Self::Text { at, problem } => {
                let at = hide(at);
                tracing::debug!(route, at = %at, problem = %problem, "request with invalid text rejected");
                ApiError::bad_request(problem.code(), format!("{at}: {problem}")).into_response()
            }
        }
    }
}

/// The checks of one request.
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    /// Whether card numbers are looked for (not in partners' signed bodies).
    pub cards: bool,
}

impl Checks {
    /// The path's segments and the query's parameters.
    pub fn target(self, path: &str, query: Option<&str>) -> Result<(), Refusal> {
        let mut decoded_path = String::with_capacity(path.len());
        for (i, raw) in path.split('/').enumerate().skip(1) {
            let at = || format!("path segment {i}");
            let segment = decode(raw, false).map_err(|problem| Refusal::Text { at: at(), problem })?;
            text::check(&segment, TextKind::Path).map_err(|problem| Refusal::Text { at: at(), problem })?;
            decoded_path.push('/');
            decoded_path.push_str(&segment);
        }
        self.card(&decoded_path, || "the path".into())?;
        let Some(query) = query else { return Ok(()) };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name =
                decode(raw_name, true).map_err(|problem| Refusal::Text { at: "a query parameter".into(), problem })?;
            let at = || format!("query parameter `{}`", printable(&name));
            text::check(&name, TextKind::Query).map_err(|problem| Refusal::Text { at: at(), problem })?;
            let value = decode(raw_value, true).map_err(|problem| Refusal::Text { at: at(), problem })?;
            text::check(&value, TextKind::Query).map_err(|problem| Refusal::Text { at: at(), problem })?;
            for text in [&name, &value] {
                let mut text = text.clone();
                for _ in 0..DECODE_ROUNDS {
                    self.card(&text, at)?;
                    match decode(&text, false) {
                        Ok(again) if again != text => text = again,
                        _ => break,
                    }
                }
            }
        }
        Ok(())
    }

    /// A request body: JSON values, form fields, or text.
    pub fn body(self, bytes: &[u8], form: bool) -> Result<(), Refusal> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        if form {
            return self.target("", Some(&String::from_utf8_lossy(bytes)));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(value) => self.value(&value, &mut String::new()),
            // Not JSON: its handler refuses it, but a card number in it is still refused here,
            // before anything may log it.
            Err(_) => {
                let text = String::from_utf8_lossy(bytes);
                self.card(&text, || "the body".into())?;
                match decode(&text, true) {
                    Ok(decoded) => self.card(&decoded, || "the body".into()),
                    Err(_) => Ok(()),
                }
            }
        }
    }

    /// One JSON value and everything in it; `at` is its place (`ship_to.line1`, `lines[2]`).
    fn value(self, value: &Value, at: &mut String) -> Result<(), Refusal> {
        let place = |at: &str| if at.is_empty() { "the body".to_string() } else { format!("`{at}`") };
        match value {
            Value::String(s) => {
                text::check(s, TextKind::Body).map_err(|problem| Refusal::Text { at: place(at), problem })?;
                self.card(s, || place(at))
            }
            // Floats as plain decimals: `4242424242424242.0` is not written with an exponent.
            Value::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
                Some(f) => self.card(&format!("{f}"), || place(at)),
                None => self.card(&n.to_string(), || place(at)),
            },
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = at.len();
                    at.push_str(&format!("[{i}]"));
                    self.value(item, at)?;
                    at.truncate(len);
                }
                Ok(())
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    let len = at.len();
                    text::check(key, TextKind::Key).map_err(|problem| Refusal::Text { at: place(at), problem })?;
                    self.card(key, || place(at))?;
                    if !at.is_empty() {
                        at.push('.');
                    }
                    at.push_str(&printable(key));
                    self.value(item, at)?;
                    at.truncate(len);
                }
                Ok(())
            }
            Value::Null | Value::Bool(_) => Ok(()),
        }
    }

    fn card(self, text: &str, at: impl FnOnce() -> String) -> Result<(), Refusal> {
        if self.cards && telemetry::card_numbers::carries(text) {
            return Err(Refusal::Card { at: at() });
        }
        Ok(())
    }
}

/// Percent-decodes `raw` (and `+` as a space in form fields) into text.
fn decode(raw: &str, form: bool) -> Result<String, Problem> {
    let spaced;
    let raw = if form && raw.contains('+') {
        spaced = raw.replace('+', " ");
        spaced.as_str()
    } else {
        raw
    };
    if !raw.contains('%') {
        return Ok(raw.to_string());
    }
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(raw).collect();
    String::from_utf8(bytes).map_err(|_| Problem::InvalidUtf8)
}

/// A name as an error message may show it: its first 40 characters, control characters
/// escaped, digits of a possible card number never (the name passed the card check first).
fn printable(name: &str) -> String {
    name.chars().take(40).flat_map(char::escape_debug).collect()
}

/// Whether the request may carry body bytes, whatever its headers say.
fn may_have_body(request: &Request) -> bool {
    !axum::body::HttpBody::is_end_stream(request.body())
}

#[cfg(test)]
mod tests;
