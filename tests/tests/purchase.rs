//! The purchase path end to end, through the edges, with the payment provider stand-in: a
//! shopper signs up, fills a cart, checks out, pays (through a 3-D Secure challenge), and
//! follows the order live; a second order is cancelled (its authorization voided), a third is
//! shipped, returned and refunded. Then the retries, drops and webhook faults of a real
//! provider.

use std::time::Duration;

use serde_json::{Value, json};
use stack_tests::shop::{
    self, Who, call, card_token, cart, checkout_body, follow_events, ok, product_with_stock, provider,
};
use stack_tests::{Stack, admin, request};
use testkit::eventually;

const APPROVED: &str = "4242424242424242";
const DECLINED: &str = "4000000000000002";
const THREE_D_SECURE: &str = "4000000000003220";

/// Waits (bounded) until the order, read through `edge` as `who`, satisfies `done`.
async fn wait_order(edge: u16, who: &Who, order: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    eventually(&format!("the order {what}"), Duration::from_secs(20), Duration::from_millis(100), async || {
        let body = ok(call(edge, who, "GET", &format!("/v1/orders/{order}"), &[], None).await.unwrap()).unwrap();
        if done(&body) { Ok(body) } else { Err(body) }
    })
    .await
}

/// The next live update of an order's stream (bounded wait).
async fn next_update(live: &mut tokio::sync::mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(15), live.recv()).await.expect("a live update").expect("stream open")
}

/// The provider's authorizations of an order (its reference).
async fn provider_view(payments: u16, order: &str) -> Value {
    ok(provider(payments, "GET", &format!("/_audit?reference={order}"), None).await.unwrap()).unwrap()
}

async fn checkout(edge: u16, who: &Who, cart: &str, key: &str, body: &Value) -> stack_tests::Answer {
    call(edge, who, "POST", &format!("/v1/carts/{cart}/checkout"), &[("idempotency-key", key)], Some(body))
        .await
        .unwrap()
}

async fn available(stack: &Stack, variant: &str) -> i64 {
    let client = stack.sql().await.unwrap();
    let variant = uuid_of(variant);
    let row = client
        .query_one(
            "SELECT COALESCE(SUM(on_hand - reserved - safety_stock), 0)::BIGINT FROM stock WHERE variant_id = $1",
            &[&variant],
        )
        .await
        .unwrap();
    row.get(0)
}

fn uuid_of(s: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(s).unwrap()
}

