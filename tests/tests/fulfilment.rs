//! Fulfilment end to end with the warehouse system stand-in: confirmed orders reach it as pick
//! requests through the outbox, its shipped callbacks ship the order (payment captured) live
//! to the shopper through the edge; the stock feed applied twice; and the faults: the warehouse
//! down then back, a core replica killed mid-delivery, repeated and forged callbacks.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use stack_tests::shop::{Who, follow_events, guest_buys, ok, product_with_stock};
use stack_tests::{Stack, WAREHOUSE_API_KEY, WAREHOUSE_WEBHOOK_SECRET, admin, get, request};
use testkit::eventually;

/// The warehouse stand-in's audit.
async fn wms_audit(stack: &Stack) -> Value {
    ok(get(stack.warehouse_port, "/_audit", &[]).await.unwrap()).unwrap()
}

async fn wms_control(stack: &Stack, knobs: Value) {
    ok(request(stack.warehouse_port, "POST", "/_control", &[], Some(&knobs)).await.unwrap()).unwrap();
}

/// Waits (bounded, 30 s) until `done` holds of the warehouse stand-in's audit.
async fn wait_wms(stack: &Stack, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    eventually(what, Duration::from_secs(30), Duration::from_millis(50), async || {
        let audit = wms_audit(stack).await;
        if done(&audit) { Ok(audit) } else { Err(audit) }
    })
    .await
}

/// Waits (bounded, 30 s) until `done` holds of the operators' view of eu-west's outbox.
async fn wait_outbox(stack: &Stack, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let core = stack.staff("eu-west");
    eventually(what, Duration::from_secs(30), Duration::from_millis(50), async || {
        let seen = ok(admin(core, "GET", "/admin/v1/outbox?region=eu-west", None).await.unwrap()).unwrap();
        if done(&seen) { Ok(seen) } else { Err(seen) }
    })
    .await
}

/// Places a paid order of `quantity` units of `variant` as a new guest; returns the order id and
/// the guest.
async fn buy(stack: &Stack, variant: &str, quantity: i64, key: &str) -> (String, Who) {
    let (placed, who) = guest_buys(stack.edge("eu-west"), stack.payments_port, variant, quantity, key).await.unwrap();
    assert_eq!(placed["status"], "confirmed", "{}", placed);
    (placed["id"].as_str().unwrap().to_string(), who)
}

fn picks_of<'a>(audit: &'a Value, order: &str) -> Vec<&'a Value> {
    audit["picks"].as_array().unwrap().iter().filter(|p| p["order_id"] == order).collect()
}

