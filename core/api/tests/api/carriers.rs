//! Each carrier adapter against its stand-in over real HTTP: rates, a label made once per
//! reference however often it is asked, cancellation while the parcel has not moved and its
//! refusal after, and refused credentials.

use std::time::Duration;

use axum::body::Bytes;
use core_api::Secret;
use core_api::outbox::PartnerClient;
use core_partners::carriers::{Carrier, RestCarrier, ShipmentSpec, XmlCarrier};
use http_body_util::Full;
use partners_carriers::{Config, Personality, StandIn};
use serde_json::{Value, json};

/// Serves a carrier stand-in on a free port; answers its base URL.
async fn standin(personality: Personality) -> String {
    let config = Config {
        personality,
        client_id: "shop".into(),
        client_secret: "right".into(),
        webhook_url: None,
        webhook_secret: String::new(),
        webhook_retry_base: Duration::from_millis(10),
        webhook_max_attempts: 1,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, partners_carriers::app(StandIn::new(config))).await });
    base
}

async fn call(base: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = axum::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let (status, answer) = PartnerClient::default().send(request).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    serde_json::from_slice(&answer).unwrap()
}

fn spec(reference: &str) -> ShipmentSpec {
    ShipmentSpec {
        reference: reference.into(),
        origin: "eu-par".into(),
        country: "FR".into(),
        currency: "EUR".into(),
        parcels: vec![1350, 600],
    }
}

async fn check(base: &str, carrier: &dyn Carrier, wrong: &dyn Carrier) {
    let rates = carrier.rates(&spec("a")).await.unwrap();
    assert_eq!(rates.len(), 2, "{rates:?}");
    assert!(rates.iter().all(|r| r.carrier == carrier.code() && r.amount_minor > 0 && r.transit_days > 0), "{rates:?}");
    let service = rates[0].service.clone();

    // The same reference twice: one label.
    let first = carrier.create_label(&spec("shp-1"), &service).await.unwrap();
    let again = carrier.create_label(&spec("shp-1"), &service).await.unwrap();
    assert_eq!((&first.tracking_number, &first.carrier_label_id), (&again.tracking_number, &again.carrier_label_id));
    assert!(first.eta.is_some());
    let audit = call(base, "GET", "/_audit", None).await;
    assert_eq!(audit["labels"].as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(audit["labels"][0]["requests"], 2, "{audit}");

    // Cancelled while it has not moved; refused once it has.
    carrier.cancel_label(&first).await.unwrap();
    let audit = call(base, "GET", "/_audit", None).await;
    assert_eq!(audit["labels"][0]["cancelled"], true, "{audit}");
    let moving = carrier.create_label(&spec("shp-2"), &service).await.unwrap();
    let body = json!({"tracking_number": moving.tracking_number, "statuses": ["in_transit"]});
    call(base, "POST", "/_advance", Some(body)).await;
    let refused = carrier.cancel_label(&moving).await.unwrap_err();
    assert_eq!(refused.http_status, Some(409), "{refused:?}");

    // A return label for the same reference is another label, made once however often asked.
    let back = carrier.create_return_label(&spec("shp-1"), &service).await.unwrap();
    let back_again = carrier.create_return_label(&spec("shp-1"), &service).await.unwrap();
    assert_eq!(
        (&back.tracking_number, &back.carrier_label_id),
        (&back_again.tracking_number, &back_again.carrier_label_id)
    );
    assert_ne!(back.tracking_number, first.tracking_number);
    assert!(!back.label_url.is_empty(), "{back:?}");
    let audit = call(base, "GET", "/_audit", None).await;
    let returns: Vec<&Value> =
        audit["labels"].as_array().unwrap().iter().filter(|l| l["direction"] == "return").collect();
    assert_eq!(returns.len(), 1, "{audit}");
    assert_eq!((&returns[0]["reference"], &returns[0]["requests"]), (&json!("shp-1"), &json!(2)), "{audit}");

    // Wrong credentials are refused for good.
    let refused = wrong.rates(&spec("a")).await.unwrap_err();
    assert_eq!((refused.http_status, refused.permanent), (Some(401), true), "{refused:?}");
}

#[tokio::test]
async fn both_carrier_apis_quote_label_and_return_label_once_per_reference_and_cancel_until_the_parcel_moves() {
    let rest = standin(Personality::Rest).await;
    let carrier = RestCarrier::new(&rest, "shop", Secret::new("right"), Secret::new("w"));
    let wrong = RestCarrier::new(&rest, "shop", Secret::new("wrong"), Secret::new("w"));
    check(&rest, &carrier, &wrong).await;
    // One access token served every call.
    assert_eq!(call(&rest, "GET", "/_audit", None).await["tokens_issued"], 1);

    let xml = standin(Personality::Xml).await;
    let carrier = XmlCarrier::new(&xml, "shop", Secret::new("right"), Secret::new("w"));
    let wrong = XmlCarrier::new(&xml, "shop", Secret::new("wrong"), Secret::new("w"));
    check(&xml, &carrier, &wrong).await;
}