#[tokio::test]
async fn sign_up_buy_follow_live_cancel_and_return_through_the_edge() {
    let stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let payments = stack.payments_port;
    let lamp = product_with_stock(staff, "LAMP", &[("fr", 4990), ("de", 4990)], "eu-par", 10).await.unwrap();
    let token = shop::shopper(edge, "camille@example.com", "fr").await.unwrap();
    let me = Who::Shopper(token.clone());

    // 1. A cart of 2 lamps, priced live; checkout through a 3-D Secure challenge.
    let (cart1, _) = cart(edge, Some(&token), "fr", "fr", &[(&lamp, 2)]).await.unwrap();
    let seen = ok(call(edge, &me, "GET", &format!("/v1/carts/{cart1}"), &[], None).await.unwrap()).unwrap();
    // Shipping is the cheapest option's price (the carrier's, or the market's table).
    let shipping = seen["quote"]["totals"]["shipping"]["amount_minor"].as_i64().unwrap();
    assert!(shipping > 0, "{seen}");
    assert_eq!(seen["quote"]["totals"]["subtotal"]["amount_minor"], 9980, "{seen}");
    assert_eq!(seen["quote"]["totals"]["total"]["amount_minor"].as_i64(), Some(9980 + shipping), "{seen}");
    assert_eq!(seen["quote"]["currency"], "EUR");
    let card = card_token(payments, THREE_D_SECURE).await.unwrap();
    let placed = checkout(edge, &me, &cart1, "order-1", &checkout_body(&card, None)).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let order1 = placed.body["id"].as_str().unwrap().to_string();
    assert_eq!(placed.body["status"], "pending_payment");
    assert_eq!(placed.body["payment"]["status"], "requires_action");
    let total1 = placed.body["totals"]["total"]["amount_minor"].as_i64().unwrap();
    assert_eq!(total1, 9980 + placed.body["totals"]["shipping"]["amount_minor"].as_i64().unwrap(), "{}", placed.body);
    // Its line names what was bought as the shopper saw it (in French).
    let line = &placed.body["lines"][0];
    assert_eq!(
        (line["name"].as_str(), line["sku"].as_str()),
        (Some("Produit LAMP"), Some("LAMP-1")),
        "{}",
        placed.body
    );
    assert_eq!(line["unit_price"], json!({"amount_minor": 4990, "currency": "EUR"}), "{}", placed.body);
    let challenge = placed.body["payment"]["next_action"]["url"].as_str().unwrap().to_string();
    assert_eq!(available(&stack, &lamp).await, 8, "2 lamps held for the order");

    // The shopper follows the order live through the edge while the challenge is passed.
    let mut live = follow_events(edge, &format!("/v1/orders/{order1}/events"), &me.headers()).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), live.recv()).await.unwrap().unwrap();
    assert_eq!(first["status"], "pending_payment", "{first}");
    let auth_id = challenge.rsplit('/').next().unwrap();
    ok(request(payments, "POST", &format!("/3ds/{auth_id}/complete"), &[], Some(&json!({"outcome": "pass"})))
        .await
        .unwrap())
    .unwrap();
    // The provider's webhook (through the edge) confirms the order.
    let mut update = next_update(&mut live).await;
    while update["status"] != "confirmed" {
        update = next_update(&mut live).await;
    }
    assert_eq!(update["payment"], "authorized", "{update}");
    // Staff ship it: the payment is captured; no carrier tracks a parcel shipped by hand, so
    // the stream then goes quiet.
    let shipped = ok(admin(staff, "POST", &format!("/admin/v1/orders/{order1}/ship"), None).await.unwrap()).unwrap();
    assert_eq!(shipped["status"], "shipped");
    assert_eq!(shipped["payment"]["status"], "captured");
    let mut last = next_update(&mut live).await;
    while let Ok(Some(more)) = tokio::time::timeout(Duration::from_secs(5), live.recv()).await {
        last = more;
    }
    assert_eq!((last["status"].as_str(), last["payment"].as_str()), (Some("shipped"), Some("captured")), "{last}");
    let at_provider = provider_view(payments, &order1).await;
    assert_eq!(at_provider["authorizations"][0]["captured_minor"], total1, "{at_provider}");

    // The merchandiser renames the lamp: new carts show the new name, the order keeps the old.
    let sql = stack.sql().await.unwrap();
    let product: uuid::Uuid = sql
        .query_one("SELECT product_id FROM variants WHERE id = $1", &[&lamp.parse::<uuid::Uuid>().unwrap()])
        .await
        .unwrap()
        .get(0);
    let renamed = json!({"name": "Lampe de chevet", "slug": "produit-lamp"});
    ok(admin(staff, "PUT", &format!("/admin/v1/products/{product}/translations/fr"), Some(&renamed)).await.unwrap())
        .unwrap();
    let order = ok(call(edge, &me, "GET", &format!("/v1/orders/{order1}"), &[], None).await.unwrap()).unwrap();
    assert_eq!(order["lines"][0]["name"], "Produit LAMP", "the name as sold: {order}");

    // 2. A second order, approved at once, then cancelled: voided, stock back.
    let (cart2, _) = cart(edge, Some(&token), "fr", "fr", &[(&lamp, 3)]).await.unwrap();
    let card = card_token(payments, APPROVED).await.unwrap();
    let placed = checkout(edge, &me, &cart2, "order-2", &checkout_body(&card, None)).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!(placed.body["status"], "confirmed");
    assert_eq!(placed.body["payment"]["status"], "authorized");
    let order2 = placed.body["id"].as_str().unwrap().to_string();
    assert_eq!(available(&stack, &lamp).await, 5);
    let cancelled =
        ok(call(edge, &me, "POST", &format!("/v1/orders/{order2}/cancel"), &[], None).await.unwrap()).unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["payment"]["status"], "voided");
    assert_eq!(provider_view(payments, &order2).await["authorizations"][0]["status"], "voided");
    assert_eq!(available(&stack, &lamp).await, 8, "the cancelled order's lamps are back");
    // A retried cancel is answered with the same result; a shipped order cannot be cancelled.
    let again = ok(call(edge, &me, "POST", &format!("/v1/orders/{order2}/cancel"), &[], None).await.unwrap()).unwrap();
    assert_eq!((again["status"].as_str(), again["payment"]["status"].as_str()), (Some("cancelled"), Some("voided")));
    assert_eq!(available(&stack, &lamp).await, 8, "nothing given back twice");
    let too_late = call(edge, &me, "POST", &format!("/v1/orders/{order1}/cancel"), &[], None).await.unwrap();
    assert_eq!(
        (too_late.status, too_late.body["code"].as_str()),
        (409, Some("invalid_transition")),
        "{}",
        too_late.body
    );

    // 3. A third order: shipped, one of two lamps returned and refunded, restocked.
    let (cart3, _) = cart(edge, Some(&token), "fr", "fr", &[(&lamp, 2)]).await.unwrap();
    let card = card_token(payments, APPROVED).await.unwrap();
    let placed = checkout(edge, &me, &cart3, "order-3", &checkout_body(&card, None)).await;
    let order3 = placed.body["id"].as_str().unwrap().to_string();
    ok(admin(staff, "POST", &format!("/admin/v1/orders/{order3}/ship"), None).await.unwrap()).unwrap();
    assert_eq!(available(&stack, &lamp).await, 6);
    let asked = call(
        edge,
        &me,
        "POST",
        &format!("/v1/orders/{order3}/returns"),
        &[],
        Some(&json!({"lines": [{"variant_id": lamp, "quantity": 1}], "reason": "too bright"})),
    )
    .await
    .unwrap();
    assert_eq!(asked.status, 201, "{}", asked.body);
    assert_eq!(asked.body["status"], "requested");
    assert_eq!(asked.body["refund"]["amount_minor"], 4990);
    let ret = asked.body["id"].as_str().unwrap().to_string();
    ok(admin(staff, "POST", &format!("/admin/v1/returns/{ret}/approve"), None).await.unwrap()).unwrap();
    let received = ok(admin(staff, "POST", &format!("/admin/v1/returns/{ret}/receive"), None).await.unwrap()).unwrap();
    assert_eq!(received["status"], "refunded", "{received}");
    let order = ok(call(edge, &me, "GET", &format!("/v1/orders/{order3}"), &[], None).await.unwrap()).unwrap();
    assert_eq!(order["payment"]["status"], "partially_refunded", "{order}");
    assert_eq!(order["payment"]["refunded"]["amount_minor"], 4990);
    assert_eq!(order["lines"][0]["returned_quantity"], 1);
    assert_eq!(provider_view(payments, &order3).await["authorizations"][0]["refunded_minor"], 4990);
    assert_eq!(available(&stack, &lamp).await, 7, "the returned lamp is back in stock");
    let seen = ok(call(edge, &me, "GET", &format!("/v1/returns/{ret}"), &[], None).await.unwrap()).unwrap();
    assert_eq!(seen["status"], "refunded");

    // The shopper's orders, newest first; the provider charged nobody twice.
    let mine = ok(call(edge, &me, "GET", "/v1/orders", &[], None).await.unwrap()).unwrap();
    let ids: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [order3.as_str(), order2.as_str(), order1.as_str()]);
    let audit = ok(provider(payments, "GET", "/_audit", None).await.unwrap()).unwrap();
    assert_eq!(audit["double_charges"], json!([]), "{audit}");
}

