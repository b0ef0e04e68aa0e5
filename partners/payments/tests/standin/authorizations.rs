//! Authorizations: the scenario cards, 3-D Secure, idempotency, lookups by reference, the audit.

use serde_json::json;

use super::*;

#[tokio::test]
async fn each_scenario_card() {
    let receiver = Receiver::start().await;
    let standin = StandIn::start(Some(&receiver.url), &[]).await;
    let api = standin.api;

    let cases = [
        (CARD_OK, "authorized", None, "authorization.succeeded"),
        ("5555555555554444", "authorized", None, "authorization.succeeded"),
        ("378282246310005", "authorized", None, "authorization.succeeded"),
        (CARD_DECLINED, "declined", Some("card_declined"), "authorization.failed"),
        (CARD_NO_FUNDS, "declined", Some("insufficient_funds"), "authorization.failed"),
    ];
    for (card, status, decline_code, event) in cases {
        let reference = new_reference();
        let auth = api.authorize_card(card, 1999, &reference).await.expect(200);
        assert!(auth["id"].as_str().unwrap().starts_with("auth_"), "{auth}");
        assert_eq!(auth["status"], status, "{card}: {auth}");
        assert_eq!(auth["decline_code"].as_str(), decline_code, "{card}: {auth}");
        assert_eq!((auth["amount_minor"].as_i64(), auth["currency"].as_str()), (Some(1999), Some("EUR")));
        assert_eq!(auth["reference"], reference.as_str());
        assert_eq!(auth["card"]["last4"].as_str(), Some(&card[card.len() - 4..]));
        assert!(auth.get("next_action").is_none(), "{auth}");
        let id = auth["id"].as_str().unwrap();
        let delivered = receiver.wait_for_event(event, id).await;
        assert_eq!(delivered.event["data"]["status"], status);
        assert_eq!(api.get(&format!("/v1/authorizations/{id}")).await.expect(200), auth);
    }
}

#[tokio::test]
async fn three_d_secure_challenge() {
    let receiver = Receiver::start().await;
    let standin = StandIn::start(Some(&receiver.url), &["--public-url", "http://pay.localtest:8443/"]).await;
    let api = standin.api;

    let auth = api.authorize_card(CARD_3DS, 5000, &new_reference()).await.expect(200);
    assert_eq!(auth["status"], "requires_action", "{auth}");
    let id = auth["id"].as_str().unwrap();
    assert_eq!(auth["next_action"]["type"], "three_d_secure");
    let url = auth["next_action"]["url"].as_str().unwrap();
    assert_eq!(url, format!("http://pay.localtest:8443/3ds/{id}"));
    // Not capturable yet.
    api.post(&format!("/v1/authorizations/{id}/capture"), json!({})).await.expect_error(409, "not_authorized");

    // The shopper's browser opens the challenge page and passes it (no API key).
    let path = url.strip_prefix("http://pay.localtest:8443").unwrap();
    let page = api.send("GET", path, Auth::None, &[], None).await;
    assert_eq!(page.status, 200);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.text.contains(id), "{}", page.text);
    let passed = api.public_post(&format!("{path}/complete"), json!({"outcome": "pass"})).await.expect(200);
    assert_eq!(passed["status"], "authorized");
    assert!(passed.get("next_action").is_none(), "{passed}");
    let delivered = receiver.wait_for_event("authorization.succeeded", id).await;
    assert_eq!(delivered.event["data"]["status"], "authorized");
    api.public_post(&format!("{path}/complete"), json!({"outcome": "fail"}))
        .await
        .expect_error(409, "not_awaiting_action");
    api.post(&format!("/v1/authorizations/{id}/capture"), json!({})).await.expect(200);

    // Another shopper fails the challenge.
    let failed = api.authorize_card(CARD_3DS, 5000, &new_reference()).await.expect(200);
    let failed_id = failed["id"].as_str().unwrap();
    let declined = api.public_post(&format!("/3ds/{failed_id}/complete"), json!({"outcome": "fail"})).await.expect(200);
    assert_eq!(
        (declined["status"].as_str(), declined["decline_code"].as_str()),
        (Some("declined"), Some("authentication_failed"))
    );
    receiver.wait_for_event("authorization.failed", failed_id).await;

    api.public_post(&format!("/3ds/{failed_id}/complete"), json!({"outcome": "maybe"}))
        .await
        .expect_error(400, "invalid_request");
    api.public_post("/3ds/auth_unknown/complete", json!({"outcome": "pass"}))
        .await
        .expect_error(404, "authorization_not_found");
    api.send("GET", "/3ds/auth_unknown", Auth::None, &[], None).await.expect_error(404, "authorization_not_found");
}

