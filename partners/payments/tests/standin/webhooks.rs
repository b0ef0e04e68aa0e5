//! Webhooks: signatures, retries, duplicates, out-of-order delivery, pausing.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use partners_signing::{DEFAULT_TOLERANCE, SignatureError, verify_signature};
use serde_json::json;

use super::*;

fn signed_at(header: &str) -> u64 {
    header.strip_prefix("t=").and_then(|h| h.split(',').next()).and_then(|t| t.parse().ok()).expect("t=")
}

#[tokio::test]
async fn webhooks_are_signed() {
    let receiver = Receiver::start().await;
    let standin = StandIn::start(Some(&receiver.url), &[]).await;
    let auth = standin.api.authorize_card(CARD_OK, 4200, &new_reference()).await.expect(200);
    let id = auth["id"].as_str().unwrap();
    let delivery = receiver.wait_for_event("authorization.succeeded", id).await;

    let event = &delivery.event;
    assert!(event["id"].as_str().unwrap().starts_with("evt_"), "{event}");
    assert_eq!(delivery.event_id_header, event["id"].as_str().unwrap());
    assert_eq!(delivery.attempt, 1);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert!(event["created"].as_u64().unwrap().abs_diff(now) < 60, "{event}");
    assert_eq!(event["data"], auth, "the event carries the object");

    let secret = WEBHOOK_SECRET.as_bytes();
    let header = delivery.signature.as_str();
    assert!(header.starts_with("t=") && header.contains(",v1="), "{header}");
    assert_eq!(verify_signature(secret, header, &delivery.body, SystemTime::now(), DEFAULT_TOLERANCE), Ok(()));

    // Tampered: body, secret, signature.
    let mut body = delivery.body.to_vec();
    let at = body.windows(4).position(|w| w == b"4200").unwrap();
    body[at] = b'9';
    let refused = verify_signature(secret, header, &body, SystemTime::now(), DEFAULT_TOLERANCE);
    assert_eq!(refused, Err(SignatureError::Mismatch));
    let refused = verify_signature(b"whsec_other", header, &delivery.body, SystemTime::now(), DEFAULT_TOLERANCE);
    assert_eq!(refused, Err(SignatureError::Mismatch));
    let forged = format!("t={},v1={}", signed_at(header) + 600, header.split_once("v1=").unwrap().1);
    let refused = verify_signature(secret, &forged, &delivery.body, SystemTime::now(), DEFAULT_TOLERANCE);
    assert_eq!(refused, Err(SignatureError::Mismatch), "the timestamp is signed too");

    // Too old: the same delivery replayed six minutes later.
    let t = signed_at(header);
    let later = UNIX_EPOCH + Duration::from_secs(t + 301);
    let refused = verify_signature(secret, header, &delivery.body, later, DEFAULT_TOLERANCE);
    assert_eq!(refused, Err(SignatureError::OutsideTolerance { timestamp: t, now: t + 301 }));
    let within = UNIX_EPOCH + Duration::from_secs(t + 299);
    assert_eq!(verify_signature(secret, header, &delivery.body, within, DEFAULT_TOLERANCE), Ok(()));
}

#[tokio::test]
async fn retried_until_the_receiver_answers_2xx() {
    let receiver = Receiver::start().await;
    receiver.answer_next(&[500, 503, 404]);
    let standin = StandIn::start(Some(&receiver.url), &[]).await;
    let auth = standin.api.authorize_card(CARD_OK, 100, &new_reference()).await.expect(200);
    let id = auth["id"].as_str().unwrap();

    receiver.wait_for_event("authorization.succeeded", id).await;
    let deliveries = receiver.deliveries();
    assert_eq!(deliveries.len(), 4, "three refusals, then 200");
    let answered: Vec<u16> = deliveries.iter().map(|d| d.answered).collect();
    assert_eq!(answered, [500, 503, 404, 200]);
    let attempts: Vec<u32> = deliveries.iter().map(|d| d.attempt).collect();
    assert_eq!(attempts, [1, 2, 3, 4]);
    let ids: HashSet<&str> = deliveries.iter().map(|d| d.event_id_header.as_str()).collect();
    assert_eq!(ids.len(), 1, "the same event id every time");
    assert!(deliveries.iter().all(|d| d.body == deliveries[0].body), "the same body every time");
    for d in &deliveries {
        assert_eq!(
            verify_signature(WEBHOOK_SECRET.as_bytes(), &d.signature, &d.body, SystemTime::now(), DEFAULT_TOLERANCE),
            Ok(())
        );
    }
    let stats = standin.api.wait_for_stats("one delivered", |s| s["delivered"] == 1).await;
    assert_eq!((stats["failed_attempts"].as_u64(), stats["given_up"].as_u64()), (Some(3), Some(0)), "{stats}");
}

