//! `classicpost`: a legacy XML API; the account and password travel in every request.

use bytes::Bytes;
use core_domain::shipping::TrackingStatus;
use http_body_util::Full;
use partners_signing::Secret;
use time::{Date, PrimitiveDateTime};

use super::{Carrier, CarrierFuture, LabelMade, Rate, ShipmentSpec, Tracking, transient};
use crate::http::{DeliveryError, PartnerClient};

/// The `classicpost` carrier's XML API; the account and password travel in every request.
#[derive(Debug)]
pub struct XmlCarrier {
    base: String,
    account: String,
    password: Secret,
    webhook_secret: Secret,
    client: PartnerClient,
}

impl XmlCarrier {
    pub fn new(base: &str, account: &str, password: Secret, webhook_secret: Secret) -> Self {
        let base = base.trim_end_matches('/').to_string();
        Self { base, account: account.to_string(), password, webhook_secret, client: PartnerClient::default() }
    }

    /// Posts `<{root}>` with the credentials and `fields`, and answers the reply document.
    async fn call(&self, path: &str, root: &str, fields: &[(&str, String)]) -> Result<String, DeliveryError> {
        let mut doc = format!(
            "<?xml version=\"1.0\"?><{root}><Account>{}</Account><Password>{}</Password>",
            escape(&self.account),
            escape(self.password.expose())
        );
        for (tag, value) in fields {
            doc.push_str(&format!("<{tag}>{}</{tag}>", escape(value)));
        }
        doc.push_str(&format!("</{root}>"));
        let request = hyper::Request::post(format!("{}{path}", self.base))
            .header("content-type", "application/xml")
            .body(Full::new(Bytes::from(doc)))
            .map_err(transient)?;
        let (status, answer) = self.client.send(request).await?;
        if !(200..300).contains(&status) {
            return Err(DeliveryError::from_status(status, &answer));
        }
        String::from_utf8(answer.to_vec()).map_err(transient)
    }
}

impl XmlCarrier {
    /// A label (`<ShipRequest>`) or return label (`<ReturnRequest>`): the same `Reference`
    /// answers the same label.
    async fn label(&self, path: &str, root: &str, s: &ShipmentSpec, service: &str) -> Result<LabelMade, DeliveryError> {
        let fields = [
            ("Reference", s.reference.clone()),
            ("Service", their_service(service)),
            ("Country", s.country.clone()),
            ("Weight", s.weight().to_string()),
            ("Pieces", s.parcels.len().to_string()),
        ];
        let doc = self.call(path, root, &fields).await?;
        let text = |tag: &str| element(&doc, tag).ok_or_else(|| transient(format!("no {tag}")));
        Ok(LabelMade {
            carrier_label_id: text("ShipmentNumber")?,
            tracking_number: text("TrackingNumber")?,
            label_url: element(&doc, "LabelUrl").unwrap_or_default(),
            eta: element(&doc, "DeliveryDate").as_deref().and_then(compact_date),
        })
    }
}

/// Our service codes (lowercase snake case, as markets and shoppers name them) and the legacy
/// API's own (`ECO`, `PRIO`): translated here, at the boundary, both ways.
const SERVICES: [(&str, &str); 2] = [("economy", "ECO"), ("priority", "PRIO")];

/// The API's code of one of our services (an unknown one goes as it is, upper-cased).
pub(crate) fn their_service(ours: &str) -> String {
    SERVICES.iter().find(|(o, _)| *o == ours).map_or_else(|| ours.to_ascii_uppercase(), |(_, t)| t.to_string())
}

/// Our code of one of the API's services (an unknown one lower-cased).
pub(crate) fn our_service(theirs: &str) -> String {
    SERVICES
        .iter()
        .find(|(_, t)| t.eq_ignore_ascii_case(theirs))
        .map_or_else(|| theirs.to_ascii_lowercase(), |(o, _)| o.to_string())
}