#[tokio::test]
async fn orders_carts_and_returns_of_others_do_not_exist() {
    let stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let mug = product_with_stock(staff, "MUG", &[("fr", 1200)], "eu-par", 5).await.unwrap();
    let alice = Who::Shopper(shop::shopper(edge, "alice@example.com", "fr").await.unwrap());
    let bob = Who::Shopper(shop::shopper(edge, "bob@example.com", "fr").await.unwrap());
    let Who::Shopper(alice_token) = &alice else { unreachable!() };
    let (cart_id, _) = cart(edge, Some(alice_token), "fr", "fr", &[(&mug, 1)]).await.unwrap();
    let card = card_token(stack.payments_port, APPROVED).await.unwrap();
    let placed = checkout(edge, &alice, &cart_id, "alice-1", &checkout_body(&card, None)).await;
    let order = placed.body["id"].as_str().unwrap().to_string();
    // A guest's cart, known only with its token.
    let (guest_cart, guest) = cart(edge, None, "fr", "fr", &[(&mug, 1)]).await.unwrap();

    for (who, path, method) in [
        (&bob, format!("/v1/orders/{order}"), "GET"),
        (&bob, format!("/v1/orders/{order}/cancel"), "POST"),
        (&bob, format!("/v1/orders/{order}/events"), "GET"),
        (&bob, format!("/v1/carts/{cart_id}"), "GET"),
        (&bob, format!("/v1/carts/{guest_cart}"), "GET"),
        (&Who::Guest("a-guess-at-someone-elses-token".into()), format!("/v1/carts/{guest_cart}"), "GET"),
        (&Who::Guest("a-guess-at-someone-elses-token".into()), format!("/v1/orders/{order}"), "GET"),
    ] {
        let answer = call(edge, who, method, &path, &[], None).await.unwrap();
        assert_eq!(answer.status, 404, "{method} {path}: {}", answer.body);
    }
    let answer =
        call(edge, &bob, "PUT", &format!("/v1/carts/{guest_cart}/lines/{mug}"), &[], Some(&json!({"quantity": 3})))
            .await
            .unwrap();
    assert_eq!(answer.status, 404);
    let answer = call(
        edge,
        &bob,
        "POST",
        &format!("/v1/orders/{order}/returns"),
        &[],
        Some(&json!({"lines": [{"variant_id": mug, "quantity": 1}], "reason": "not mine"})),
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 404);
    // Nothing changed: Alice's order stands, the guest's cart is as it was.
    let still = ok(call(edge, &alice, "GET", &format!("/v1/orders/{order}"), &[], None).await.unwrap()).unwrap();
    assert_eq!(still["status"], "confirmed");
    let cart_now = ok(call(edge, &guest, "GET", &format!("/v1/carts/{guest_cart}"), &[], None).await.unwrap()).unwrap();
    assert_eq!(cart_now["lines"][0]["quantity"], 1);
    let bobs = ok(call(edge, &bob, "GET", "/v1/orders", &[], None).await.unwrap()).unwrap();
    assert_eq!(bobs["items"], json!([]));
}

