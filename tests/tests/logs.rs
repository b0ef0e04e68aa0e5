//! Logs: every process writes JSON lines (`SHOP_LOG_FORMAT=json`) at the production level
//! (`info`), and no personal data, credential, token, secret or card number sent through the
//! write endpoints ends up in them. Run with `cargo xtask test`.

use std::time::Duration;

use serde_json::{Value, json};
use stack_tests::shop::{self, Who};
use stack_tests::{
    ADMIN_TOKEN, CARRIER_CLIENT_SECRET, CLASSICPOST_WEBHOOK_SECRET, OUTBOX_SECRET, PARCELO_WEBHOOK_SECRET,
    PAYMENTS_API_KEY, PAYMENTS_WEBHOOK_SECRET, SESSION_SECRET, Stack, WAREHOUSE_API_KEY, WAREHOUSE_WEBHOOK_SECRET,
    admin, request,
};
use testkit::eventually;

/// Reads every log file: (file, lines).
fn read_logs(dir: &std::path::Path) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        out.push((entry.file_name().to_string_lossy().into_owned(), text.lines().map(str::to_string).collect()));
    }
    out.sort();
    out
}

#[tokio::test]
async fn logs_are_json_lines_without_personal_data_tokens_or_secrets() {
    let dir = testkit::TestLogs::new("logs").unwrap();
    let stack =
        Stack::builder().logs(dir.path()).env("SHOP_LOG_FORMAT", "json").env("SHOP_LOG", "info").start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let payments = stack.payments_port;

    // What must never be logged.
    let email = "camille.scanwell@example.org";
    let guest_email = "guest.scanwell@example.net";
    let password = "Scanwell-Password-2026!";
    let name = "Camille Scanwell";
    let street = "17 rue Secrète Scanwell";
    let phone = "+33 6 98 76 54 32";
    let reason = "the Scanwell sleeve is torn";
    let card = "4242424242424242";

    // Accounts: sign-up, a failed and a good login, profile, addresses, a card number refused.
    let signed = request(
        edge,
        "POST",
        "/v1/accounts",
        &[],
        Some(&json!({"email": email, "password": password, "name": name, "market": "fr"})),
    )
    .await
    .unwrap();
    assert_eq!(signed.status, 202, "{}", signed.body);
    let wrong =
        request(edge, "POST", "/v1/sessions", &[], Some(&json!({"email": email, "password": "not the password"})))
            .await
            .unwrap();
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let session =
        request(edge, "POST", "/v1/sessions", &[], Some(&json!({"email": email, "password": password}))).await.unwrap();
    assert_eq!(session.status, 201, "{}", session.body);
    let token = session.body["token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");
    let me = [("authorization", bearer.as_str())];
    let patched =
        request(edge, "PATCH", "/v1/accounts/me", &me, Some(&json!({"name": format!("{name} Jr")}))).await.unwrap();
    assert_eq!(patched.status, 200, "{}", patched.body);
    let address = json!({"name": name, "lines": [street], "city": "Paris", "postal_code": "75002", "country": "FR", "phone": phone});
    let added = request(edge, "POST", "/v1/accounts/me/addresses", &me, Some(&address)).await.unwrap();
    assert_eq!(added.status, 201, "{}", added.body);
    let address_id = added.body["id"].as_str().unwrap().to_string();
    let replaced =
        request(edge, "PUT", &format!("/v1/accounts/me/addresses/{address_id}"), &me, Some(&address)).await.unwrap();
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let carded =
        request(edge, "PATCH", "/v1/accounts/me", &me, Some(&json!({"name": format!("card {card}")}))).await.unwrap();
    assert!((400..500).contains(&carded.status), "{} {}", carded.status, carded.body);

    // A purchase by the shopper and one by a guest; shipping, a return, refunds by webhooks.
    let variant = shop::product_with_stock(staff, "SCAN", &[("fr", 2500)], "eu-par", 10).await.unwrap();
    let shopper = Who::Shopper(token.clone());
    let mut orders = Vec::new();
    let mut payment_tokens = Vec::new();
    for (session, contact, key) in [(Some(token.as_str()), None, "scan-1"), (None, Some(guest_email), "scan-2")] {
        let (cart, who) = shop::cart(edge, session, "fr", "fr", &[(variant.as_str(), 1)]).await.unwrap();
        let put = shop::call(
            edge,
            &who,
            "PUT",
            &format!("/v1/carts/{cart}/destination"),
            &[],
            Some(&json!({"country": "FR"})),
        )
        .await
        .unwrap();
        assert_eq!(put.status, 200, "{}", put.body);
        let coupons = shop::call(
            edge,
            &who,
            "PUT",
            &format!("/v1/carts/{cart}/coupons"),
            &[],
            Some(&json!({"codes": ["NOSUCHCODE"]})),
        )
        .await
        .unwrap();
        assert!((400..500).contains(&coupons.status), "{}", coupons.body);
        let payment_token = shop::card_token(payments, card).await.unwrap();
        let mut body = shop::checkout_body(&payment_token, contact);
        body["ship_to"]["name"] = json!(name);
        body["ship_to"]["line1"] = json!(street);
        let order = shop::call(
            edge,
            &who,
            "POST",
            &format!("/v1/carts/{cart}/checkout"),
            &[("idempotency-key", key)],
            Some(&body),
        )
        .await
        .unwrap();
        assert_eq!(order.status, 201, "{}", order.body);
        orders.push((order.body["id"].as_str().unwrap().to_string(), who));
        payment_tokens.push(payment_token);
    }
    let (order, _) = &orders[0];
    let shipped = admin(staff, "POST", &format!("/admin/v1/orders/{order}/ship"), None).await.unwrap();
    assert_eq!(shipped.status, 200, "{}", shipped.body);
    let ret = shop::call(
        edge,
        &shopper,
        "POST",
        &format!("/v1/orders/{order}/returns"),
        &[],
        Some(&json!({"lines": [{"variant_id": variant, "quantity": 1}], "reason": reason})),
    )
    .await
    .unwrap();
    assert_eq!(ret.status, 201, "{}", ret.body);
    let ret = ret.body["id"].as_str().unwrap().to_string();
    for step in ["approve", "receive"] {
        let answer = admin(staff, "POST", &format!("/admin/v1/returns/{ret}/{step}"), None).await.unwrap();
        assert_eq!(answer.status, 200, "{step}: {}", answer.body);
    }
    let (guest_order, guest) = &orders[1];
    let cancelled =
        shop::call(edge, guest, "POST", &format!("/v1/orders/{guest_order}/cancel"), &[], None).await.unwrap();
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let Who::Guest(cart_token) = guest else { unreachable!() };
    let erased = request(edge, "DELETE", "/v1/accounts/me", &me, None).await.unwrap();
    assert!((200..300).contains(&erased.status), "{} {}", erased.status, erased.body);

    // Webhooks of the refund and the cancellation arrive asynchronously: wait (bounded) until
    // the provider has delivered everything it sent.
    eventually("every webhook delivered", Duration::from_secs(30), Duration::from_millis(100), async || {
        let control = shop::provider(payments, "GET", "/_control", None).await.unwrap();
        let stats = &control.body["webhooks"];
        let delivered = stats["queued"] == 0 && stats["delivered"].as_u64() >= stats["created"].as_u64();
        if delivered { Ok(()) } else { Err(stats.clone()) }
    })
    .await;
    drop(stack);

    let secrets = [
        email,
        guest_email,
        password,
        name,
        "Scanwell",
        street,
        phone,
        reason,
        card,
        "4242 4242",
        token.as_str(),
        cart_token.as_str(),
        payment_tokens[0].as_str(),
        payment_tokens[1].as_str(),
        ADMIN_TOKEN,
        PAYMENTS_API_KEY,
        PAYMENTS_WEBHOOK_SECRET,
        SESSION_SECRET,
        WAREHOUSE_API_KEY,
        WAREHOUSE_WEBHOOK_SECRET,
        OUTBOX_SECRET,
        CARRIER_CLIENT_SECRET,
        PARCELO_WEBHOOK_SECRET,
        CLASSICPOST_WEBHOOK_SECRET,
    ];
    let logs = read_logs(dir.path());
    assert_eq!(logs.len(), 11, "payments, warehouse, two carriers, mail, and a core and an edge per region");
    let mut requests_logged = 0;
    for (file, lines) in &logs {
        for line in lines.iter().filter(|l| !l.trim().is_empty()) {
            let record: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{file}: not JSON ({e}): {line}"));
            assert!(record["level"].is_string() && record["timestamp"].is_string(), "{file}: {line}");
            let lower = line.to_lowercase();
            for secret in secrets {
                assert!(!lower.contains(&secret.to_lowercase()), "{file} logs `{secret}`: {line}");
            }
            if file == "edge-eu-west.log" && record["message"] == "request" {
                requests_logged += 1;
            }
        }
    }
    assert!(requests_logged >= 20, "the eu-west edge logged {requests_logged} requests");
}
