//! Tokenization (the browser's endpoint) and API-key checks.

use serde_json::json;

use super::*;

#[tokio::test]
async fn tokenization_and_its_errors() {
    let standin = StandIn::start(None, &[]).await;
    let api = standin.api;
    let year = future_year();

    let answer = api
        .public_post(
            "/v1/tokens",
            json!({"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": year, "cvc": "9731"}),
        )
        .await;
    assert_eq!(answer.headers["access-control-allow-origin"], "*");
    let token = answer.expect(200);
    assert!(token["token"].as_str().unwrap().starts_with("tok_"), "{token}");
    assert_eq!(token["brand"], "visa");
    assert_eq!(token["last4"], "4242");
    assert_eq!((token["exp_month"].as_u64(), token["exp_year"].as_u64()), (Some(12), Some(u64::from(year))));
    let mastercard = api
        .public_post(
            "/v1/tokens",
            json!({"number": "5555555555554444", "exp_month": 1, "exp_year": year % 100, "cvc": "1234"}),
        )
        .await;
    let mastercard = mastercard.expect(200);
    assert_eq!(
        (mastercard["brand"].as_str(), mastercard["exp_year"].as_u64()),
        (Some("mastercard"), Some(u64::from(year)))
    );

    let cases = [
        ("4242424242424241", 12, year, "123", "invalid_number"),
        ("1234", 12, year, "123", "invalid_number"),
        ("4242x42424242424", 12, year, "123", "invalid_number"),
        ("4242424242424242", 13, year, "123", "invalid_expiry_month"),
        ("4242424242424242", 12, year + 100, "123", "invalid_expiry_year"),
        ("4242424242424242", 1, 2020, "123", "expired_card"),
        ("4242424242424242", 12, year, "12", "invalid_cvc"),
        ("4242424242424242", 12, year, "12345", "invalid_cvc"),
    ];
    for (number, exp_month, exp_year, cvc, code) in cases {
        let body = json!({"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc});
        let answer = api.public_post("/v1/tokens", body).await;
        answer.expect_error(402, code);
        assert_eq!(answer.headers["access-control-allow-origin"], "*");
    }

    // Malformed bodies: 400, and the message never quotes the card number.
    let answer = api
        .public_post(
            "/v1/tokens",
            json!({"number": 4242424242424242_u64, "exp_month": 12, "exp_year": year, "cvc": "123"}),
        )
        .await;
    answer.expect_error(400, "invalid_request");
    assert!(!answer.text.contains("4242424242424242"), "{}", answer.text);
    api.public_post("/v1/tokens", json!({"number": CARD_OK, "exp_month": 12, "exp_year": year}))
        .await
        .expect_error(400, "invalid_request");
    api.public_post(
        "/v1/tokens",
        json!({"number": CARD_OK, "exp_month": 12, "exp_year": year, "cvc": "123", "name": "x"}),
    )
    .await
    .expect_error(400, "invalid_request");
    let raw = api.try_send("POST", "/v1/tokens", Auth::None, &[], Some(b"{not json".to_vec())).await.unwrap();
    raw.expect_error(400, "invalid_request");
    let huge = api.try_send("POST", "/v1/tokens", Auth::None, &[], Some(vec![b' '; 64 * 1024])).await.unwrap();
    huge.expect_error(413, "body_too_large");

    // CORS preflight from a shopper's page.
    let preflight = api
        .send(
            "OPTIONS",
            "/v1/tokens",
            Auth::None,
            &[("origin", "http://shop.test"), ("access-control-request-method", "POST")],
            None,
        )
        .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.headers["access-control-allow-origin"], "*");
    assert!(preflight.headers["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    assert!(preflight.headers["access-control-allow-headers"].to_str().unwrap().contains("content-type"));

    // Full card numbers and CVCs never reach the log (it is written at debug level here).
    let log = standin.log_text();
    assert!(log.contains("card tokenized"), "{log}");
    // Each line without its timestamp, whose digits could hold a CVC by chance.
    let fields: String =
        log.lines().map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest)).collect::<Vec<_>>().join("\n");
    for secret in ["4242424242424242", "4242 4242 4242 4242", "5555555555554444", "9731"] {
        assert!(!fields.contains(secret), "the log holds {secret}:\n{log}");
    }
}

#[tokio::test]
async fn the_merchant_api_requires_the_secret_key() {
    let standin = StandIn::start(None, &[]).await;
    let api = standin.api;
    for (method, path) in [
        ("POST", "/v1/authorizations"),
        ("GET", "/v1/authorizations?reference=x"),
        ("GET", "/v1/authorizations/auth_x"),
        ("POST", "/v1/authorizations/auth_x/capture"),
        ("POST", "/v1/authorizations/auth_x/void"),
        ("POST", "/v1/authorizations/auth_x/refunds"),
        ("GET", "/_control"),
        ("POST", "/_control"),
        ("POST", "/_control/reset"),
        ("GET", "/_audit"),
    ] {
        let none = api.send(method, path, Auth::None, &[], None).await;
        none.expect_error(401, "invalid_api_key");
        assert_eq!(none.headers["www-authenticate"], "Bearer");
        api.send(method, path, Auth::Key("sk_test_wrong"), &[], None).await.expect_error(401, "invalid_api_key");
        let basic = api.send(method, path, Auth::None, &[("authorization", API_KEY)], None).await;
        basic.expect_error(401, "invalid_api_key");
    }
    // The browser endpoint needs no key; unknown paths are a JSON 404.
    assert_eq!(api.tokenize(CARD_OK).await.len(), "tok_".len() + 24);
    api.get("/v1/nothing").await.expect_error(404, "not_found");
}