#[tokio::test]
async fn checkout_idempotency_and_a_dropped_answer() {
    let stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let payments = stack.payments_port;
    let pen = product_with_stock(staff, "PEN", &[("fr", 350)], "eu-par", 50).await.unwrap();
    let token = shop::shopper(edge, "dominique@example.com", "fr").await.unwrap();
    let me = Who::Shopper(token.clone());

    // The same key and body: the same order, one authorization.
    let (cart1, _) = cart(edge, Some(&token), "fr", "fr", &[(&pen, 2)]).await.unwrap();
    let card = card_token(payments, APPROVED).await.unwrap();
    let body = checkout_body(&card, None);
    let first = checkout(edge, &me, &cart1, "key-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = checkout(edge, &me, &cart1, "key-1", &body).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(first.body["id"], second.body["id"]);
    assert_eq!(second.body["status"], "confirmed");
    // The same key with another body: refused, nothing new.
    let mut other = body.clone();
    other["ship_to"]["city"] = json!("Lyon");
    let refused = checkout(edge, &me, &cart1, "key-1", &other).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (422, Some("idempotency_key_reused")),
        "{}",
        refused.body
    );
    // Another key on the closed cart: no second order.
    let closed = checkout(edge, &me, &cart1, "key-2", &body).await;
    assert_eq!(closed.status, 409, "{}", closed.body);
    let order1 = first.body["id"].as_str().unwrap();
    assert_eq!(provider_view(payments, order1).await["authorizations"].as_array().unwrap().len(), 1);

    // The provider commits the authorization but the answer is lost on the way back: the
    // shopper's retry with the same key finds the same order and the same single charge.
    let (cart2, _) = cart(edge, Some(&token), "fr", "fr", &[(&pen, 1)]).await.unwrap();
    ok(provider(payments, "POST", "/_control", Some(&json!({"drop_next_authorizations": 1}))).await.unwrap()).unwrap();
    let card = card_token(payments, APPROVED).await.unwrap();
    let body = checkout_body(&card, None);
    let dropped = checkout(edge, &me, &cart2, "key-3", &body).await;
    assert_eq!(dropped.status, 201, "the order is acknowledged, its payment pending: {}", dropped.body);
    let order2 = dropped.body["id"].as_str().unwrap().to_string();
    let retried = checkout(edge, &me, &cart2, "key-3", &body).await;
    assert_eq!(retried.body["id"].as_str(), Some(order2.as_str()));
    let settled = wait_order(edge, &me, &order2, "confirmed", |o| o["status"] == "confirmed").await;
    assert_eq!(settled["payment"]["status"], "authorized");
    let at_provider = provider_view(payments, &order2).await;
    assert_eq!(at_provider["authorizations"].as_array().unwrap().len(), 1, "{at_provider}");
    let client = stack.sql().await.unwrap();
    let orders: i64 =
        client.query_one("SELECT count(*) FROM orders WHERE cart_id = $1", &[&uuid_of(&cart2)]).await.unwrap().get(0);
    assert_eq!(orders, 1);

    // A guest checks out too, with an email; a declined card fails the order and gives the
    // stock back.
    let (cart3, guest) = cart(edge, None, "fr", "fr", &[(&pen, 4)]).await.unwrap();
    let before = available(&stack, &pen).await;
    let card = card_token(payments, DECLINED).await.unwrap();
    let failed = checkout(edge, &guest, &cart3, "guest-1", &checkout_body(&card, Some("guest@example.com"))).await;
    assert_eq!(failed.status, 201, "{}", failed.body);
    assert_eq!(failed.body["status"], "payment_failed");
    assert_eq!(failed.body["payment"]["decline_code"], "card_declined");
    assert_eq!(available(&stack, &pen).await, before, "a failed payment holds no stock");
    let audit = ok(provider(payments, "GET", "/_audit", None).await.unwrap()).unwrap();
    assert_eq!(audit["double_charges"], json!([]), "{audit}");
}

