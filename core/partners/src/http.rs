//! What every partner client shares: a small HTTP/1 client with connection reuse, and the
//! error a partner call ends in, transient (retry later) or permanent (retrying cannot help).

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use partners_signing::Secret;
use serde_json::Value;

/// Why a delivery failed.
#[derive(Clone, Debug)]
pub struct DeliveryError {
    /// The partner's HTTP status, when it answered.
    pub http_status: Option<u16>,
    pub message: String,
    /// The partner refused this event for good (malformed): retrying cannot help.
    pub permanent: bool,
}

impl DeliveryError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self { http_status: None, message: message.into(), permanent: false }
    }

    /// A refusal retrying cannot change (a malformed event, an address the relay refuses).
    pub fn permanent(message: impl Into<String>) -> Self {
        Self { http_status: None, message: message.into(), permanent: true }
    }

    /// The error for a partner's non-2xx answer: 4xx other than 408, 409 and 429 are permanent
    /// (refused credentials, 401, included).
    pub fn from_status(status: u16, body: &[u8]) -> Self {
        let permanent = (400..500).contains(&status) && !matches!(status, 408 | 409 | 429);
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        Self { http_status: Some(status), message: format!("status {status}: {text}"), permanent }
    }

    /// The error for a partner's non-2xx answer to a request we signed: as
    /// [`DeliveryError::from_status`], but a 401 is retried. It says the signature's time or key
    /// was refused, which a clock put right or a secret rotated everywhere mends, not the event.
    pub fn from_signed_status(status: u16, body: &[u8]) -> Self {
        let mut error = Self::from_status(status, body);
        if status == 401 {
            error.permanent = false;
        }
        error
    }
}

/// A small HTTP/1 client for partner calls, with connection reuse.
#[derive(Clone, Debug)]
pub struct PartnerClient {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for PartnerClient {
    fn default() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(connector);
        Self { client }
    }
}

impl PartnerClient {
    /// Sends a request and reads the whole answer; transport failures are transient errors.
    pub async fn send(&self, request: hyper::Request<Full<Bytes>>) -> Result<(u16, Bytes), DeliveryError> {
        let (status, _, body) = self.send_with_headers(request).await?;
        Ok((status, body))
    }

    /// Like [`PartnerClient::send`], with the answer's headers.
    pub async fn send_with_headers(
        &self,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<(u16, http::HeaderMap, Bytes), DeliveryError> {
        let response = self.client.request(request).await.map_err(|e| DeliveryError::transient(e.to_string()))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.map_err(|e| DeliveryError::transient(e.to_string()))?;
        Ok((status, headers, body.to_bytes()))
    }

    /// POSTs `body` as JSON to `url`, signed with `secret` in `signature_header`, with `headers`;
    /// a 2xx answer is success, anything else a [`DeliveryError`] (see
    /// [`DeliveryError::from_signed_status`]).
    pub async fn post_signed(
        &self,
        url: &str,
        body: &Value,
        secret: &Secret,
        signature_header: &str,
        headers: &[(&str, String)],
    ) -> Result<(u16, Bytes), DeliveryError> {
        let body = Bytes::from(body.to_string());
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let mut request = hyper::Request::post(url)
            .header("content-type", "application/json")
            .header(signature_header, partners_signing::sign(secret.expose().as_bytes(), now, &body));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request.body(Full::new(body)).map_err(|e| DeliveryError::transient(e.to_string()))?;
        let (status, answer) = self.send(request).await?;
        if !(200..300).contains(&status) {
            return Err(DeliveryError::from_signed_status(status, &answer));
        }
        Ok((status, answer))
    }
}
