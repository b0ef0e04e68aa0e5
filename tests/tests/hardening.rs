//! What an outside attacker or a payment auditor tries, on the whole stack: the admin API is not
//! on the shoppers' door and the service token exists only in development; sign-up does not tell
//! whether an address has an account, and its owner hears of every sign-up by e-mail; partners'
//! signed events we cannot apply are acknowledged and kept for operators; unsigned webhook floods
//! stop at the edge. Run with `cargo xtask test`.

use std::time::{Duration, Instant, SystemTime};

use serde_json::json;
use stack_tests::{
    ADMIN_TOKEN, PAYMENTS_WEBHOOK_SECRET, Stack, WAREHOUSE_WEBHOOK_SECRET, admin, get, request, request_raw,
};
use testkit::eventually;

/// The core's count of requests answered on `route` (its `/metrics`, on the admin listener).
async fn core_requests(stack: &Stack, region: &str, route: &str) -> u64 {
    let port = stack.procs[region].core_admin_port;
    let metrics = get(port, "/metrics", &[]).await.unwrap();
    let text = metrics.body.as_str().unwrap_or_default().to_string();
    text.lines()
        .filter(|l| l.starts_with("core_http_requests_total{") && l.contains(&format!("route=\"{route}\"")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[tokio::test]
async fn the_admin_api_is_served_on_the_staff_listener_only() {
    let stack = Stack::start().await.unwrap();
    let auth = format!("Bearer {ADMIN_TOKEN}");
    for region in ["eu-west", "us-east"] {
        for port in [stack.edge(region), stack.core(region)] {
            for (method, path) in [("GET", "/admin/v1/outbox"), ("POST", "/admin/v1/sessions")] {
                let a = request(port, method, path, &[("authorization", &auth)], None).await.unwrap();
                assert_eq!((a.status, a.body["code"].as_str()), (404, Some("not_found")), "{method} {path} on {port}");
            }
        }
        let a = admin(stack.staff(region), "GET", "/admin/v1/outbox", None).await.unwrap();
        assert_eq!(a.status, 200, "{}", a.body);
    }
}

#[tokio::test]
async fn outside_development_the_core_refuses_the_service_token_and_staff_start_from_the_console() {
    let stack = Stack::start().await.unwrap();
    let core = testkit::bin_dir().join("core-server");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        std::process::Command::new(&core)
            .args(["--region", "eu-west", "--database-url", &stack.db.url])
            .args(["--listen", &format!("127.0.0.1:{}", testkit::free_port())])
            .args(["--staff-listen", &format!("127.0.0.1:{}", testkit::free_port())])
            .args(args)
            .envs(env.iter().copied())
            .env("SHOP_LOG", "warn")
            .output()
            .unwrap()
    };
    for environment in [&[][..], &["--environment", "production"], &["--environment", "staging"]] {
        let refused = run(environment, &[("SHOP_ADMIN_TOKEN", "a-shared-secret")]);
        assert!(!refused.status.success(), "{environment:?}: the core started with the service token");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("development-only"), "{environment:?}: {stderr}");
    }
    // The first administrator of an installation, from the console: audited; they log in
    // through the staff listener and must enrol their second factor first.
    let made = run(
        &["create-admin", "--email", "first.admin@example.com", "--name", "First Admin"],
        &[("SHOP_STAFF_PASSWORD", "a long console password")],
    );
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let login = request(
        stack.staff("eu-west"),
        "POST",
        "/admin/v1/sessions",
        &[],
        Some(&json!({"email": "first.admin@example.com", "password": "a long console password"})),
    )
    .await
    .unwrap();
    assert_eq!((login.status, login.body["stage"].as_str()), (201, Some("enrolment")), "{}", login.body);
    let sql = stack.sql().await.unwrap();
    let row = sql
        .query_one(
            "SELECT count(*) FROM staff_audit WHERE actor = 'console' AND route = 'core-server create-admin'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
}

#[tokio::test]
async fn sign_up_answers_alike_and_the_address_owner_hears_of_every_attempt_by_e_mail() {
    let stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let address = "owner@example.org";
    let body = |password: &str, market: &str| json!({"email": address, "password": password, "name": "Camille Owner", "market": market});
    let first = request(edge, "POST", "/v1/accounts", &[], Some(&body("correct horse battery", "fr"))).await.unwrap();
    let second = request(edge, "POST", "/v1/accounts", &[], Some(&body("another long password", "de"))).await.unwrap();
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!((second.status, &second.body), (first.status, &first.body));
    let messages =
        eventually("two e-mails to the owner", Duration::from_secs(30), Duration::from_millis(100), async || {
            let messages = stack.mail_to(address).await.unwrap();
            if messages.len() >= 2 { Ok(messages) } else { Err(format!("{} e-mails: {messages:?}", messages.len())) }
        })
        .await;
    // In the account's language (the French market's), sent once each, over SMTP.
    let subjects: Vec<&str> = messages.iter().map(|m| m["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["Votre compte est créé", "Une inscription avec votre adresse"], "{messages:?}");
    assert!(messages[0]["text"].as_str().unwrap().starts_with("Bonjour Camille Owner,"), "{messages:?}");
    assert!(messages.iter().all(|m| m["from"] == "no-reply@shop.example"), "{messages:?}");
    // The first password is still the one.
    let login = |password: &str| json!({"email": address, "password": password});
    assert_eq!(
        request(edge, "POST", "/v1/sessions", &[], Some(&login("correct horse battery"))).await.unwrap().status,
        201
    );
    assert_eq!(
        request(edge, "POST", "/v1/sessions", &[], Some(&login("another long password"))).await.unwrap().status,
        401
    );
}

fn now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn signed_events_we_cannot_apply_are_acknowledged_and_kept_for_operators() {
    let stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let stranger = uuid::Uuid::new_v4().to_string();
    let payment = json!({"id": "evt_stranger_1", "type": "authorization.succeeded", "created": 0,
        "data": {"id": "auth_stranger", "status": "authorized", "amount_minor": 1200, "reference": stranger}})
    .to_string();
    let signature = partners_signing::sign(PAYMENTS_WEBHOOK_SECRET.as_bytes(), now(), payment.as_bytes());
    let headers = [("payment-signature", signature.as_str()), ("content-type", "application/json")];
    for _ in 0..2 {
        let a = request_raw(edge, "POST", "/webhooks/payments", &headers, payment.clone().into_bytes()).await.unwrap();
        assert_eq!(
            (a.status, &a.body["applied"], &a.body["reason"]),
            (200, &json!(false), &json!("unknown_order")),
            "{}",
            a.body
        );
    }
    let shipped = json!({"id": "wms_stranger_1", "type": "shipment.shipped", "data": {"shipment_id": "sh-stranger",
        "order_id": stranger, "warehouse": "eu-par",
        "parcels": [{"parcel_id": "p1", "weight_grams": 300, "lines": []}]}})
    .to_string();
    let signature = partners_signing::sign(WAREHOUSE_WEBHOOK_SECRET.as_bytes(), now(), shipped.as_bytes());
    let headers = [("warehouse-signature", signature.as_str()), ("content-type", "application/json")];
    let a = request_raw(edge, "POST", "/webhooks/warehouse", &headers, shipped.into_bytes()).await.unwrap();
    assert_eq!((a.status, &a.body["reason"]), (200, &json!("unknown_order")), "{}", a.body);

    let listed = admin(stack.staff("eu-west"), "GET", "/admin/v1/partner-events/unapplied", None).await.unwrap();
    let events: Vec<(String, String, String)> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["partner"].as_str().unwrap().into(),
                e["event_id"].as_str().unwrap().into(),
                e["reference"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(events.contains(&("payments".into(), "evt_stranger_1".into(), stranger.clone())), "{events:?}");
    assert!(events.contains(&("warehouse".into(), "wms_stranger_1".into(), stranger.clone())), "{events:?}");
    assert_eq!(events.len(), 2, "recorded once each: {events:?}");
    let metrics = get(stack.procs["eu-west"].core_admin_port, "/metrics", &[]).await.unwrap();
    let counted = metrics.body.as_str().unwrap().lines().any(|l| {
        l.starts_with("core_partner_events_unapplied_total{")
            && l.contains("partner=\"payments\"")
            && l.contains("reason=\"unknown_order\"")
            && l.ends_with(" 1")
    });
    assert!(counted, "the event is counted once: {}", metrics.body);
}

#[tokio::test]
async fn unsigned_webhook_floods_stop_at_the_edge_and_signed_ones_are_limited_per_partner() {
    // A partner route's limit of 5 a second (bursts of 10), so that the test's flood is over it.
    let stack = Stack::builder().env("SHOP_EDGE_RATE_LIMIT_WEBHOOK_RPS", "5").start().await.unwrap();
    let edge = stack.edge("eu-west");
    let before = core_requests(&stack, "eu-west", "/webhooks/payments").await;
    let body = json!({"id": "evt_flood", "type": "authorization.succeeded", "data": {}}).to_string();
    let started = Instant::now();
    let mut refused = 0;
    for i in 0..600 {
        // No signature, a malformed one, a stale one.
        let signature = match i % 3 {
            0 => String::new(),
            1 => "v1=deadbeef".into(),
            _ => partners_signing::sign(b"whatever", now() - 3600, body.as_bytes()),
        };
        let headers = [("payment-signature", signature.as_str()), ("content-type", "application/json")];
        let a = request_raw(edge, "POST", "/webhooks/payments", &headers, body.clone().into_bytes()).await.unwrap();
        assert_eq!((a.status, a.body["code"].as_str()), (401, Some("unsigned_webhook")), "{}", a.body);
        refused += 1;
    }
    eprintln!("600 unsigned webhooks refused by the edge in {:?}", started.elapsed());
    assert_eq!(refused, 600);
    assert_eq!(
        core_requests(&stack, "eu-west", "/webhooks/payments").await,
        before,
        "an unsigned webhook reached core"
    );
    // Well-formed but forged: core checks each, up to the partner route's limit, then the edge
    // answers 429 with Retry-After.
    let forged = partners_signing::sign(b"not the secret", now(), body.as_bytes());
    let headers = [("payment-signature", forged.as_str()), ("content-type", "application/json")];
    let mut statuses = std::collections::BTreeMap::new();
    for _ in 0..600 {
        let a = request_raw(edge, "POST", "/webhooks/payments", &headers, body.clone().into_bytes()).await.unwrap();
        if a.status == 429 {
            assert!(a.header("retry-after").is_some());
        }
        *statuses.entry(a.status).or_insert(0) += 1;
    }
    assert!(statuses.get(&401).is_some_and(|n| *n >= 10), "{statuses:?}");
    assert!(statuses.get(&429).is_some_and(|n| *n > 0), "{statuses:?}");
    assert_eq!(statuses.keys().copied().collect::<Vec<_>>(), [401, 429], "{statuses:?}");
}