#[tokio::test]
async fn a_declined_card_leaves_the_cart_payable_with_another() {
    let stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let payments = stack.payments_port;
    let pen = product_with_stock(staff, "PEN", &[("fr", 350)], "eu-par", 50).await.unwrap();
    let token = shop::shopper(edge, "lou@example.com", "fr").await.unwrap();
    let shopper = Who::Shopper(token.clone());
    let (guest_cart, guest) = cart(edge, None, "fr", "fr", &[(&pen, 4)]).await.unwrap();
    let (shopper_cart, _) = cart(edge, Some(&token), "fr", "fr", &[(&pen, 2)]).await.unwrap();

    for (who, cart_id, units, email) in
        [(&guest, &guest_cart, 4, Some("guest@example.com")), (&shopper, &shopper_cart, 2, None)]
    {
        let before = available(&stack, &pen).await;
        let declined = checkout_body(&card_token(payments, DECLINED).await.unwrap(), email);
        let failed = checkout(edge, who, cart_id, "first-card", &declined).await;
        assert_eq!(failed.status, 201, "{}", failed.body);
        assert_eq!(failed.body["status"], "payment_failed");
        assert_eq!(available(&stack, &pen).await, before, "a failed payment holds no stock");

        // The cart is open again, with its lines.
        let open = ok(call(edge, who, "GET", &format!("/v1/carts/{cart_id}"), &[], None).await.unwrap()).unwrap();
        assert_eq!(open["status"], "active", "{open}");
        assert_eq!(open["lines"][0]["quantity"], units, "{open}");
        // The first checkout's key still finds the failed order; it is not paid again.
        let again = checkout(edge, who, cart_id, "first-card", &declined).await;
        assert_eq!((again.status, &again.body["id"]), (200, &failed.body["id"]), "{}", again.body);

        // Another card, another key: the same cart becomes a paid order.
        let approved = checkout_body(&card_token(payments, APPROVED).await.unwrap(), email);
        let paid = checkout(edge, who, cart_id, "second-card", &approved).await;
        assert_eq!(paid.status, 201, "{}", paid.body);
        assert_eq!(paid.body["status"], "confirmed", "{}", paid.body);
        assert_ne!(paid.body["id"], failed.body["id"]);
        assert_eq!(available(&stack, &pen).await, before - units, "the paid order holds its units once");
        let closed =
            call(edge, who, "PUT", &format!("/v1/carts/{cart_id}/lines/{pen}"), &[], Some(&json!({"quantity": 1})))
                .await
                .unwrap();
        assert_eq!((closed.status, &closed.body["code"]), (409, &json!("cart_closed")), "{}", closed.body);
    }
    let audit = ok(provider(payments, "GET", "/_audit", None).await.unwrap()).unwrap();
    assert_eq!(audit["double_charges"], json!([]), "{audit}");

    // The shopper's orders, a page at a time, newest first: the paid one, then the failed one.
    let page = |query: String| {
        let shopper = &shopper;
        async move { call(edge, shopper, "GET", &format!("/v1/orders{query}"), &[], None).await.unwrap() }
    };
    let first = ok(page("?limit=1".into()).await).unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 1, "{first}");
    assert_eq!(first["items"][0]["status"], "confirmed");
    let cursor = first["next_cursor"].as_str().expect("a next page").to_string();
    let second = ok(page(format!("?limit=1&cursor={cursor}")).await).unwrap();
    assert_eq!(second["items"][0]["status"], "payment_failed", "{second}");
    assert_ne!(second["items"][0]["id"], first["items"][0]["id"]);
    assert_eq!(second["next_cursor"], json!(null), "the last page: {second}");
    for (query, code) in
        [("?cursor=not-one", "invalid_cursor"), ("?limit=0", "invalid_query"), ("?page=2", "invalid_query")]
    {
        let refused = page(query.into()).await;
        assert_eq!((refused.status, refused.body["code"].as_str()), (400, Some(code)), "{query}: {}", refused.body);
    }
}

