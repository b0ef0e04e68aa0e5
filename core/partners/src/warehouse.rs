//! The retailer's warehouse system: pick requests (signed, idempotent by request id) and its
//! stock feed (the full count as CSV with its sequence number, and the changes after one).

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::Full;
use partners_signing::Secret;
use serde_json::{Value, json};

use crate::http::{DeliveryError, PartnerClient};

/// The warehouse system's API.
#[derive(Debug)]
pub struct WarehouseClient {
    base: String,
    api_key: Secret,
    /// What our requests are signed with (the outbox webhook secret).
    secret: Secret,
    client: PartnerClient,
}

/// One warehouse's part of an order, to pick.
#[derive(Debug, Clone)]
pub struct PickRequest<'a> {
    /// The request's id, also its idempotency key: the system recognises a repeat by it.
    pub id: &'a str,
    pub order_id: uuid::Uuid,
    pub order_number: &'a str,
    pub warehouse: &'a str,
    /// (SKU, quantity).
    pub lines: &'a [(String, i64)],
}

impl WarehouseClient {
    pub fn new(base: impl Into<String>, api_key: Secret, secret: Secret) -> Self {
        let base = base.into().trim_end_matches('/').to_string();
        Self { base, api_key, secret, client: PartnerClient::default() }
    }

    fn auth(&self) -> (&'static str, String) {
        ("authorization", format!("Bearer {}", self.api_key.expose()))
    }

    /// Sends a pick request; the system's HTTP status when it took it.
    pub async fn pick(&self, pick: &PickRequest<'_>) -> Result<u16, DeliveryError> {
        let lines: Vec<Value> = pick.lines.iter().map(|(sku, q)| json!({"sku": sku, "quantity": q})).collect();
        let body = json!({
            "id": pick.id, "order_id": pick.order_id, "order_number": pick.order_number,
            "warehouse": pick.warehouse, "lines": lines,
        });
        let headers = [self.auth(), ("idempotency-key", pick.id.to_string())];
        let url = format!("{}/v1/picks", self.base);
        let signature = partners_signing::SHOP_SIGNATURE_HEADER;
        let (status, _) = self.client.post_signed(&url, &body, &self.secret, signature, &headers).await?;
        Ok(status)
    }

    /// A warehouse's full count (`sku,on_hand` CSV) and the feed sequence number it stands at.
    pub async fn snapshot(&self, warehouse: &str) -> Result<(u64, Bytes), DeliveryError> {
        let (headers, csv) = self.get(&format!("/v1/stock/{warehouse}/snapshot.csv")).await?;
        let seq = headers.get("x-feed-sequence").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(0);
        Ok((seq, csv))
    }

    /// A warehouse's stock changes after sequence number `after` (`{"deltas": […]}`).
    pub async fn deltas_after(&self, warehouse: &str, after: u64) -> Result<Bytes, DeliveryError> {
        Ok(self.get(&format!("/v1/stock/{warehouse}/deltas?after={after}")).await?.1)
    }

    async fn get(&self, path: &str) -> Result<(HeaderMap, Bytes), DeliveryError> {
        let (name, value) = self.auth();
        let request = hyper::Request::get(format!("{}{path}", self.base))
            .header(name, value)
            .body(Full::new(Bytes::new()))
            .map_err(|e| DeliveryError::transient(e.to_string()))?;
        let (status, headers, body) = self.client.send_with_headers(request).await?;
        if !(200..300).contains(&status) {
            return Err(DeliveryError::from_status(status, &body));
        }
        Ok((headers, body))
    }
}
