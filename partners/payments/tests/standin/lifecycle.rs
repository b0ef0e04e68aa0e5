//! Capture, void and refunds, their webhooks, and the transitions they refuse.

use serde_json::json;

use super::*;

#[tokio::test]
async fn partial_capture_then_refunds() {
    let receiver = Receiver::start().await;
    let standin = StandIn::start(Some(&receiver.url), &[]).await;
    let api = standin.api;
    let auth = api.authorize_card(CARD_OK, 1000, &new_reference()).await.expect(200);
    let id = auth["id"].as_str().unwrap();
    let path = |action: &str| format!("/v1/authorizations/{id}/{action}");

    api.post(&path("refunds"), json!({"amount_minor": 1})).await.expect_error(400, "missing_idempotency_key");
    api.post_idempotent(&path("refunds"), &new_key(), json!({"amount_minor": 1}))
        .await
        .expect_error(409, "not_captured");
    api.post(&path("capture"), json!({"amount_minor": 1001})).await.expect_error(409, "capture_exceeds_authorized");
    api.post(&path("capture"), json!({"amount_minor": 0})).await.expect_error(400, "invalid_amount");
    api.post(&path("capture"), json!({"amount_minor": "600"})).await.expect_error(400, "invalid_request");

    let captured = api.post(&path("capture"), json!({"amount_minor": 600})).await.expect(200);
    assert_eq!(captured["status"], "captured");
    assert_eq!((captured["amount_minor"].as_i64(), captured["captured_minor"].as_i64()), (Some(1000), Some(600)));
    let event = receiver.wait_for_event("capture.succeeded", id).await;
    assert_eq!(event.event["data"]["captured_minor"], 600);
    api.post(&path("capture"), json!({"amount_minor": 400})).await.expect_error(409, "already_captured");
    api.post(&path("void"), json!({})).await.expect_error(409, "already_captured");

    let key = new_key();
    let first = api.post_idempotent(&path("refunds"), &key, json!({"amount_minor": 200})).await.expect(200);
    assert_eq!(first["refunded_minor"], 200);
    let refund_id = first["refunds"][0]["id"].as_str().unwrap().to_string();
    assert!(refund_id.starts_with("re_"), "{first}");
    // A retried refund is not refunded twice.
    let retried = api.post_idempotent(&path("refunds"), &key, json!({"amount_minor": 200})).await;
    assert_eq!(retried.headers["idempotent-replayed"], "true");
    assert_eq!(retried.expect(200), first);
    api.post_idempotent(&path("refunds"), &key, json!({"amount_minor": 300}))
        .await
        .expect_error(409, "idempotency_key_reused");

    let second = api.post_idempotent(&path("refunds"), &new_key(), json!({"amount_minor": 300})).await.expect(200);
    assert_eq!(second["refunded_minor"], 500);
    api.post_idempotent(&path("refunds"), &new_key(), json!({"amount_minor": 101}))
        .await
        .expect_error(409, "refund_exceeds_captured");
    let rest = api.post_idempotent(&path("refunds"), &new_key(), json!({})).await.expect(200);
    assert_eq!(rest["refunded_minor"], 600);
    let amounts: Vec<i64> =
        rest["refunds"].as_array().unwrap().iter().map(|r| r["amount_minor"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [200, 300, 100]);
    api.post_idempotent(&path("refunds"), &new_key(), json!({"amount_minor": 1}))
        .await
        .expect_error(409, "already_refunded");

    let all =
        receiver.wait_until("three refunds", |d| d.iter().filter(|d| d.is("refund.succeeded", id)).count() >= 3).await;
    let refunded: Vec<i64> = all
        .iter()
        .filter(|d| d.is("refund.succeeded", id))
        .map(|d| d.event["data"]["refunded_minor"].as_i64().unwrap())
        .collect();
    let mut sorted = refunded.clone();
    sorted.sort();
    assert_eq!(sorted, [200, 500, 600], "one event per refund: {refunded:?}");

    let audit = api.get("/_audit").await.expect(200);
    let entry = &audit["authorizations"][0];
    assert_eq!(
        (entry["status"].as_str(), entry["captured_minor"].as_i64(), entry["refunded_minor"].as_i64()),
        (Some("captured"), Some(600), Some(600))
    );
}

#[tokio::test]
async fn full_capture_void_and_refused_transitions() {
    let receiver = Receiver::start().await;
    let standin = StandIn::start(Some(&receiver.url), &[]).await;
    let api = standin.api;

    // Capture without an amount takes everything; an idempotent capture is replayed.
    let whole = api.authorize_card(CARD_OK, 1234, &new_reference()).await.expect(200);
    let whole_id = whole["id"].as_str().unwrap();
    let key = new_key();
    let captured =
        api.post_idempotent(&format!("/v1/authorizations/{whole_id}/capture"), &key, json!({})).await.expect(200);
    assert_eq!(captured["captured_minor"], 1234);
    let replay = api.post_idempotent(&format!("/v1/authorizations/{whole_id}/capture"), &key, json!({})).await;
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(replay.expect(200), captured);

    // Void before capture; nothing after it.
    let auth = api.authorize_card(CARD_OK, 800, &new_reference()).await.expect(200);
    let id = auth["id"].as_str().unwrap();
    let voided =
        api.send("POST", &format!("/v1/authorizations/{id}/void"), Auth::Key(API_KEY), &[], None).await.expect(200);
    assert_eq!(voided["status"], "voided");
    receiver.wait_for_event("void.succeeded", id).await;
    api.post(&format!("/v1/authorizations/{id}/void"), json!({})).await.expect_error(409, "already_voided");
    api.post(&format!("/v1/authorizations/{id}/capture"), json!({})).await.expect_error(409, "already_voided");
    api.post_idempotent(&format!("/v1/authorizations/{id}/refunds"), &new_key(), json!({}))
        .await
        .expect_error(409, "not_captured");
    api.post(&format!("/v1/authorizations/{id}/void"), json!({"reason": "x"}))
        .await
        .expect_error(400, "invalid_request");

    // A declined authorization takes nothing.
    let declined = api.authorize_card(CARD_DECLINED, 800, &new_reference()).await.expect(200);
    let declined_id = declined["id"].as_str().unwrap();
    api.post(&format!("/v1/authorizations/{declined_id}/capture"), json!({})).await.expect_error(409, "not_authorized");
    api.post(&format!("/v1/authorizations/{declined_id}/void"), json!({})).await.expect_error(409, "not_authorized");

    // Unknown ids.
    for action in ["capture", "void"] {
        api.post(&format!("/v1/authorizations/auth_nope/{action}"), json!({}))
            .await
            .expect_error(404, "authorization_not_found");
    }
    api.post_idempotent("/v1/authorizations/auth_nope/refunds", &new_key(), json!({}))
        .await
        .expect_error(404, "authorization_not_found");

    // Refused transitions changed nothing and sent nothing.
    assert_eq!(api.get(&format!("/v1/authorizations/{id}")).await.expect(200), voided);
    let stats = api.webhook_stats().await;
    assert_eq!(stats["created"], 5, "authorized ×2, capture, void, declined: {stats}");
}