#[tokio::test]
async fn webhooks_duplicated_out_of_order_and_forged() {
    let stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let payments = stack.payments_port;
    let book = product_with_stock(staff, "BOOK", &[("fr", 2200)], "eu-par", 50).await.unwrap();
    let token = shop::shopper(edge, "sacha@example.com", "fr").await.unwrap();
    let me = Who::Shopper(token.clone());

    // Every event twice and shuffled; orders through 3-D Secure settle from the webhooks alone.
    ok(provider(
        payments,
        "POST",
        "/_control",
        Some(&json!({"duplicate_webhooks": true, "out_of_order_webhooks": true})),
    )
    .await
    .unwrap())
    .unwrap();
    let mut orders = Vec::new();
    for i in 0..4 {
        let (c, _) = cart(edge, Some(&token), "fr", "fr", &[(&book, 1)]).await.unwrap();
        let card = card_token(payments, THREE_D_SECURE).await.unwrap();
        let placed = checkout(edge, &me, &c, &format!("wh-{i}"), &checkout_body(&card, None)).await;
        assert_eq!(placed.body["payment"]["status"], "requires_action", "{}", placed.body);
        let url = placed.body["payment"]["next_action"]["url"].as_str().unwrap().to_string();
        let outcome = if i % 2 == 0 { "pass" } else { "fail" };
        let auth = url.rsplit('/').next().unwrap().to_string();
        ok(request(payments, "POST", &format!("/3ds/{auth}/complete"), &[], Some(&json!({"outcome": outcome})))
            .await
            .unwrap())
        .unwrap();
        orders.push((placed.body["id"].as_str().unwrap().to_string(), outcome));
    }
    for (order, outcome) in &orders {
        let want = if *outcome == "pass" { "confirmed" } else { "payment_failed" };
        let settled = wait_order(edge, &me, order, want, |o| o["status"] == want).await;
        let payment = if *outcome == "pass" { "authorized" } else { "declined" };
        assert_eq!(settled["payment"]["status"], payment, "{settled}");
    }
    // Each provider event applied once (the stand-in sent each twice), and no payment state
    // was entered twice.
    let client = stack.sql().await.unwrap();
    let applied: i64 = client.query_one("SELECT count(*) FROM payment_events", &[]).await.unwrap().get(0);
    assert!(applied >= 4, "webhook events applied: {applied}");
    let repeated: i64 = client
        .query_one(
            "SELECT count(*) FROM (SELECT entity_id, to_state FROM state_transitions WHERE entity = 'payment' \
             GROUP BY entity_id, to_state HAVING count(*) > 1) r",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(repeated, 0, "a payment state was entered twice");

    // Forged and tampered webhooks are refused and change nothing.
    let (c, _) = cart(edge, Some(&token), "fr", "fr", &[(&book, 1)]).await.unwrap();
    let card = card_token(payments, THREE_D_SECURE).await.unwrap();
    let placed = checkout(edge, &me, &c, "forged", &checkout_body(&card, None)).await;
    let order = placed.body["id"].as_str().unwrap().to_string();
    let event = json!({"id": "evt_forged_1", "type": "authorization.succeeded", "created": 0,
        "data": {"id": "auth_forged", "status": "authorized", "amount_minor": 2200, "reference": order}});
    let raw = event.to_string();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let wrong_key = partners_signing::sign(b"not-the-shared-secret", now, raw.as_bytes());
    let right = partners_signing::sign(stack_tests::PAYMENTS_WEBHOOK_SECRET.as_bytes(), now, raw.as_bytes());
    let stale = partners_signing::sign(stack_tests::PAYMENTS_WEBHOOK_SECRET.as_bytes(), now - 3600, raw.as_bytes());
    let tampered_body = raw.replace("2200", "1");
    for (signature, body, why) in [
        (wrong_key.as_str(), raw.as_str(), "signed with another key"),
        (right.as_str(), tampered_body.as_str(), "body changed after signing"),
        (stale.as_str(), raw.as_str(), "replayed an hour later"),
        ("", raw.as_str(), "no signature"),
    ] {
        let answer = raw_post(edge, "/webhooks/payments", signature, body).await;
        assert_eq!(answer.0, 401, "{why}: {}", answer.1);
    }
    let still = ok(call(edge, &me, "GET", &format!("/v1/orders/{order}"), &[], None).await.unwrap()).unwrap();
    assert_eq!(still["status"], "pending_payment", "{still}");
    assert_eq!(still["payment"]["status"], "requires_action");
    let audit = ok(provider(payments, "GET", "/_audit", None).await.unwrap()).unwrap();
    assert_eq!(audit["double_charges"], json!([]), "{audit}");
}

/// POSTs a raw body with a `Payment-Signature` header; returns (status, body).
async fn raw_post(port: u16, path: &str, signature: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\npayment-signature: {signature}\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut answer)).await.unwrap().unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer)
}

