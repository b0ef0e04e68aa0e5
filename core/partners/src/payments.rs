//! The payment provider adapter: authorize, capture, void, refund and look up by order, over
//! the provider's HTTP API, each call bounded by a timeout. Authorizations are idempotent by
//! order (the order id is the Idempotency-Key), so a retried checkout can never charge twice.
//! Another provider is one more implementation of [`PaymentGateway`].

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tracing::Instrument;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use partners_signing::Secret;

/// What the provider says about an authorization.
#[derive(Clone, Debug, Deserialize)]
pub struct Authorization {
    pub id: String,
    /// `requires_action`, `authorized`, `declined`, `captured` or `voided`; refunds leave it
    /// `captured` and show in `refunded_minor`.
    pub status: String,
    pub amount_minor: i64,
    #[serde(default)]
    pub captured_minor: Option<i64>,
    #[serde(default)]
    pub refunded_minor: Option<i64>,
    #[serde(default)]
    pub decline_code: Option<String>,
    #[serde(default)]
    pub next_action: Option<Value>,
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum GatewayError {
    /// No answer in time: the outcome is unknown until a webhook or reconciliation says.
    #[error("the payment provider did not answer in time")]
    Timeout,
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request itself (a 4xx), with its code.
    #[error("payment provider refused: {code}")]
    Refused { status: u16, code: String },
}

pub type GatewayFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, GatewayError>> + Send + 'a>>;

pub trait PaymentGateway: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &str;
    /// Authorizes `amount` for an order with the shopper's card token; idempotent by order.
    fn authorize<'a>(
        &'a self,
        order: Uuid,
        token: &'a str,
        amount: i64,
        currency: &'a str,
    ) -> GatewayFuture<'a, Authorization>;
    fn capture<'a>(&'a self, authorization: &'a str, amount: i64) -> GatewayFuture<'a, Authorization>;
    fn void<'a>(&'a self, authorization: &'a str) -> GatewayFuture<'a, Authorization>;
    /// Refunds `amount`; idempotent by `key` (a return id).
    fn refund<'a>(&'a self, authorization: &'a str, amount: i64, key: &'a str) -> GatewayFuture<'a, Value>;
    /// The order's authorization at the provider, if any (after a timeout).
    fn find<'a>(&'a self, order: Uuid) -> GatewayFuture<'a, Option<Authorization>>;
}

/// The provider's HTTP API.
pub struct HttpGateway {
    base: String,
    api_key: Secret,
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl std::fmt::Debug for HttpGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpGateway").field("base", &self.base).field("timeout", &self.timeout).finish()
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<ErrorCode>,
    code: Option<String>,
}

#[derive(Deserialize)]
struct ErrorCode {
    code: String,
}

impl HttpGateway {
    pub fn new(base: impl Into<String>, api_key: Secret, timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(connector);
        Self { base: base.into().trim_end_matches('/').to_string(), api_key, client, timeout }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        idempotency_key: Option<&str>,
        body: Option<Value>,
    ) -> Result<Value, GatewayError> {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.api_key.expose()))
            .header("content-type", "application/json");
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let mut request = request.body(Full::new(body)).map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        // The provider's call is a span of the request's trace; its context goes along.
        let span =
            tracing::debug_span!("payments", otel.name = %format!("payments {method} {path}"), otel.kind = "client");
        telemetry::traces::inject(&span, request.headers_mut());
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| GatewayError::Unavailable(e.to_string()))?;
            let status = response.status();
            let bytes =
                response.into_body().collect().await.map_err(|e| GatewayError::Unavailable(e.to_string()))?.to_bytes();
            Ok::<_, GatewayError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(self.timeout, exchange.instrument(span))
            .await
            .map_err(|_| GatewayError::Timeout)??;
        if status.is_server_error() {
            return Err(GatewayError::Unavailable(format!("status {status}")));
        }
        if !status.is_success() {
            let code = serde_json::from_slice::<ErrorBody>(&bytes)
                .ok()
                .and_then(|e| e.error.map(|c| c.code).or(e.code))
                .unwrap_or_else(|| "unknown".into());
            return Err(GatewayError::Refused { status: status.as_u16(), code });
        }
        serde_json::from_slice(&bytes).map_err(|e| GatewayError::Unavailable(format!("malformed answer: {e}")))
    }
}

fn parse<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, GatewayError> {
    serde_json::from_value(v).map_err(|e| GatewayError::Unavailable(format!("malformed answer: {e}")))
}

impl PaymentGateway for HttpGateway {
    fn name(&self) -> &str {
        "standin"
    }

    fn authorize<'a>(
        &'a self,
        order: Uuid,
        token: &'a str,
        amount: i64,
        currency: &'a str,
    ) -> GatewayFuture<'a, Authorization> {
        Box::pin(async move {
            let key = order.to_string();
            let body = json!({"token": token, "amount_minor": amount, "currency": currency, "reference": key});
            parse(self.call("POST", "/v1/authorizations", Some(&key), Some(body)).await?)
        })
    }

    fn capture<'a>(&'a self, authorization: &'a str, amount: i64) -> GatewayFuture<'a, Authorization> {
        Box::pin(async move {
            let path = format!("/v1/authorizations/{authorization}/capture");
            parse(self.call("POST", &path, None, Some(json!({"amount_minor": amount}))).await?)
        })
    }

    fn void<'a>(&'a self, authorization: &'a str) -> GatewayFuture<'a, Authorization> {
        Box::pin(async move {
            parse(self.call("POST", &format!("/v1/authorizations/{authorization}/void"), None, Some(json!({}))).await?)
        })
    }

    fn refund<'a>(&'a self, authorization: &'a str, amount: i64, key: &'a str) -> GatewayFuture<'a, Value> {
        Box::pin(async move {
            let path = format!("/v1/authorizations/{authorization}/refunds");
            self.call("POST", &path, Some(key), Some(json!({"amount_minor": amount}))).await
        })
    }

    fn find<'a>(&'a self, order: Uuid) -> GatewayFuture<'a, Option<Authorization>> {
        Box::pin(async move {
            let found = self.call("GET", &format!("/v1/authorizations?reference={order}"), None, None).await?;
            let list = match found {
                Value::Array(items) => items,
                Value::Object(mut o) => match o.remove("data").or_else(|| o.remove("items")) {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            // Oldest first; one per order, since the order id is the idempotency key. Were there
            // several, the one that holds money is the one that matters.
            let mut found: Vec<Authorization> = list.into_iter().map(parse).collect::<Result<_, _>>()?;
            let holding = found.iter().rposition(|a| matches!(a.status.as_str(), "authorized" | "captured"));
            Ok(match holding {
                Some(i) => Some(found.swap_remove(i)),
                None => found.pop(),
            })
        })
    }
}