#[tokio::test]
async fn a_confirmed_order_is_picked_shipped_by_the_warehouse_and_followed_live() {
    let stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let chair = product_with_stock(staff, "CHAIR", &[("fr", 12900)], "eu-par", 20).await.unwrap();
    let (order, who) = buy(&stack, &chair, 7, "ship-1").await;
    let mut live = follow_events(edge, &format!("/v1/orders/{order}/events"), &who.headers()).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), live.recv()).await.unwrap().unwrap();
    assert_eq!((first["status"].as_str(), first["payment"].as_str()), (Some("confirmed"), Some("authorized")));

    // The outbox delivers `order.confirmed` as a pick request of the warehouse holding it.
    let audit = wait_wms(&stack, "picked", |a| !picks_of(a, &order).is_empty()).await;
    let pick = picks_of(&audit, &order)[0].clone();
    assert_eq!(pick["warehouse"], "eu-par", "{pick}");
    assert_eq!(pick["lines"], json!([{"sku": "CHAIR-1", "quantity": 7}]), "{pick}");

    // The warehouse ships, twice over (a repeated callback): one shipment, the order shipped
    // and its payment captured once, live on the shopper's stream.
    wms_control(&stack, json!({"duplicate_callbacks": true})).await;
    let path = format!("/v1/picks/{}/ship", pick["id"].as_str().unwrap());
    let auth = format!("Bearer {WAREHOUSE_API_KEY}");
    ok(request(stack.warehouse_port, "POST", &path, &[("authorization", &auth)], None).await.unwrap()).unwrap();
    let mut last = first;
    while last["status"] != "shipped" {
        last = tokio::time::timeout(Duration::from_secs(15), live.recv()).await.unwrap().expect("stream open");
    }
    assert_eq!(last["payment"], "captured", "{last}");
    wait_wms(&stack, "both callbacks acknowledged", |a| a["callbacks"]["acknowledged"] == 2).await;
    let shipments =
        ok(admin(staff, "GET", &format!("/admin/v1/orders/{order}/shipments"), None).await.unwrap()).unwrap();
    let list = shipments["shipments"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{shipments}");
    // 7 units: parcels of 5 and 2, 250 g a unit and 100 g of packing each.
    let weights: Vec<i64> =
        list[0]["parcels"].as_array().unwrap().iter().map(|p| p["weight_grams"].as_i64().unwrap()).collect();
    assert_eq!(weights, [1350, 600]);
    assert_eq!(list[0]["weight_grams"], 1950);
    let at_provider =
        ok(stack_tests::shop::provider(stack.payments_port, "GET", &format!("/_audit?reference={order}"), None)
            .await
            .unwrap())
        .unwrap();
    assert_eq!(at_provider["authorizations"].as_array().unwrap().len(), 1, "{at_provider}");
    assert_eq!(at_provider["authorizations"][0]["status"], "captured", "{at_provider}");
    assert_eq!(at_provider["double_charges"], json!([]), "{at_provider}");
    let sql = stack.sql().await.unwrap();
    let on_hand: i64 = sql
        .query_one(
            "SELECT sum(on_hand)::INT8 FROM stock WHERE variant_id = $1",
            &[&chair.parse::<uuid::Uuid>().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(on_hand, 13, "the shipped units left the shelves once");
}

#[tokio::test]
async fn the_warehouse_down_for_a_while_then_back_gets_every_pick_once() {
    let stack = Stack::start().await.unwrap();
    let staff = stack.staff("eu-west");
    let desk = product_with_stock(staff, "DESK", &[("fr", 25900)], "eu-par", 20).await.unwrap();
    wms_control(&stack, json!({"down": true})).await;
    let mut orders = Vec::new();
    for i in 0..4 {
        orders.push(buy(&stack, &desk, 1, &format!("down-{i}")).await.0);
    }
    // While it is down, the outbox retries: the operators see the events waiting.
    let seen = wait_outbox(&stack, "the outbox retrying", |s| s["retrying"].as_i64().unwrap() >= 4).await;
    assert!(seen["lag_ms"].as_i64().unwrap() > 0, "{seen}");
    assert!(wms_audit(&stack).await["picks"].as_array().unwrap().is_empty());

    wms_control(&stack, json!({"down": false})).await;
    let audit = wait_wms(&stack, "every order picked", |a| orders.iter().all(|o| !picks_of(a, o).is_empty())).await;
    for o in &orders {
        let picks = picks_of(&audit, o);
        assert_eq!(picks.len(), 1, "one pick per order: {audit}");
        assert_eq!(picks[0]["requests"], 1, "delivered once after recovery: {audit}");
    }
    let seen = wait_outbox(&stack, "the outbox drained", |s| s["pending"] == 0).await;
    assert_eq!(seen["dead"], 0, "{seen}");
}

#[tokio::test]
async fn a_core_replica_killed_mid_delivery_loses_nothing() {
    let stack = Stack::start().await.unwrap();
    let (replica, _) = stack.core_replica("eu-west").await.unwrap();
    let replica_pid = replica.pid().unwrap();
    let sql = stack.sql().await.unwrap();
    // Each delivery takes a while, so that batches are in flight when the replica dies.
    wms_control(&stack, json!({"latency_ms": 20})).await;
    let n = 1500;
    sql.execute(
        "INSERT INTO outbox (topic, aggregate_id, payload, region) \
         SELECT 'test.kill', gen_random_uuid(), '{}'::JSONB, 'eu-west' FROM generate_series(1, $1::INT8)",
        &[&(n as i64)],
    )
    .await
    .unwrap();
    // As soon as the replica holds leased events (delivering them), it dies without a word
    // (SIGKILL, by its PID).
    let owner = format!("core-eu-west-{replica_pid}-%");
    let held = eventually("the replica holding leased events", Duration::from_secs(30), Duration::from_millis(2), async || {
        let held: i64 = sql
            .query_one(
                "SELECT count(*)::INT8 FROM outbox WHERE status = 'pending' AND lease_owner LIKE $1 AND lease_until > now()",
                &[&owner],
            )
            .await
            .unwrap()
            .get(0);
        if held > 0 { Ok(held) } else { Err(format!("{held} held")) }
    })
    .await;
    replica.signal(nix::sys::signal::Signal::SIGKILL);
    let audit = wait_wms(&stack, "every event delivered", |a| a["events"]["distinct"] == n).await;
    assert_eq!(audit["events"]["parallel"], 0, "an event was delivered twice at once");
    let received: HashSet<String> = audit["events"]["receipts"].as_object().unwrap().keys().cloned().collect();
    let what = format!("all {n} recorded delivered");
    let delivered = eventually(&what, Duration::from_secs(30), Duration::from_millis(100), async || {
        let delivered: HashSet<String> = sql
            .query("SELECT id FROM outbox WHERE topic = 'test.kill' AND status = 'delivered'", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, uuid::Uuid>(0).to_string())
            .collect();
        if delivered.len() >= n as usize { Ok(delivered) } else { Err(format!("{} of {n}", delivered.len())) }
    })
    .await;
    assert_eq!(received, delivered, "the partner has exactly the events the outbox holds");
    // What the replica held when it died was taken over by the other core after the lease.
    let taken_over: i64 = sql
        .query_one("SELECT count(*)::INT8 FROM outbox WHERE topic = 'test.kill' AND attempts >= 2", &[])
        .await
        .unwrap()
        .get(0);
    assert!(taken_over >= 1 && held >= 1, "held {held}, taken over {taken_over}");
}

#[tokio::test]
async fn the_stock_feed_applied_twice_leaves_the_same_stock_and_reports_unknown_skus() {
    let stack = Stack::start().await.unwrap();
    let staff = stack.staff("eu-west");
    let vase = product_with_stock(staff, "VASE", &[("fr", 3900)], "eu-par", 5).await.unwrap();
    let wms = stack.warehouse_port;
    ok(request(wms, "PUT", "/_stock/eu-par/VASE-1", &[], Some(&json!({"on_hand": 40}))).await.unwrap()).unwrap();
    let before_pull = ok(request(
        wms,
        "POST",
        "/_deltas",
        &[],
        Some(&json!({"warehouse": "eu-par", "sku": "VASE-1", "change": 5, "reason": "receipt"})),
    )
    .await
    .unwrap())
    .unwrap();
    assert_eq!(before_pull["change"], 5);
    let stock = || async {
        let sql = stack.sql().await.unwrap();
        let v: uuid::Uuid = vase.parse().unwrap();
        let row = sql
            .query_one("SELECT sum(on_hand)::INT8 FROM stock WHERE variant_id = $1 AND warehouse = 'eu-par'", &[&v])
            .await
            .unwrap();
        row.get::<_, i64>(0)
    };

    // The snapshot holds both changes; pulled twice, the same stock.
    let first = ok(admin(staff, "POST", "/admin/v1/warehouses/eu-par/stock-feed/pull", None).await.unwrap()).unwrap();
    assert_eq!(first["snapshot"]["applied"], 1, "{first}");
    assert_eq!(stock().await, 45);
    let again = ok(admin(staff, "POST", "/admin/v1/warehouses/eu-par/stock-feed/pull", None).await.unwrap()).unwrap();
    assert_eq!(again["snapshot"]["applied"], 1, "{again}");
    assert_eq!(stock().await, 45);

    // Deltas pushed twice apply once; a delta of an unknown SKU is reported and kept.
    let deltas = json!({"deltas": [
        {"id": "d-x1", "sku": "VASE-1", "change": -3},
        {"id": "d-x2", "sku": "NO-SUCH-SKU", "change": 7},
        {"id": "d-x3", "sku": "VASE-1", "change": 10},
    ]});
    let path = "/admin/v1/warehouses/eu-par/stock-feed/deltas";
    let first = ok(admin(staff, "POST", path, Some(&deltas)).await.unwrap()).unwrap();
    assert_eq!((first["applied"].as_u64(), first["duplicates"].as_u64()), (Some(2), Some(0)), "{first}");
    assert_eq!(first["issues"], json!([{"reference": "d-x2", "sku": "NO-SUCH-SKU", "reason": "unknown_sku"}]));
    assert_eq!(stock().await, 52);
    let again = ok(admin(staff, "POST", path, Some(&deltas)).await.unwrap()).unwrap();
    assert_eq!((again["applied"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(3)), "{again}");
    assert_eq!(stock().await, 52, "a feed applied twice leaves the same stock");
    let issues = ok(admin(staff, "GET", "/admin/v1/warehouses/eu-par/stock-feed/issues", None).await.unwrap()).unwrap();
    assert!(
        issues["items"].as_array().unwrap().iter().any(|i| i["sku"] == "NO-SUCH-SKU" && i["reason"] == "unknown_sku"),
        "{issues}"
    );
    // The issues a page at a time, as every list: each once, newest first.
    let more =
        json!({"deltas": [{"id": "d-x4", "sku": "GONE-1", "change": 1}, {"id": "d-x5", "sku": "GONE-2", "change": 1}]});
    ok(admin(staff, "POST", path, Some(&more)).await.unwrap()).unwrap();
    let issues_path = "/admin/v1/warehouses/eu-par/stock-feed/issues?limit=2";
    let first_page = ok(admin(staff, "GET", issues_path, None).await.unwrap()).unwrap();
    let cursor = first_page["next_cursor"].as_str().expect("a second page").to_string();
    let second_page = ok(admin(staff, "GET", &format!("{issues_path}&cursor={cursor}"), None).await.unwrap()).unwrap();
    let skus = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|i| i["sku"].as_str().unwrap().to_string()).collect()
    };
    let mut all = skus(&first_page);
    all.extend(skus(&second_page));
    all.sort();
    assert_eq!(all, ["GONE-1", "GONE-2", "NO-SUCH-SKU"], "{first_page} {second_page}");
    assert!(second_page["next_cursor"].is_null(), "{second_page}");
    let bad = admin(staff, "GET", "/admin/v1/warehouses/eu-par/stock-feed/issues?limit=0", None).await.unwrap();
    assert_eq!((bad.status, bad.body["code"].as_str()), (400, Some("invalid_query")));

    // Bad input changes nothing.
    let bad = admin(staff, "POST", "/admin/v1/warehouses/atlantis/stock-feed/deltas", Some(&deltas)).await.unwrap();
    assert_eq!((bad.status, bad.body["code"].as_str()), (404, Some("warehouse_not_found")));
    let bad =
        admin(staff, "POST", path, Some(&json!({"deltas": [{"id": "", "sku": "VASE-1", "change": 1}]}))).await.unwrap();
    assert_eq!((bad.status, bad.body["code"].as_str()), (400, Some("invalid_feed")));
    assert_eq!(stock().await, 52);
    // The warehouse system's own deltas of an unknown SKU, pulled, are reported as well.
    ok(request(wms, "POST", "/_deltas", &[], Some(&json!({"warehouse": "eu-par", "sku": "GHOST-9", "change": 2})))
        .await
        .unwrap())
    .unwrap();
    let pulled = ok(admin(staff, "POST", "/admin/v1/warehouses/eu-par/stock-feed/pull", None).await.unwrap()).unwrap();
    let reported: Vec<&str> =
        pulled["snapshot"]["issues"].as_array().unwrap().iter().map(|i| i["sku"].as_str().unwrap()).collect();
    assert_eq!(reported, ["GHOST-9"], "{pulled}");
    assert_eq!(stock().await, 45, "the snapshot is the warehouse system's count");
}

#[tokio::test]
async fn forged_and_malformed_warehouse_callbacks_are_refused() {
    let stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let lamp = product_with_stock(staff, "LAMPE", &[("fr", 4900)], "eu-par", 5).await.unwrap();
    let (order, _) = buy(&stack, &lamp, 1, "forged-1").await;
    let event = json!({"id": "whevt_forged", "type": "shipment.shipped", "created": 0, "data": {
        "shipment_id": "shp_forged", "pick_id": "x", "order_id": order, "warehouse": "eu-par",
        "parcels": [{"parcel_id": "p1", "weight_grams": 350, "lines": [{"sku": "LAMPE-1", "quantity": 1}]}]}});
    let body = event.to_string();
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    // Signed with a wrong key: refused by core; stale or unsigned: by the edge itself.
    for (signature, code) in [
        (partners_signing::sign(b"not the secret", now, body.as_bytes()), "invalid_signature"),
        (partners_signing::sign(WAREHOUSE_WEBHOOK_SECRET.as_bytes(), now - 3600, body.as_bytes()), "unsigned_webhook"),
        (String::new(), "unsigned_webhook"),
    ] {
        let answer = request(edge, "POST", "/webhooks/warehouse", &[("warehouse-signature", &signature)], Some(&event))
            .await
            .unwrap();
        assert_eq!((answer.status, answer.body["code"].as_str()), (401, Some(code)), "{signature}");
    }
    let signed = |v: &Value| partners_signing::sign(WAREHOUSE_WEBHOOK_SECRET.as_bytes(), now, v.to_string().as_bytes());
    let mut weightless = event.clone();
    weightless["data"]["parcels"][0]["weight_grams"] = json!(0);
    let answer = request(
        edge,
        "POST",
        "/webhooks/warehouse",
        &[("warehouse-signature", &signed(&weightless))],
        Some(&weightless),
    )
    .await
    .unwrap();
    assert_eq!((answer.status, answer.body["code"].as_str()), (400, Some("invalid_event")));
    let seen = ok(admin(staff, "GET", &format!("/admin/v1/orders/{order}"), None).await.unwrap()).unwrap();
    assert_eq!(seen["order"]["status"], "confirmed", "nothing changed: {seen}");
    let shipments =
        ok(admin(staff, "GET", &format!("/admin/v1/orders/{order}/shipments"), None).await.unwrap()).unwrap();
    assert_eq!(shipments["shipments"], json!([]));
}