#[tokio::test]
async fn concurrent_checkouts_of_the_last_units_never_oversell() {
    let stack = Stack::start().await.unwrap();
    let staff = stack.staff("eu-west");
    // One stock row, and stock spread over three buckets (as for a flash sale).
    let watch = product_with_stock(staff, "WATCH", &[("fr", 15000), ("de", 15000)], "eu-par", 5).await.unwrap();
    let ring = product_with_stock(staff, "RING", &[("fr", 9000), ("de", 9000)], "eu-par", 0).await.unwrap();
    let spread =
        admin(staff, "PUT", &format!("/admin/v1/stock/eu-par/{ring}"), Some(&json!({"on_hand": 7, "buckets": 3})))
            .await
            .unwrap();
    assert_eq!(spread.status, 204, "{}", spread.body);
    let client = stack.sql().await.unwrap();
    let shares: Vec<i64> = client
        .query("SELECT on_hand FROM stock WHERE variant_id = $1 ORDER BY bucket", &[&uuid_of(&ring)])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(shares, [3, 2, 2]);
    let bad =
        admin(staff, "PUT", &format!("/admin/v1/stock/eu-par/{ring}"), Some(&json!({"on_hand": 7, "buckets": 0})))
            .await
            .unwrap();
    assert_eq!(bad.status, 422, "{}", bad.body);

    for (variant, units) in [(&watch, 5usize), (&ring, 7)] {
        rush(&stack, variant, units).await;
        let rows = client
            .query("SELECT on_hand, reserved FROM stock WHERE variant_id = $1", &[&uuid_of(variant)])
            .await
            .unwrap();
        let (on_hand, reserved): (i64, i64) =
            rows.iter().fold((0, 0), |(o, r), row| (o + row.get::<_, i64>(0), r + row.get::<_, i64>(1)));
        assert_eq!((on_hand, reserved), (units as i64, units as i64), "{variant}");
        assert!(rows.iter().all(|r| r.get::<_, i64>(1) <= r.get::<_, i64>(0)));
    }
    let audit = ok(provider(stack.payments_port, "GET", "/_audit", None).await.unwrap()).unwrap();
    let holding = audit["authorizations"].as_array().unwrap().iter().filter(|a| a["status"] == "authorized").count();
    assert_eq!(holding, 12, "only the orders that got a unit were charged");
}

/// 24 guests, each with a cart of one unit of `variant`, check out at the same moment: exactly
/// `units` orders are confirmed, the others are told it is out of stock.
async fn rush(stack: &Stack, variant: &str, units: usize) {
    let (edge, payments) = (stack.edge("eu-west"), stack.payments_port);
    let mut buyers = Vec::new();
    for i in 0..24 {
        let market = if i % 2 == 0 { "fr" } else { "de" };
        let (c, guest) = cart(edge, None, market, market, &[(variant, 1)]).await.unwrap();
        let card = card_token(payments, APPROVED).await.unwrap();
        buyers.push((c, guest, card));
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(buyers.len()));
    let tasks: Vec<_> = buyers
        .into_iter()
        .enumerate()
        .map(|(i, (c, guest, card))| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let mut body = checkout_body(&card, Some("buyer@example.com"));
                if i % 2 == 1 {
                    body["ship_to"]["country"] = json!("DE");
                    body["ship_to"]["city"] = json!("Berlin");
                    body["ship_to"]["postal_code"] = json!("10115");
                }
                barrier.wait().await;
                checkout(edge, &guest, &c, &format!("last-{i}"), &body).await
            })
        })
        .collect();
    let (mut confirmed, mut sold_out) = (0, 0);
    for t in tasks {
        let answer = t.await.unwrap();
        match (answer.status, answer.body["status"].as_str(), answer.body["code"].as_str()) {
            (201, Some("confirmed"), _) => confirmed += 1,
            (409, _, Some("out_of_stock")) => sold_out += 1,
            other => panic!("unexpected answer {other:?}: {}", answer.body),
        }
    }
    assert_eq!((confirmed, sold_out), (units, 24 - units), "{variant}");
    assert_eq!(available(stack, variant).await, 0);
}