#[tokio::test]
async fn idempotent_authorization() {
    let standin = StandIn::start(None, &[]).await;
    let api = standin.api;
    let token = api.tokenize(CARD_OK).await;
    let reference = new_reference();
    let key = new_key();
    let body = Api::authorization_body(&token, 2500, &reference);

    let first = api.post_idempotent("/v1/authorizations", &key, body.clone()).await;
    assert!(first.headers.get("idempotent-replayed").is_none());
    let first = first.expect(200);
    let again = api.post_idempotent("/v1/authorizations", &key, body.clone()).await;
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.expect(200), first, "same key, same body: the same authorization");
    // The same request spelled differently is the same request.
    let respelled = json!({"reference": reference, "currency": "eur", "amount_minor": 2500, "token": token});
    assert_eq!(api.post_idempotent("/v1/authorizations", &key, respelled).await.expect(200)["id"], first["id"]);

    let other = Api::authorization_body(&token, 2600, &reference);
    api.post_idempotent("/v1/authorizations", &key, other.clone()).await.expect_error(409, "idempotency_key_reused");
    // The key is tied to its endpoint too.
    let id = first["id"].as_str().unwrap();
    api.post_idempotent(&format!("/v1/authorizations/{id}/refunds"), &key, json!({"amount_minor": 1}))
        .await
        .expect_error(409, "idempotency_key_reused");
    let audit = api.get(&format!("/_audit?reference={reference}")).await.expect(200);
    assert_eq!(audit["authorizations"].as_array().unwrap().len(), 1, "{audit}");

    // Refused requests are not remembered: fix and retry with the same key.
    api.post("/v1/authorizations", body.clone()).await.expect_error(400, "missing_idempotency_key");
    let fresh = new_key();
    let bad = [
        (json!({"token": token, "amount_minor": 0, "currency": "EUR", "reference": "r"}), "invalid_amount"),
        (json!({"token": token, "amount_minor": 10.5, "currency": "EUR", "reference": "r"}), "invalid_request"),
        (
            json!({"token": token, "amount_minor": 1_000_000_000_000_i64, "currency": "EUR", "reference": "r"}),
            "invalid_amount",
        ),
        (json!({"token": token, "amount_minor": 100, "currency": "EURO", "reference": "r"}), "invalid_currency"),
        (json!({"token": token, "amount_minor": 100, "currency": "EUR", "reference": ""}), "invalid_reference"),
        (json!({"token": "tok_unknown", "amount_minor": 100, "currency": "EUR", "reference": "r"}), "invalid_token"),
        (json!({"token": token, "amount_minor": 100, "currency": "EUR"}), "invalid_request"),
    ];
    for (body, code) in bad {
        api.post_idempotent("/v1/authorizations", &fresh, body).await.expect_error(400, code);
    }
    let long_key = "k".repeat(256);
    api.post_idempotent("/v1/authorizations", &long_key, other.clone())
        .await
        .expect_error(400, "invalid_idempotency_key");
    let second = api.post_idempotent("/v1/authorizations", &fresh, other).await.expect(200);
    assert_eq!(second["currency"], "EUR");
    assert_ne!(second["id"], first["id"]);
}

#[tokio::test]
async fn lookups_by_reference_and_the_audit() {
    let standin = StandIn::start(None, &[]).await;
    let api = standin.api;
    let token = api.tokenize(CARD_OK).await;
    let reference = new_reference();

    // A client that retries with a fresh key charges twice; the audit shows it.
    let one =
        api.post_idempotent("/v1/authorizations", &new_key(), Api::authorization_body(&token, 700, &reference)).await;
    let two =
        api.post_idempotent("/v1/authorizations", &new_key(), Api::authorization_body(&token, 700, &reference)).await;
    let (one, two) = (one.expect(200), two.expect(200));
    let single = new_reference();
    api.post_idempotent("/v1/authorizations", &new_key(), Api::authorization_body(&token, 300, &single))
        .await
        .expect(200);
    let declined = api.authorize_card(CARD_DECLINED, 300, &single).await.expect(200);
    assert_eq!(declined["status"], "declined");

    let listed = api.get(&format!("/v1/authorizations?reference={reference}")).await.expect(200);
    let ids: Vec<&Value> = listed["data"].as_array().unwrap().iter().map(|a| &a["id"]).collect();
    assert_eq!(ids, [&one["id"], &two["id"]], "oldest first");
    assert_eq!(api.get("/v1/authorizations?reference=nobody").await.expect(200), json!({"data": []}));
    api.get("/v1/authorizations").await.expect_error(400, "missing_reference");
    api.get("/v1/authorizations/auth_nope").await.expect_error(404, "authorization_not_found");

    let audit = api.get("/_audit").await.expect(200);
    let entries = audit["authorizations"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "{audit}");
    let entry = &entries[0];
    assert_eq!(entry["id"], one["id"]);
    for field in ["reference", "amount_minor", "currency", "status", "captured_minor", "refunded_minor", "created"] {
        assert!(entry.get(field).is_some(), "{field} missing: {entry}");
    }
    assert_eq!(audit["double_charges"], json!([{"reference": reference, "authorizations": [one["id"], two["id"]]}]));

    // Voiding one of the two leaves a single charge.
    api.post(&format!("/v1/authorizations/{}/void", two["id"].as_str().unwrap()), json!({})).await.expect(200);
    assert_eq!(api.get("/_audit").await.expect(200)["double_charges"], json!([]));
}
