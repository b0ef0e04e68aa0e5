//! Parcel carriers: the [`Carrier`] adapter trait (rates, labels, return labels, cancellation,
//! tracking webhooks read into canonical statuses), one implementation per carrier API
//! ([`parcelo`]: JSON REST with client-credential access tokens; [`classicpost`]: a legacy XML
//! API with the account in every request), and the choice among offers.

pub mod classicpost;
pub mod parcelo;

use std::future::Future;
use std::pin::Pin;

use core_domain::shipping::TrackingStatus;
use partners_signing::Secret;
use time::{Date, OffsetDateTime};

use crate::http::DeliveryError;

pub use classicpost::XmlCarrier;

/// Our code of a carrier's service, however the shopper or the carrier spelled it: the
/// legacy API's own codes (`ECO`, `PRIO`) and any case are accepted, for compatibility.
pub fn service_code(carrier: &str, service: &str) -> String {
    match carrier {
        "classicpost" => classicpost::our_service(service),
        _ => service.to_ascii_lowercase(),
    }
}
pub use parcelo::RestCarrier;

/// The header carriers sign their tracking webhooks in (the payment provider's scheme).
pub const SIGNATURE_HEADER: &str = partners_signing::CARRIER_SIGNATURE_HEADER;

/// What a carrier is asked to quote or label: one warehouse shipment.
#[derive(Clone, Debug)]
pub struct ShipmentSpec {
    /// The warehouse system's shipment id: the label request's idempotency key.
    pub reference: String,
    /// The warehouse the parcel leaves from.
    pub origin: String,
    pub country: String,
    pub currency: String,
    /// Parcel weights in grams.
    pub parcels: Vec<i64>,
}

impl ShipmentSpec {
    pub(crate) fn weight(&self) -> i64 {
        self.parcels.iter().sum()
    }
}

/// A carrier's offer for a shipment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rate {
    pub carrier: String,
    pub service: String,
    pub amount_minor: i64,
    pub transit_days: i64,
}

/// A label a carrier made.
#[derive(Clone, Debug)]
pub struct LabelMade {
    pub carrier_label_id: String,
    pub tracking_number: String,
    pub label_url: String,
    pub eta: Option<Date>,
}

/// One tracking event as a carrier sent it, read into canonical terms.
#[derive(Clone, Debug, PartialEq)]
pub struct Tracking {
    pub event_id: String,
    pub tracking_number: String,
    pub status: TrackingStatus,
    pub carrier_status: String,
    pub occurred_at: OffsetDateTime,
    pub eta: Option<Date>,
}

/// A carrier call's result.
pub type CarrierFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, DeliveryError>> + Send + 'a>>;

/// A parcel carrier. Another carrier is one more implementation.
pub trait Carrier: Send + Sync + std::fmt::Debug {
    /// Its code in URLs and records (`parcelo`).
    fn code(&self) -> &str;
    /// Its services and prices for a shipment.
    fn rates<'a>(&'a self, shipment: &'a ShipmentSpec) -> CarrierFuture<'a, Vec<Rate>>;
    /// Makes (or, for the same reference, finds again) the shipment's label with `service`.
    fn create_label<'a>(&'a self, shipment: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade>;
    /// Makes (or, for the same reference, finds again) a return label with `service`: the
    /// parcel goes from the shipment's country back to its warehouse (`origin`).
    fn create_return_label<'a>(&'a self, shipment: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade>;
    /// Cancels a label whose parcel has not moved.
    fn cancel_label<'a>(&'a self, label: &'a LabelMade) -> CarrierFuture<'a, ()>;
    /// The secret its webhooks are signed with.
    fn webhook_secret(&self) -> &Secret;
    /// Reads a (verified) webhook body; `Err` says why it is malformed.
    fn read_tracking(&self, body: &[u8]) -> Result<Tracking, String>;
}

pub(crate) fn transient(e: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::transient(e.to_string())
}

/// The offer a shipment is labelled with: the cheapest, then the fastest, then by carrier and
/// service (so that a retry picks the same one).
pub fn cheapest(rates: &[Rate]) -> Option<&Rate> {
    rates.iter().min_by(|a, b| {
        (a.amount_minor, a.transit_days, &a.carrier, &a.service).cmp(&(
            b.amount_minor,
            b.transit_days,
            &b.carrier,
            &b.service,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::classicpost::elements;
    use super::*;

    fn rate(carrier: &str, service: &str, amount_minor: i64, transit_days: i64) -> Rate {
        Rate { carrier: carrier.into(), service: service.into(), amount_minor, transit_days }
    }

    #[test]
    fn the_cheapest_offer_then_the_fastest() {
        let rates = [rate("a", "x", 700, 3), rate("b", "y", 500, 5), rate("b", "z", 500, 2)];
        assert_eq!(cheapest(&rates), Some(&rates[2]));
        assert_eq!(cheapest(&[]), None);
    }

    #[test]
    fn each_carrier_shape_reads_into_canonical_statuses() {
        let rest = RestCarrier::new("http://127.0.0.1:1", "id", Secret::new("s"), Secret::new("w"));
        let t = rest
            .read_tracking(
                br#"{"event_id":"e1","tracking_number":"PN1","reference":"r","status":"OUT_FOR_DELIVERY",
                    "occurred_at":"2026-11-28T10:00:05Z","estimated_delivery":"2026-11-28"}"#,
            )
            .unwrap();
        assert_eq!(
            (t.status, t.event_id.as_str(), t.carrier_status.as_str()),
            (TrackingStatus::OutForDelivery, "e1", "OUT_FOR_DELIVERY")
        );
        assert_eq!(t.occurred_at.unix_timestamp(), 1_795_860_005);
        assert_eq!(t.eta.map(|d| d.to_string()).as_deref(), Some("2026-11-28"));
        assert!(
            rest.read_tracking(
                br#"{"event_id":"e","tracking_number":"t","status":"LOST","occurred_at":"2026-11-28T10:00:05Z"}"#
            )
            .is_err()
        );

        let xml = XmlCarrier::new("http://127.0.0.1:1", "acc", Secret::new("p"), Secret::new("w"));
        let t = xml
            .read_tracking(
                b"<?xml version=\"1.0\"?><TrackingEvent><EventId>x1</EventId><TrackingNumber>CP9</TrackingNumber>\
                  <Reference>a &amp; b</Reference><StatusCode>RS</StatusCode><EventTime>20261128100005</EventTime>\
                  <DeliveryDate>20261130</DeliveryDate></TrackingEvent>",
            )
            .unwrap();
        assert_eq!((t.status, t.tracking_number.as_str()), (TrackingStatus::Returned, "CP9"));
        assert_eq!(t.occurred_at.unix_timestamp(), 1_795_860_005);
        assert_eq!(t.eta.map(|d| d.to_string()).as_deref(), Some("2026-11-30"));
        assert!(xml.read_tracking(b"<TrackingEvent><EventId>x</EventId></TrackingEvent>").is_err());
        let rates: Vec<String> =
            elements("<R><Rate><Service>A</Service></Rate><Rate><Service>B&amp;C</Service></Rate></R>", "Service")
                .collect();
        assert_eq!(rates, ["A", "B&C"]);
    }
}