#[tokio::test]
async fn erasure_keeps_orders_anonymized_and_export_lists_them() {
    let stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let scarf = product_with_stock(staff, "SCARF", &[("fr", 3900)], "eu-par", 5).await.unwrap();
    let token = shop::shopper(edge, "noor@example.com", "fr").await.unwrap();
    let me = Who::Shopper(token.clone());
    let (c, _) = cart(edge, Some(&token), "fr", "fr", &[(&scarf, 1)]).await.unwrap();
    let card = card_token(stack.payments_port, APPROVED).await.unwrap();
    let order =
        checkout(edge, &me, &c, "noor-1", &checkout_body(&card, None)).await.body["id"].as_str().unwrap().to_string();
    // An open cart too.
    cart(edge, Some(&token), "fr", "fr", &[(&scarf, 2)]).await.unwrap();

    let export = ok(call(edge, &me, "GET", "/v1/accounts/me/export", &[], None).await.unwrap()).unwrap();
    assert_eq!(export["account"]["email"], "noor@example.com", "{export}");
    let orders = export["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{export}");
    assert_eq!(orders[0]["id"], order.as_str());
    assert_eq!(orders[0]["ship_to"]["name"], "Camille Martin");
    assert!(!export["carts"].as_array().unwrap().is_empty(), "{export}");

    let erased = call(edge, &me, "DELETE", "/v1/accounts/me", &[], None).await.unwrap();
    assert_eq!(erased.status, 204, "{}", erased.body);
    let gone = call(edge, &me, "GET", "/v1/orders", &[], None).await.unwrap();
    assert_eq!(gone.status, 401);
    // The order stays for the tax records, with nothing that names the shopper.
    let client = stack.sql().await.unwrap();
    let row = client
        .query_one(
            "SELECT user_id, email, ship_to, status, total_minor - shipping_minor FROM orders WHERE id = $1",
            &[&uuid_of(&order)],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<uuid::Uuid>>(0), None);
    assert_eq!(row.get::<_, Option<String>>(1), None);
    assert_eq!(row.get::<_, Option<Value>>(2), None);
    assert_eq!((row.get::<_, String>(3), row.get::<_, i64>(4)), ("confirmed".to_string(), 3900));
    let carts: i64 = client
        .query_one("SELECT count(*) FROM carts WHERE user_id IS NOT NULL AND market = 'fr'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(carts, 0, "the shopper's carts are deleted");
    let again = request(
        edge,
        "POST",
        "/v1/sessions",
        &[],
        Some(&json!({"email": "noor@example.com", "password": "correct horse battery staple"})),
    )
    .await
    .unwrap();
    assert_eq!(again.status, 401);
}

#[tokio::test]
async fn a_shopper_s_writes_go_to_their_home_region_through_any_edge() {
    let stack = Stack::start().await.unwrap();
    let (eu, us) = (stack.edge("eu-west"), stack.edge("us-east"));
    let token = shop::shopper(eu, "jordan@example.com", "us").await.unwrap();
    let me = Who::Shopper(token.clone());
    // Travelling in Europe: the eu-west edge sends the write to us-east's core.
    let created = call(eu, &me, "POST", "/v1/us/en/carts", &[], Some(&json!({}))).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("x-home-region"), Some("us-east"));
    // At home, nothing to route.
    let created = call(us, &me, "POST", "/v1/us/en/carts", &[], Some(&json!({}))).await.unwrap();
    assert_eq!((created.status, created.header("x-home-region")), (201, None));
    // A guest writes where they are.
    let guest = request(eu, "POST", "/v1/fr/fr/carts", &[], Some(&json!({}))).await.unwrap();
    assert_eq!((guest.status, guest.header("x-home-region")), (201, None));
}
