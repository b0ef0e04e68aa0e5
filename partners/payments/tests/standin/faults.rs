//! Fault knobs: failing calls, latency, dropped responses, the slow card; the controls.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;

#[tokio::test]
async fn failing_calls_and_latency() {
    let standin = StandIn::start(None, &[]).await;
    let api = standin.api;
    let token = api.tokenize(CARD_OK).await;
    let reference = new_reference();
    let body = Api::authorization_body(&token, 500, &reference);

    let view = api.control(json!({"fail_next": 2})).await;
    assert_eq!(view["knobs"]["fail_next"], 2);
    // The controls and the browser's endpoint are never faulted.
    assert_eq!(api.get("/_control").await.expect(200)["knobs"]["fail_next"], 2);
    api.tokenize(CARD_OK).await;
    let key = new_key();
    for _ in 0..2 {
        api.post_idempotent("/v1/authorizations", &key, body.clone()).await.expect_error(500, "internal_error");
    }
    // Nothing was done by the failed calls; the retry with the same key acts once.
    assert_eq!(api.get(&format!("/_audit?reference={reference}")).await.expect(200)["authorizations"], json!([]));
    let auth = api.post_idempotent("/v1/authorizations", &key, body.clone()).await.expect(200);
    assert_eq!(api.get("/_control").await.expect(200)["knobs"]["fail_next"], 0);

    api.control(json!({"latency_ms": 300})).await;
    let started = Instant::now();
    api.get(&format!("/v1/authorizations/{}", auth["id"].as_str().unwrap())).await.expect(200);
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());

    // Bad patches change nothing.
    api.post("/_control", json!({"latency_ms": 10_000_000})).await.expect_error(400, "invalid_request");
    api.post("/_control", json!({"fail_nex": 1})).await.expect_error(400, "invalid_request");
    assert_eq!(api.get("/_control").await.expect(200)["knobs"]["latency_ms"], 300);

    // Reset: the command line's knobs, and nothing remembered.
    let view = api.post("/_control/reset", json!({})).await.expect(200);
    assert_eq!(view["knobs"]["latency_ms"], 0);
    api.get(&format!("/v1/authorizations/{}", auth["id"].as_str().unwrap()))
        .await
        .expect_error(404, "authorization_not_found");
    assert_eq!(api.get("/_audit").await.expect(200)["authorizations"], json!([]));
}

#[tokio::test]
async fn dropped_response_then_found_by_reference() {
    let receiver = Receiver::start().await;
    let standin = StandIn::start(Some(&receiver.url), &[]).await;
    let api = standin.api;
    let token = api.tokenize(CARD_OK).await;
    let reference = new_reference();
    let key = new_key();
    let body = Api::authorization_body(&token, 9900, &reference);
    api.control(json!({"drop_next_authorizations": 1})).await;

    // The client sees the connection go away without an answer…
    let bytes = serde_json::to_vec(&body).unwrap();
    let outcome =
        api.try_send("POST", "/v1/authorizations", Auth::Key(API_KEY), &[("idempotency-key", &key)], Some(bytes)).await;
    let error = outcome.expect_err("the response is dropped");
    let message = format!("{error:?}").to_lowercase();
    assert!(message.contains("reset") || message.contains("closed") || message.contains("incomplete"), "{message}");

    // …but the authorization exists: reconciliation finds it by the order's reference.
    let found = api.get(&format!("/v1/authorizations?reference={reference}")).await.expect(200);
    let data = found["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{found}");
    assert_eq!(data[0]["status"], "authorized");
    let id = data[0]["id"].as_str().unwrap();
    receiver.wait_for_event("authorization.succeeded", id).await;

    // Retrying with the same key returns it, and charges nothing more.
    let retried = api.post_idempotent("/v1/authorizations", &key, body).await;
    assert_eq!(retried.headers["idempotent-replayed"], "true");
    assert_eq!(retried.expect(200)["id"], id);
    let audit = api.get(&format!("/_audit?reference={reference}")).await.expect(200);
    assert_eq!(audit["authorizations"].as_array().unwrap().len(), 1);
    assert_eq!(audit["double_charges"], json!([]));
    // The knob fired once.
    api.authorize_card(CARD_OK, 100, &new_reference()).await.expect(200);
}

#[tokio::test]
async fn slow_card_times_the_client_out_then_the_webhook_arrives() {
    let receiver = Receiver::start().await;
    // The default delay (30 s): far longer than the client waits.
    let standin = StandIn::start(Some(&receiver.url), &[]).await;
    let api = standin.api;
    let token = api.tokenize(CARD_TIMEOUT).await;
    let reference = new_reference();
    let key = new_key();
    let body = Api::authorization_body(&token, 3100, &reference);

    let bytes = serde_json::to_vec(&body).unwrap();
    let started = Instant::now();
    let headers = [("idempotency-key", key.as_str())];
    let call = api.try_send("POST", "/v1/authorizations", Auth::Key(API_KEY), &headers, Some(bytes));
    assert!(tokio::time::timeout(Duration::from_secs(1), call).await.is_err(), "the client times out");

    // The provider authorized it anyway, and says so by webhook.
    let delivered = receiver
        .wait_until("the authorization's webhook", |d| {
            d.iter().any(|d| {
                d.event["type"] == "authorization.succeeded" && d.event["data"]["reference"] == reference.as_str()
            })
        })
        .await;
    assert!(started.elapsed() < Duration::from_secs(20), "the webhook does not wait for the answer");
    let event = delivered.iter().find(|d| d.event["data"]["reference"] == reference.as_str()).unwrap();
    let id = event.event["data"]["id"].as_str().unwrap();
    assert_eq!(event.event["data"]["status"], "authorized");
    let found = api.get(&format!("/v1/authorizations?reference={reference}")).await.expect(200);
    assert_eq!(found["data"][0]["id"], id);

    // A retry with the same key answers at once with the same authorization.
    let retry = api.post_idempotent("/v1/authorizations", &key, body);
    let retried = tokio::time::timeout(Duration::from_secs(5), retry).await.expect("a replay is not delayed");
    assert_eq!(retried.expect(200)["id"], id);
}
