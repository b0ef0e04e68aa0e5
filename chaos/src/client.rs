//! HTTP/1.1 calls of the load generator and the run: keep-alive connections to any address,
//! a deadline on every call, and errors sorted by whether the request may have reached the
//! server (Jepsen's `fail` against `info`).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as Legacy;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// How a call ended.
#[derive(Debug)]
pub enum Reply {
    /// An answer.
    Answer { status: u16, headers: hyper::HeaderMap, body: Value },
    /// No connection: nothing was sent, the call may go elsewhere.
    NotSent(String),
    /// Sent, no answer in time or the connection broke: it may have been done.
    Lost(String),
}

impl Reply {
    pub fn status(&self) -> Option<u16> {
        match self {
            Reply::Answer { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn body(&self) -> Option<&Value> {
        match self {
            Reply::Answer { body, .. } => Some(body),
            _ => None,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        match self {
            Reply::Answer { headers, .. } => headers.get(name).and_then(|v| v.to_str().ok()),
            _ => None,
        }
    }

    /// The `code` of an error answer, or the transport error.
    pub fn error(&self) -> Option<String> {
        match self {
            Reply::Answer { status, body, .. } if *status >= 400 => {
                Some(body.get("code").and_then(Value::as_str).map_or_else(|| format!("http_{status}"), str::to_string))
            }
            Reply::Answer { .. } => None,
            Reply::NotSent(e) => Some(format!("not_sent: {e}")),
            Reply::Lost(e) => Some(format!("lost: {e}")),
        }
    }
}

/// A pool of keep-alive connections to any number of servers.
#[derive(Clone)]
pub struct Client {
    inner: Legacy<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl Client {
    /// Calls give up after `timeout` (connecting included).
    pub fn new(timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        connector.set_nodelay(true);
        let inner = Legacy::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(20))
            .pool_max_idle_per_host(64)
            .build(connector);
        Self { inner, timeout }
    }

    /// `method path` on `addr` with `headers` and an optional JSON body.
    pub async fn call(
        &self,
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let mut req = hyper::Request::builder().method(method).uri(format!("http://{addr}{path}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let bytes = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let req = match req.body(Full::new(bytes)) {
            Ok(r) => r,
            Err(e) => return Reply::NotSent(e.to_string()),
        };
        let call = async {
            let response = match self.inner.request(req).await {
                Ok(r) => r,
                Err(e) if e.is_connect() => return Reply::NotSent(root_cause(&e)),
                Err(e) => return Reply::Lost(root_cause(&e)),
            };
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            match response.into_body().collect().await {
                Ok(body) => {
                    let body = body.to_bytes();
                    let body = serde_json::from_slice(&body)
                        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
                    Reply::Answer { status, headers, body }
                }
                Err(e) => Reply::Lost(format!("reading the body: {e}")),
            }
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(reply) => reply,
            Err(_) => Reply::Lost(format!("no answer in {} ms", self.timeout.as_millis())),
        }
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
