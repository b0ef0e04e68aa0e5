//! `parcelo`: a JSON REST API with client-credential access tokens.

use bytes::Bytes;
use core_domain::shipping::TrackingStatus;
use http_body_util::Full;
use partners_signing::Secret;
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use super::{Carrier, CarrierFuture, LabelMade, Rate, ShipmentSpec, Tracking, transient};
use crate::http::{DeliveryError, PartnerClient};

/// The `parcelo` carrier's JSON API. Its access token is fetched with the client credentials
/// when missing, and again once when the carrier stops accepting it.
#[derive(Debug)]
pub struct RestCarrier {
    base: String,
    client_id: String,
    client_secret: Secret,
    webhook_secret: Secret,
    client: PartnerClient,
    /// The access token; held while one is fetched, so that concurrent calls share it.
    token: tokio::sync::Mutex<Option<String>>,
}

impl RestCarrier {
    pub fn new(base: &str, client_id: &str, client_secret: Secret, webhook_secret: Secret) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            client_secret,
            webhook_secret,
            client: PartnerClient::default(),
            token: tokio::sync::Mutex::new(None),
        }
    }

    async fn token(&self) -> Result<String, DeliveryError> {
        let mut held = self.token.lock().await;
        if let Some(t) = held.clone() {
            return Ok(t);
        }
        let body = json!({"grant_type": "client_credentials", "client_id": self.client_id,
            "client_secret": self.client_secret.expose()});
        let (status, answer) = self.send("/oauth/token", None, &body, None).await?;
        if status != 200 {
            return Err(DeliveryError::from_status(status, &answer));
        }
        let token: Value = serde_json::from_slice(&answer).map_err(transient)?;
        let token = token["access_token"].as_str().ok_or_else(|| transient("no access token"))?.to_string();
        *held = Some(token.clone());
        Ok(token)
    }

    async fn send(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
        key: Option<&str>,
    ) -> Result<(u16, Bytes), DeliveryError> {
        let mut request =
            hyper::Request::post(format!("{}{path}", self.base)).header("content-type", "application/json");
        if let Some(t) = token {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        if let Some(k) = key {
            request = request.header("idempotency-key", k);
        }
        let request = request.body(Full::new(Bytes::from(body.to_string()))).map_err(transient)?;
        self.client.send(request).await
    }

    /// A call with the access token, fetched again once if the carrier refuses it.
    async fn call(&self, path: &str, body: &Value, key: Option<&str>) -> Result<Value, DeliveryError> {
        for _ in 0..2 {
            let token = self.token().await?;
            let (status, answer) = self.send(path, Some(&token), body, key).await?;
            if status == 401 {
                let mut held = self.token.lock().await;
                if held.as_deref() == Some(token.as_str()) {
                    *held = None;
                }
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(DeliveryError::from_status(status, &answer));
            }
            return serde_json::from_slice(&answer).map_err(transient);
        }
        Err(transient("the carrier refused a fresh access token"))
    }
}

impl RestCarrier {
    /// A label (`/v1/shipments`) or return label (`/v1/returns`), the reference as idempotency key.
    async fn label(
        &self,
        path: &str,
        country_field: &str,
        s: &ShipmentSpec,
        service: &str,
    ) -> Result<LabelMade, DeliveryError> {
        let parcels: Vec<Value> = s.parcels.iter().map(|w| json!({"weight_grams": w})).collect();
        let mut body = json!({"reference": s.reference, "service": service, "parcels": parcels});
        body[country_field] = json!(s.country);
        let a = self.call(path, &body, Some(&s.reference)).await?;
        let text = |k: &str| a[k].as_str().map(str::to_string).ok_or_else(|| transient(format!("no {k}")));
        Ok(LabelMade {
            carrier_label_id: text("id")?,
            tracking_number: text("tracking_number")?,
            label_url: a["label"]["url"].as_str().unwrap_or_default().to_string(),
            eta: a["estimated_delivery"].as_str().and_then(iso_date),
        })
    }
}

impl Carrier for RestCarrier {
    fn code(&self) -> &str {
        "parcelo"
    }

    fn rates<'a>(&'a self, s: &'a ShipmentSpec) -> CarrierFuture<'a, Vec<Rate>> {
        Box::pin(async move {
            let body = json!({"origin": s.origin, "destination_country": s.country, "weight_grams": s.weight(),
                "currency": s.currency});
            let answer = self.call("/v1/rates", &body, None).await?;
            let rates = answer["rates"].as_array().ok_or_else(|| transient("no rates"))?;
            Ok(rates
                .iter()
                .filter_map(|r| {
                    Some(Rate {
                        carrier: self.code().into(),
                        service: r["service"].as_str()?.into(),
                        amount_minor: r["amount_minor"].as_i64()?,
                        transit_days: r["transit_days"].as_i64()?,
                    })
                })
                .collect())
        })
    }

    fn create_label<'a>(&'a self, s: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade> {
        Box::pin(self.label("/v1/shipments", "destination_country", s, service))
    }

    fn create_return_label<'a>(&'a self, s: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade> {
        Box::pin(self.label("/v1/returns", "origin_country", s, service))
    }

    fn cancel_label<'a>(&'a self, label: &'a LabelMade) -> CarrierFuture<'a, ()> {
        Box::pin(async move {
            self.call(&format!("/v1/shipments/{}/cancel", label.carrier_label_id), &json!({}), None).await?;
            Ok(())
        })
    }

    fn webhook_secret(&self) -> &Secret {
        &self.webhook_secret
    }

    fn read_tracking(&self, body: &[u8]) -> Result<Tracking, String> {
        #[derive(Deserialize)]
        struct In {
            event_id: String,
            tracking_number: String,
            status: String,
            occurred_at: String,
            #[serde(default)]
            estimated_delivery: Option<String>,
        }
        let e: In = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let status = match e.status.as_str() {
            "LABEL_CREATED" => TrackingStatus::LabelCreated,
            "IN_TRANSIT" => TrackingStatus::InTransit,
            "OUT_FOR_DELIVERY" => TrackingStatus::OutForDelivery,
            "DELIVERED" => TrackingStatus::Delivered,
            "EXCEPTION" => TrackingStatus::Exception,
            "RETURNED_TO_SENDER" => TrackingStatus::Returned,
            other => return Err(format!("unknown status `{other}`")),
        };
        let occurred_at = OffsetDateTime::parse(&e.occurred_at, &time::format_description::well_known::Rfc3339)
            .map_err(|_| "`occurred_at` is not RFC 3339".to_string())?;
        Ok(Tracking {
            event_id: e.event_id,
            tracking_number: e.tracking_number,
            status,
            carrier_status: e.status,
            occurred_at,
            eta: e.estimated_delivery.as_deref().and_then(iso_date),
        })
    }
}

fn iso_date(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}