#[tokio::test]
async fn retried_while_the_receiver_is_unreachable() {
    // Nothing listens on this port until the stand-in has failed to connect twice.
    let port = testkit::free_port();
    let url = format!("http://127.0.0.1:{port}/webhooks");
    let standin = StandIn::start(Some(&url), &["--webhook-retry-base-ms", "200"]).await;
    let auth = standin.api.authorize_card(CARD_OK, 100, &new_reference()).await.expect(200);
    standin.api.wait_for_stats("two failed attempts", |s| s["failed_attempts"].as_u64() >= Some(2)).await;

    let receiver = Receiver::start_on(port).await;
    let delivery = receiver.wait_for_event("authorization.succeeded", auth["id"].as_str().unwrap()).await;
    assert!(delivery.attempt >= 3, "attempt {}", delivery.attempt);
}

#[tokio::test]
async fn given_up_after_the_last_attempt() {
    let receiver = Receiver::start().await;
    receiver.answer_always(500);
    let standin = StandIn::start(Some(&receiver.url), &["--webhook-max-attempts", "3"]).await;
    standin.api.authorize_card(CARD_OK, 100, &new_reference()).await.expect(200);
    let stats = standin.api.wait_for_stats("given up", |s| s["given_up"] == 1).await;
    assert_eq!((stats["failed_attempts"].as_u64(), stats["delivered"].as_u64()), (Some(3), Some(0)), "{stats}");
    let attempts: Vec<u32> = receiver.deliveries().iter().map(|d| d.attempt).collect();
    assert_eq!(attempts, [1, 2, 3]);
}

#[tokio::test]
async fn duplicated_when_told() {
    let receiver = Receiver::start().await;
    let standin = StandIn::start(Some(&receiver.url), &[]).await;
    let knobs = standin.api.control(json!({"duplicate_webhooks": true})).await;
    assert_eq!(knobs["knobs"]["duplicate_webhooks"], true);
    let auth = standin.api.authorize_card(CARD_OK, 100, &new_reference()).await.expect(200);
    let id = auth["id"].as_str().unwrap();
    let all = receiver
        .wait_until("the event twice", |d| d.iter().filter(|d| d.is("authorization.succeeded", id)).count() == 2)
        .await;
    let copies: Vec<&Delivery> = all.iter().filter(|d| d.is("authorization.succeeded", id)).collect();
    assert_eq!(copies[0].event_id_header, copies[1].event_id_header, "duplicates share the event id");
    assert_eq!(copies[0].body, copies[1].body);
}

#[tokio::test]
async fn paused_then_delivered_out_of_order() {
    let receiver = Receiver::start().await;
    let standin = StandIn::start(Some(&receiver.url), &[]).await;
    let api = standin.api;
    api.control(json!({"pause_webhooks": true})).await;

    let mut created = Vec::new();
    for _ in 0..4 {
        let auth = api.authorize_card(CARD_OK, 100, &new_reference()).await.expect(200);
        created.push(auth["id"].as_str().unwrap().to_string());
    }
    // Held while paused.
    api.wait_for_stats("four queued", |s| s["queued"] == 4).await;
    assert!(receiver.deliveries().is_empty());

    let knobs = api.control(json!({"out_of_order_webhooks": true, "pause_webhooks": false})).await;
    assert_eq!(knobs["knobs"]["out_of_order_webhooks"], true);
    let all = receiver.wait_until("four events", |d| d.len() >= 4).await;
    let received: Vec<String> = all.iter().map(|d| d.event["data"]["id"].as_str().unwrap().to_string()).collect();
    assert_ne!(received, created, "delivered out of order");
    let mut sorted_received = received.clone();
    sorted_received.sort();
    let mut sorted_created = created.clone();
    sorted_created.sort();
    assert_eq!(sorted_received, sorted_created, "every event, once");
    assert_eq!(api.webhook_stats().await["queued"], 0);
}