/// Escapes text for an XML element.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The text of each `<tag>…</tag>` in `doc`, in order, unescaped: the legacy API's documents
/// are flat, without attributes or namespaces.
pub(crate) fn elements<'a>(doc: &'a str, tag: &'a str) -> impl Iterator<Item = String> + 'a {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut rest = doc;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let end = start + rest[start..].find(&close)?;
        let text = rest[start..end].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        rest = &rest[end + close.len()..];
        Some(text)
    })
}

fn element(doc: &str, tag: &str) -> Option<String> {
    elements(doc, tag).next()
}

impl Carrier for XmlCarrier {
    fn code(&self) -> &str {
        "classicpost"
    }

    fn rates<'a>(&'a self, s: &'a ShipmentSpec) -> CarrierFuture<'a, Vec<Rate>> {
        Box::pin(async move {
            let fields =
                [("Origin", s.origin.clone()), ("Country", s.country.clone()), ("Weight", s.weight().to_string())];
            let doc = self.call("/xml/rate", "RateRequest", &fields).await?;
            Ok(elements(&doc, "Rate")
                .filter_map(|r| {
                    Some(Rate {
                        carrier: self.code().into(),
                        service: our_service(&element(&r, "Service")?),
                        amount_minor: element(&r, "Charge")?.trim().parse().ok()?,
                        transit_days: element(&r, "TransitDays")?.trim().parse().ok()?,
                    })
                })
                .collect())
        })
    }

    fn create_label<'a>(&'a self, s: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade> {
        Box::pin(self.label("/xml/ship", "ShipRequest", s, service))
    }

    fn create_return_label<'a>(&'a self, s: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade> {
        Box::pin(self.label("/xml/return", "ReturnRequest", s, service))
    }

    fn cancel_label<'a>(&'a self, label: &'a LabelMade) -> CarrierFuture<'a, ()> {
        Box::pin(async move {
            self.call("/xml/void", "VoidRequest", &[("TrackingNumber", label.tracking_number.clone())]).await?;
            Ok(())
        })
    }

    fn webhook_secret(&self) -> &Secret {
        &self.webhook_secret
    }

    fn read_tracking(&self, body: &[u8]) -> Result<Tracking, String> {
        let doc = std::str::from_utf8(body).map_err(|_| "not UTF-8".to_string())?;
        let field = |tag: &str| element(doc, tag).filter(|v| !v.is_empty()).ok_or(format!("no <{tag}>"));
        let code = field("StatusCode")?;
        let status = match code.as_str() {
            "LC" => TrackingStatus::LabelCreated,
            "IT" => TrackingStatus::InTransit,
            "OD" => TrackingStatus::OutForDelivery,
            "DL" => TrackingStatus::Delivered,
            "EX" => TrackingStatus::Exception,
            "RS" => TrackingStatus::Returned,
            other => return Err(format!("unknown status code `{other}`")),
        };
        let time = field("EventTime")?;
        let occurred_at = PrimitiveDateTime::parse(
            &time,
            time::macros::format_description!("[year][month][day][hour][minute][second]"),
        )
        .map_err(|_| "<EventTime> is not YYYYMMDDHHMMSS".to_string())?
        .assume_utc();
        Ok(Tracking {
            event_id: field("EventId")?,
            tracking_number: field("TrackingNumber")?,
            status,
            carrier_status: code,
            occurred_at,
            eta: element(doc, "DeliveryDate").as_deref().and_then(compact_date),
        })
    }
}

fn compact_date(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year][month][day]")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_have_our_codes_inside_and_the_carrier_s_at_its_api() {
        for (ours, theirs) in [("economy", "ECO"), ("priority", "PRIO")] {
            assert_eq!(their_service(ours), theirs);
            assert_eq!(our_service(theirs), ours);
            assert_eq!(our_service(&theirs.to_ascii_lowercase()), ours);
        }
        assert_eq!((their_service("overnight"), our_service("OVERNIGHT")), ("OVERNIGHT".into(), "overnight".into()));
    }
}
