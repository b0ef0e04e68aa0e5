//! Carriers end to end: carts quote shipping options from both carrier stand-ins (or the
//! market's fallback table when they are down), the shopper chooses one, checkout charges it
//! and the shipped order is labelled with it through the outbox; without a choice the cheapest
//! carrier labels it; tracking webhooks build the timeline and deliver the order, live on the
//! shopper's stream through the edge; duplicated and shuffled webhooks give the same timeline;
//! forged ones are refused and change nothing. An approved return gets a return label from the
//! order's carrier, made once however often the event is delivered.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use stack_tests::shop::{
    APPROVED_CARD, Who, call, card_token, cart, checkout_body, follow_events, guest_buys, ok, product_with_stock,
};
use stack_tests::{CLASSICPOST_WEBHOOK_SECRET, PARCELO_WEBHOOK_SECRET, Stack, WAREHOUSE_API_KEY, admin, get, request};
use testkit::eventually;
use tokio::sync::mpsc::UnboundedReceiver;

/// The stack, its eu-west core selling a lamp (49.90 EUR in France, 20 at eu-par); answers it
/// with the lamp's variant.
async fn stack_selling_lamps() -> (Stack, String) {
    let stack = Stack::start().await.unwrap();
    let lamp = product_with_stock(stack.staff("eu-west"), "LAMP", &[("fr", 4990)], "eu-par", 20).await.unwrap();
    (stack, lamp)
}

/// Places a paid order of `quantity` units of `variant` as a new guest; returns the order id and
/// the guest.
async fn buy(stack: &Stack, variant: &str, quantity: i64, key: &str) -> (String, Who) {
    let (placed, who) = guest_buys(stack.edge("eu-west"), stack.payments_port, variant, quantity, key).await.unwrap();
    (placed["id"].as_str().unwrap().to_string(), who)
}

/// Waits (bounded, 30 s) until the warehouse stand-in holds the order's pick, and ships it.
async fn warehouse_ships(stack: &Stack, order: &str) {
    let pick = eventually("the order picked", Duration::from_secs(30), Duration::from_millis(50), async || {
        let audit = ok(get(stack.warehouse_port, "/_audit", &[]).await.unwrap()).unwrap();
        let pick = audit["picks"].as_array().unwrap().iter().find(|p| p["order_id"] == order).cloned();
        pick.ok_or(audit)
    })
    .await;
    let path = format!("/v1/picks/{}/ship", pick["id"].as_str().unwrap());
    let auth = format!("Bearer {WAREHOUSE_API_KEY}");
    ok(request(stack.warehouse_port, "POST", &path, &[("authorization", &auth)], None).await.unwrap()).unwrap();
}

/// The next event of the shopper's stream (15 s at most).
async fn next(live: &mut UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(15), live.recv()).await.expect("a live update").expect("stream open")
}

/// What a stream event says: `status:<order status>` or `tracking:<first parcel's status>`.
fn step(event: &Value) -> String {
    match event.get("labels") {
        Some(labels) => format!("tracking:{}", labels[0]["status"].as_str().unwrap_or("?")),
        None => format!("status:{}", event["status"].as_str().unwrap_or("?")),
    }
}

async fn advance(port: u16, tracking_number: &str, statuses: &[&str]) -> Value {
    let body = json!({"tracking_number": tracking_number, "statuses": statuses});
    ok(request(port, "POST", "/_advance", &[], Some(&body)).await.unwrap()).unwrap()
}

async fn tracking(stack: &Stack, order: &str, who: &Who) -> Value {
    let edge = stack.edge("eu-west");
    ok(call(edge, who, "GET", &format!("/v1/orders/{order}/tracking"), &[], None).await.unwrap()).unwrap()
}

fn timeline(tracking: &Value) -> Vec<String> {
    tracking["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn an_order_is_shipped_labelled_tracked_and_delivered_live_through_the_edge() {
    let (stack, lamp) = stack_selling_lamps().await;
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let (order, who) = buy(&stack, &lamp, 1, "track-1").await;
    let mut live = follow_events(edge, &format!("/v1/orders/{order}/events"), &who.headers()).await.unwrap();
    let mut seen = vec![step(&next(&mut live).await)];
    assert_eq!(seen, ["status:confirmed"]);

    // The warehouse picks and ships; the shipped order is labelled through the outbox by the
    // cheaper carrier for one light parcel (350 g): parcelo, the REST one.
    warehouse_ships(&stack, &order).await;
    let labelled = loop {
        let event = next(&mut live).await;
        seen.push(step(&event));
        if event.get("labels").is_some() {
            break event;
        }
    };
    assert_eq!(seen, ["status:confirmed", "status:shipped", "tracking:label_created"]);
    let label = &labelled["labels"][0];
    assert_eq!(
        (label["carrier"].as_str(), label["service"].as_str()),
        (Some("parcelo"), Some("standard")),
        "{labelled}"
    );
    assert!(label["eta"].is_string(), "{labelled}");
    let number = label["tracking_number"].as_str().unwrap().to_string();
    // What the label cost us is recorded, and is not the shopper's to see.
    assert!(label.get("amount_minor").is_none() && label.get("currency").is_none(), "{labelled}");
    let cost: i64 = stack
        .sql()
        .await
        .unwrap()
        .query_one("SELECT amount_minor FROM shipment_labels WHERE tracking_number = $1", &[&number])
        .await
        .unwrap()
        .get(0);
    assert_eq!(cost, 390 + 35);

    // The parcel moves: each tracking webhook shows on the stream, in order; delivered
    // completes the order and ends the stream.
    for status in ["in_transit", "out_for_delivery", "delivered"] {
        advance(stack.parcelo_port, &number, &[status]).await;
        seen.push(step(&next(&mut live).await));
    }
    seen.push(step(&next(&mut live).await));
    assert_eq!(
        seen,
        [
            "status:confirmed",
            "status:shipped",
            "tracking:label_created",
            "tracking:in_transit",
            "tracking:out_for_delivery",
            "tracking:delivered",
            "status:delivered"
        ]
    );
    let end = tokio::time::timeout(Duration::from_secs(10), live.recv()).await.expect("the stream ends");
    assert!(end.is_none(), "nothing after delivery: {end:?}");

    let seen = tracking(&stack, &order, &who).await;
    assert_eq!(timeline(&seen), ["label_created", "in_transit", "out_for_delivery", "delivered"], "{seen}");
    let order_view = ok(admin(staff, "GET", &format!("/admin/v1/orders/{order}"), None).await.unwrap()).unwrap();
    assert_eq!(order_view["order"]["status"], "delivered", "{order_view}");
    // The carrier made one label, asked once, with one access token.
    let audit = ok(get(stack.parcelo_port, "/_audit", &[]).await.unwrap()).unwrap();
    assert_eq!(audit["labels"].as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(audit["tokens_issued"], 1, "{audit}");
    let sql = stack.sql().await.unwrap();
    let history: Vec<String> = sql
        .query(
            "SELECT to_state FROM state_transitions WHERE entity_id = $1 AND entity = 'order' ORDER BY at",
            &[&order.parse::<uuid::Uuid>().unwrap()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(history.last().map(String::as_str), Some("delivered"), "{history:?}");
    // Someone else's order's tracking does not exist.
    let stranger = get(edge, &format!("/v1/orders/{order}/tracking"), &[]).await.unwrap();
    assert_eq!(stranger.status, 404, "{}", stranger.body);
}

/// A signed webhook body for `classicpost`.
fn classicpost_event(id: &str, number: &str, code: &str, time: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><TrackingEvent><EventId>{id}</EventId><TrackingNumber>{number}</TrackingNumber>\
         <Reference>r</Reference><StatusCode>{code}</StatusCode><EventTime>{time}</EventTime></TrackingEvent>"
    )
}

async fn post_webhook(stack: &Stack, carrier: &str, signature: Option<String>, body: &str) -> stack_tests::Answer {
    let edge = stack.edge("eu-west");
    let mut headers = vec![("content-type", "application/xml".to_string())];
    if let Some(s) = signature {
        headers.push(("carrier-signature", s));
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    stack_tests::request_raw(edge, "POST", &format!("/webhooks/carriers/{carrier}"), &headers, body.as_bytes().to_vec())
        .await
        .unwrap()
}

/// The order's first parcel label, once the carrier made it (at most 30 s).
async fn first_label(stack: &Stack, order: &str, who: &Who) -> Value {
    eventually("the order labelled", Duration::from_secs(30), Duration::from_millis(100), async || {
        let seen = tracking(stack, order, who).await;
        let label = seen["labels"].as_array().unwrap().first().cloned();
        label.ok_or(seen)
    })
    .await
}

#[tokio::test]
async fn duplicated_and_shuffled_tracking_webhooks_give_the_right_timeline_and_forged_ones_are_refused() {
    let stack = Stack::start().await.unwrap();
    let staff = stack.staff("eu-west");
    let sofa = product_with_stock(staff, "SOFA", &[("fr", 49900)], "eu-par", 20).await.unwrap();
    // 15 units: three parcels of 1,350 g, cheaper with classicpost, the XML one.
    let (order, who) = buy(&stack, &sofa, 15, "track-2").await;
    warehouse_ships(&stack, &order).await;
    let label = first_label(&stack, &order, &who).await;
    assert_eq!(
        (label["carrier"].as_str(), label["service"].as_str()),
        (Some("classicpost"), Some("economy")),
        "{label}"
    );
    let number = label["tracking_number"].as_str().unwrap().to_string();

    // Every webhook twice, in random order.
    let knobs = json!({"duplicate_webhooks": true, "shuffle_webhooks": true});
    ok(request(stack.classicpost_port, "POST", "/_control", &[], Some(&knobs)).await.unwrap()).unwrap();
    let steps = ["in_transit", "exception", "in_transit", "out_for_delivery", "delivered"];
    advance(stack.classicpost_port, &number, &steps).await;
    eventually("the 10 webhooks acknowledged", Duration::from_secs(30), Duration::from_millis(100), async || {
        let audit = ok(get(stack.classicpost_port, "/_audit", &[]).await.unwrap()).unwrap();
        if audit["webhooks"]["acknowledged"] == 10 { Ok(()) } else { Err(audit) }
    })
    .await;
    let seen = tracking(&stack, &order, &who).await;
    let mut expected = vec!["label_created"];
    expected.extend(steps);
    assert_eq!(timeline(&seen), expected, "{seen}");
    assert_eq!(seen["labels"][0]["status"], "delivered", "{seen}");
    let order_view = ok(admin(staff, "GET", &format!("/admin/v1/orders/{order}"), None).await.unwrap()).unwrap();
    assert_eq!(order_view["order"]["status"], "delivered", "{order_view}");

    // A scan stamped after delivery joins the timeline but does not move the parcel back.
    advance(stack.classicpost_port, &number, &["in_transit"]).await;
    let seen =
        eventually("the late scan in the timeline", Duration::from_secs(30), Duration::from_millis(100), async || {
            let seen = tracking(&stack, &order, &who).await;
            if timeline(&seen).len() == 7 { Ok(seen) } else { Err(seen) }
        })
        .await;
    assert_eq!(seen["labels"][0]["status"], "delivered", "{seen}");
    let sql = stack.sql().await.unwrap();
    let order_id = order.parse::<uuid::Uuid>().unwrap();
    let delivered: i64 = sql
        .query_one(
            "SELECT count(*)::INT8 FROM state_transitions WHERE entity_id = $1 AND to_state = 'delivered'",
            &[&order_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(delivered, 1, "the order was delivered once");

    // Forged webhooks: another secret, a stale timestamp, none at all, another carrier's
    // secret; then well signed but malformed, of an unknown carrier or an unknown parcel.
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let forged = classicpost_event("forged-1", &number, "RS", "20991231235959");
    let sign = |secret: &str, t: u64, body: &str| partners_signing::sign(secret.as_bytes(), t, body.as_bytes());
    // Unsigned or stale: refused by the edge itself; signed with a wrong key: by core.
    for (signature, why, code) in [
        (Some(sign("whsec_guess", now, &forged)), "wrong secret", "invalid_signature"),
        (Some(sign(CLASSICPOST_WEBHOOK_SECRET, now - 3600, &forged)), "stale timestamp", "unsigned_webhook"),
        (None, "unsigned", "unsigned_webhook"),
        (Some(sign(PARCELO_WEBHOOK_SECRET, now, &forged)), "another carrier's secret", "invalid_signature"),
    ] {
        let answer = post_webhook(&stack, "classicpost", signature, &forged).await;
        assert_eq!((answer.status, answer.body["code"].as_str()), (401, Some(code)), "{why}: {}", answer.body);
    }
    let tampered = sign(CLASSICPOST_WEBHOOK_SECRET, now, &forged);
    let answer = post_webhook(&stack, "classicpost", Some(tampered), &forged.replace("RS", "EX")).await;
    assert_eq!(answer.status, 401, "tampered: {}", answer.body);
    let malformed = classicpost_event("bad-1", &number, "ZZ", "20991231235959");
    let answer =
        post_webhook(&stack, "classicpost", Some(sign(CLASSICPOST_WEBHOOK_SECRET, now, &malformed)), &malformed).await;
    assert_eq!((answer.status, answer.body["code"].as_str()), (400, Some("invalid_event")), "{}", answer.body);
    let answer = post_webhook(&stack, "pigeon", Some(sign(CLASSICPOST_WEBHOOK_SECRET, now, &forged)), &forged).await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    let stranger = classicpost_event("ok-1", "CP0", "DL", "20991231235959");
    let answer =
        post_webhook(&stack, "classicpost", Some(sign(CLASSICPOST_WEBHOOK_SECRET, now, &stranger)), &stranger).await;
    // Signed, about a label that is not ours: acknowledged (a 404 would be retried for days) and
    // kept for operators.
    assert_eq!((answer.status, answer.body["applied"].as_bool()), (200, Some(false)), "{}", answer.body);
    assert_eq!(answer.body["reason"], "unknown_label", "{}", answer.body);
    let unapplied =
        ok(admin(stack.staff("eu-west"), "GET", "/admin/v1/partner-events/unapplied", None).await.unwrap()).unwrap();
    let events = unapplied["items"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["partner"] == "carrier:classicpost" && e["event_id"] == "ok-1" && e["reference"] == "CP0"),
        "{unapplied}"
    );
    let after = tracking(&stack, &order, &who).await;
    assert_eq!(after, seen, "refused webhooks changed nothing");
    let events: i64 = sql
        .query_one("SELECT count(*)::INT8 FROM tracking_events WHERE order_id = $1", &[&order_id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(events, 7, "each carrier event recorded once");
}

/// The cart's quote (bounded, 30 s) once every option's price comes from `source`: the first
/// quote may fall back while a carrier takes longer than the quote waits; its answer then
/// fills the cache for the next one.
async fn quote_from(stack: &Stack, cart_id: &str, who: &Who, source: &str) -> Value {
    let edge = stack.edge("eu-west");
    let what = format!("every option priced from {source}");
    eventually(&what, Duration::from_secs(30), Duration::from_millis(100), async || {
        let cart = ok(call(edge, who, "GET", &format!("/v1/carts/{cart_id}"), &[], None).await.unwrap()).unwrap();
        let quote = cart["quote"].clone();
        let options = quote["shipping_options"]["options"].as_array().cloned().unwrap_or_default();
        if !options.is_empty() && options.iter().all(|o| o["source"] == source) { Ok(quote) } else { Err(cart) }
    })
    .await
}

fn option<'a>(quote: &'a Value, id: &str) -> &'a Value {
    let options = quote["shipping_options"]["options"].as_array().unwrap();
    options.iter().find(|o| o["id"] == id).unwrap_or_else(|| panic!("no option {id}: {quote}"))
}

#[tokio::test]
async fn the_shopper_chooses_a_shipping_option_checkout_charges_it_and_its_carrier_labels_the_order_and_its_return() {
    let (stack, lamp) = stack_selling_lamps().await;
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let (cart_id, who) = cart(edge, None, "fr", "fr", &[(&lamp, 1)]).await.unwrap();

    // France is served by both carriers: four options for one 500 g lamp (the 1 kg band),
    // priced by the carriers; parcelo's standard is the cheapest, its express the fastest.
    let quote = quote_from(&stack, &cart_id, &who, "carrier").await;
    let ids: Vec<&str> =
        quote["shipping_options"]["options"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["parcelo:standard", "parcelo:express", "classicpost:economy", "classicpost:priority"], "{quote}");
    assert_eq!(quote["shipping_options"]["cheapest"], "parcelo:standard", "{quote}");
    assert_eq!(quote["shipping_options"]["fastest"], "parcelo:express", "{quote}");
    assert_eq!(quote["shipping_options"]["charged"], "parcelo:standard", "the cheapest by default: {quote}");
    let express = option(&quote, "parcelo:express");
    assert_eq!(
        (express["amount"]["amount_minor"].as_i64(), express["fastest"].as_bool()),
        (Some(990 + 200), Some(true))
    );
    assert_eq!((express["transit_days_min"].as_i64(), express["transit_days_max"].as_i64()), (Some(1), Some(1)));
    assert!(express["eta_earliest"].is_string() && express["eta_latest"].is_string(), "{express}");
    assert_eq!(option(&quote, "parcelo:standard")["amount"]["amount_minor"], 390 + 100, "{quote}");
    assert_eq!(quote["totals"]["shipping"]["amount_minor"], 490, "{quote}");
    let total_with_standard = quote["totals"]["total"]["amount_minor"].as_i64().unwrap();

    // The shopper chooses express: the quote's shipping line and total follow.
    let path = format!("/v1/carts/{cart_id}/shipping");
    let chosen =
        ok(call(edge, &who, "PUT", &path, &[], Some(&json!({"option": "parcelo:express"}))).await.unwrap()).unwrap();
    assert_eq!(chosen["shipping_option"], "parcelo:express", "{chosen}");
    assert_eq!(chosen["quote"]["shipping_options"]["charged"], "parcelo:express", "{chosen}");
    assert_eq!(chosen["quote"]["totals"]["shipping"]["amount_minor"], 1190, "{chosen}");
    assert_eq!(
        chosen["quote"]["totals"]["total"]["amount_minor"].as_i64(),
        Some(total_with_standard + 700),
        "{chosen}"
    );

    // An unknown option is refused and changes nothing; another shopper's cart does not exist.
    let refused = call(edge, &who, "PUT", &path, &[], Some(&json!({"option": "pigeon:fast"}))).await.unwrap();
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (422, Some("unknown_shipping_option")),
        "{}",
        refused.body
    );
    let stranger = Who::Guest("someone-elses-cart-token-0123456789".into());
    let answer = call(edge, &stranger, "PUT", &path, &[], Some(&json!({"option": "parcelo:standard"}))).await.unwrap();
    assert_eq!((answer.status, answer.body["code"].as_str()), (404, Some("cart_not_found")), "{}", answer.body);
    let unchanged = ok(call(edge, &who, "GET", &format!("/v1/carts/{cart_id}"), &[], None).await.unwrap()).unwrap();
    assert_eq!(unchanged["shipping_option"], "parcelo:express", "{unchanged}");
    assert_eq!(
        unchanged["quote"]["totals"]["total"]["amount_minor"], chosen["quote"]["totals"]["total"]["amount_minor"],
        "{unchanged}"
    );

    // A shopper cannot set their own shipping price any more: the old field is refused.
    let card = card_token(stack.payments_port, APPROVED_CARD).await.unwrap();
    let mut body = checkout_body(&card, Some("guest@example.com"));
    body["shipping_minor"] = json!(0);
    let checkout = format!("/v1/carts/{cart_id}/checkout");
    let refused = call(edge, &who, "POST", &checkout, &[("idempotency-key", "choose-0")], Some(&body)).await.unwrap();
    assert_eq!(refused.status, 422, "{}", refused.body);

    // Checkout charges the chosen option, and the order records its carrier and service.
    let body = checkout_body(&card, Some("guest@example.com"));
    let placed = call(edge, &who, "POST", &checkout, &[("idempotency-key", "choose-1")], Some(&body)).await.unwrap();
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!(placed.body["totals"]["shipping"]["amount_minor"], 1190, "{}", placed.body);
    assert_eq!(
        placed.body["totals"]["total"]["amount_minor"], chosen["quote"]["totals"]["total"]["amount_minor"],
        "{}",
        placed.body
    );
    let order = placed.body["id"].as_str().unwrap().to_string();
    let order_id = order.parse::<uuid::Uuid>().unwrap();
    let sql = stack.sql().await.unwrap();
    let row = sql
        .query_one("SELECT shipping_carrier, shipping_service, shipping_minor FROM orders WHERE id = $1", &[&order_id])
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, Option<String>>(0), row.get::<_, Option<String>>(1), row.get::<_, i64>(2)),
        (Some("parcelo".into()), Some("express".into()), 1190)
    );
    // The order keeps the quote the shopper was shown, as the cart answered it (the record has
    // its own shape: amounts as `*_minor` integers in the order's currency).
    let kept: Value = sql.query_one("SELECT quote FROM orders WHERE id = $1", &[&order_id]).await.unwrap().get(0);
    let shown = &unchanged["quote"];
    let amount = |v: &Value| v["amount_minor"].clone();
    for total in ["subtotal", "discount", "shipping", "tax", "total"] {
        assert_eq!(kept[format!("{total}_minor")], amount(&shown["totals"][total]), "{total}: {kept}");
    }
    let kept_lines = kept["lines"].as_array().unwrap();
    let shown_lines = shown["lines"].as_array().unwrap();
    assert_eq!(kept_lines.len(), shown_lines.len(), "{kept}");
    for (k, s) in kept_lines.iter().zip(shown_lines) {
        assert_eq!(
            (&k["variant_id"], &k["quantity"], &k["unit_price_minor"], &k["total_minor"], &k["tax_minor"]),
            (&s["variant_id"], &s["quantity"], &amount(&s["unit_price"]), &amount(&s["total"]), &amount(&s["tax"])),
            "{kept}"
        );
    }
    assert_eq!(kept["shipping_options"]["charged"], shown["shipping_options"]["charged"], "{kept}");
    assert_eq!(kept["currency"], shown["currency"], "{kept}");

    // Shipped, it is labelled with the chosen service, not the cheapest.
    warehouse_ships(&stack, &order).await;
    let label = first_label(&stack, &order, &who).await;
    assert_eq!((label["carrier"].as_str(), label["service"].as_str()), (Some("parcelo"), Some("express")), "{label}");
    let audit = ok(get(stack.parcelo_port, "/_audit", &[]).await.unwrap()).unwrap();
    let labels = audit["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 1, "{audit}");
    assert_eq!(labels[0]["service"], "express", "{audit}");

    // The lamp comes back: once staff approve the return, the order's carrier makes its return
    // label, and the shopper's return shows it.
    let asked = call(
        edge,
        &who,
        "POST",
        &format!("/v1/orders/{order}/returns"),
        &[],
        Some(&json!({"lines": [{"variant_id": lamp, "quantity": 1}], "reason": "too bright"})),
    )
    .await
    .unwrap();
    assert_eq!(asked.status, 201, "{}", asked.body);
    assert!(asked.body["return_label"].is_null(), "no label before approval: {}", asked.body);
    let ret = asked.body["id"].as_str().unwrap().to_string();
    ok(admin(staff, "POST", &format!("/admin/v1/returns/{ret}/approve"), None).await.unwrap()).unwrap();
    let first = return_label(&stack, &ret, &who).await;
    assert_eq!(first["carrier"], "parcelo", "{first}");
    assert!(first["tracking_number"].as_str().is_some_and(|t| t.starts_with("PN")), "{first}");
    assert!(first["label_url"].as_str().is_some_and(|u| u.starts_with("https://")), "{first}");
    assert_ne!(first["tracking_number"], label["tracking_number"], "{first}");
    let returns = |audit: &Value| -> Vec<Value> {
        audit["labels"].as_array().unwrap().iter().filter(|l| l["direction"] == "return").cloned().collect()
    };
    let audit = ok(get(stack.parcelo_port, "/_audit", &[]).await.unwrap()).unwrap();
    let made = returns(&audit);
    assert_eq!(made.len(), 1, "{audit}");
    assert_eq!((&made[0]["reference"], &made[0]["tracking_number"]), (&json!(ret), &first["tracking_number"]));

    // `return.approved` delivered again after a core lost its record of the label (died between
    // the carrier's answer and its commit): the carrier answers the same label, made once.
    let ret_id = ret.parse::<uuid::Uuid>().unwrap();
    sql.execute("DELETE FROM return_labels WHERE return_id = $1", &[&ret_id]).await.unwrap();
    let event: uuid::Uuid = sql
        .query_one("SELECT id FROM outbox WHERE topic = 'return.approved' AND aggregate_id = $1", &[&ret_id])
        .await
        .unwrap()
        .get(0);
    eventually("return.approved delivered", Duration::from_secs(30), Duration::from_millis(50), async || {
        let row = sql.query_one("SELECT status FROM outbox WHERE id = $1", &[&event]).await.unwrap();
        let status: String = row.get(0);
        if status == "delivered" { Ok(()) } else { Err(status) }
    })
    .await;
    ok(admin(staff, "POST", &format!("/admin/v1/outbox/events/{event}/replay"), None).await.unwrap()).unwrap();
    let again = return_label(&stack, &ret, &who).await;
    assert_eq!(again, first);
    let audit = ok(get(stack.parcelo_port, "/_audit", &[]).await.unwrap()).unwrap();
    let made = returns(&audit);
    assert_eq!((made.len(), &made[0]["requests"]), (1, &json!(2)), "{audit}");
}

/// Waits (bounded, 30 s) until the shopper's return shows its return label; answers it.
async fn return_label(stack: &Stack, ret: &str, who: &Who) -> Value {
    let edge = stack.edge("eu-west");
    eventually("the return's label", Duration::from_secs(30), Duration::from_millis(100), async || {
        let seen = ok(call(edge, who, "GET", &format!("/v1/returns/{ret}"), &[], None).await.unwrap()).unwrap();
        if seen["return_label"].is_null() { Err(seen) } else { Ok(seen["return_label"].clone()) }
    })
    .await
}

#[tokio::test]
async fn with_both_carriers_down_carts_and_checkout_are_priced_from_the_fallback_table() {
    let stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    for port in [stack.parcelo_port, stack.classicpost_port] {
        ok(request(port, "POST", "/_control", &[], Some(&json!({"down": true}))).await.unwrap()).unwrap();
    }
    let lamp = product_with_stock(staff, "LAMP", &[("fr", 4990)], "eu-par", 20).await.unwrap();
    // Three lamps, 1.5 kg: France's table for the 5 kg band.
    let (cart_id, who) = cart(edge, None, "fr", "fr", &[(&lamp, 3)]).await.unwrap();
    let quote = quote_from(&stack, &cart_id, &who, "fallback").await;
    assert_eq!(quote["shipping_options"]["options"].as_array().unwrap().len(), 4, "{quote}");
    assert_eq!(quote["shipping_options"]["cheapest"], "classicpost:economy", "{quote}");
    assert_eq!(quote["shipping_options"]["fastest"], "parcelo:express", "{quote}");
    let eco = option(&quote, "classicpost:economy");
    assert_eq!(
        (eco["amount"]["amount_minor"].as_i64(), eco["transit_days_min"].as_i64(), eco["transit_days_max"].as_i64()),
        (Some(790), Some(4), Some(6))
    );
    assert_eq!(option(&quote, "parcelo:express")["amount"]["amount_minor"], 2090, "{quote}");
    assert_eq!(quote["totals"]["shipping"]["amount_minor"], 790, "{quote}");

    // Checkout goes through at the table's price.
    let card = card_token(stack.payments_port, APPROVED_CARD).await.unwrap();
    let body = checkout_body(&card, Some("guest@example.com"));
    let path = format!("/v1/carts/{cart_id}/checkout");
    let placed = call(edge, &who, "POST", &path, &[("idempotency-key", "down-1")], Some(&body)).await.unwrap();
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!(placed.body["totals"]["shipping"]["amount_minor"], 790, "{}", placed.body);
    assert_eq!(placed.body["status"], "confirmed", "{}", placed.body);
}
