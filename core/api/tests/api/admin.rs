//! Merchandiser API: authentication, idempotency keys, publishing rules, price edits.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use super::spawn_app;

#[tokio::test]
async fn the_admin_api_needs_the_service_token() {
    let app = spawn_app().await;
    let body = json!({"code": "c", "translations": {}}).to_string();
    for auth in [None, Some("Bearer wrong"), Some("Basic dGVzdC10b2tlbg==")] {
        let mut req = Request::post("/admin/v1/categories").header("content-type", "application/json");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let a = app.send(req.body(Body::from(body.clone())).unwrap()).await;
        assert_eq!((a.status.as_u16(), a.code()), (401, "unauthorized"), "{auth:?}");
        if auth.is_none() {
            // The staff door says how to log in on it, not the shoppers' way.
            let message = a.body["message"].as_str().unwrap_or_default();
            assert!(message.contains("staff session") && message.contains("POST /admin/v1/sessions"), "{message}");
        }
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM categories").await, 0);
}

#[tokio::test]
async fn idempotency_keys_replay_and_refuse_reuse() {
    let app = spawn_app().await;
    app.fixture().await;
    let post = |key: &str, code: &str| {
        Request::post("/admin/v1/products")
            .header("authorization", format!("Bearer {}", super::TOKEN))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(Body::from(json!({"code": code, "category": "shirts"}).to_string()))
            .unwrap()
    };
    let first = app.send(post("k-1", "A")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = app.send(post("k-1", "A")).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["id"], first.body["id"], "a retry returns the first result");
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(app.sql_count("SELECT count(*) FROM products").await, 1, "and does the work once");
    let other = app.send(post("k-1", "B")).await;
    assert_eq!((other.status.as_u16(), other.code()), (422, "idempotency_key_reused"));
    let bad = app.send(post("", "B")).await;
    assert_eq!((bad.status.as_u16(), bad.code()), (400, "invalid_idempotency_key"));
    // Without a key, a repeated create is refused by the unique code instead.
    let a = app.admin("POST", "/admin/v1/products", Some(json!({"code": "A", "category": "shirts"}))).await;
    assert_eq!(a.code(), "code_taken");

    // Concurrent retries of one key: one does the work, the others replay or wait.
    let answers = futures::future::join_all((0..8).map(|_| app.send(post("k-2", "C")))).await;
    let created: Vec<_> = answers.iter().filter(|a| a.status == 201).map(|a| a.body["id"].clone()).collect();
    assert!(!created.is_empty());
    assert!(created.iter().all(|id| *id == created[0]));
    assert!(answers.iter().all(|a| a.status == 201 || a.code() == "idempotency_in_progress"));
    assert_eq!(app.sql_count("SELECT count(*) FROM products WHERE code = 'C'").await, 1);
}

#[tokio::test]
async fn publishing_rules() {
    let app = spawn_app().await;
    app.fixture().await;
    let created = app
        .admin_ok(
            "POST",
            "/admin/v1/products",
            Some(json!({
                "code": "J", "category": "shirts", "markets": ["jp"],
                "translations": {"en": {"name": "Shirt", "slug": "shirt-j"}}
            })),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["status"], "draft");
    let publish = format!("/admin/v1/products/{id}/publish");
    assert_eq!(app.admin("POST", &publish, None).await.code(), "no_variant");
    app.admin_ok(
        "POST",
        &format!("/admin/v1/products/{id}/variants"),
        Some(json!({
            "sku": "J-1", "attributes": {"color": "red"}, "prices": {"jp": {"amount_minor": 1980}}
        })),
    )
    .await;
    // Japanese shoppers would find no name (ja has no fallback).
    let a = app.admin("POST", &publish, None).await;
    assert_eq!((a.status.as_u16(), a.code()), (422, "missing_translation"), "{}", a.body);
    app.admin_ok(
        "PUT",
        &format!("/admin/v1/products/{id}/translations/ja"),
        Some(json!({"name": "シャツ", "slug": "shatsu-j"})),
    )
    .await;
    let published = app.admin_ok("POST", &publish, None).await;
    assert_eq!(published["status"], "published");
    assert_eq!(app.get(&format!("/v1/jp/ja/products/{id}")).await.body["name"], "シャツ");
    // Removing the only Japanese name of a published product is refused.
    let a = app.admin("DELETE", &format!("/admin/v1/products/{id}/translations/ja"), None).await;
    assert_eq!(a.code(), "missing_translation");

    // A price change shows at once (the listing read model is updated in the same transaction).
    let variant = published["variants"][0]["id"].as_str().unwrap();
    app.admin_ok(
        "PUT",
        &format!("/admin/v1/variants/{variant}/prices/jp"),
        Some(json!({"amount_minor": 2480, "compare_at_minor": 2980})),
    )
    .await;
    let detail = app.get(&format!("/v1/jp/ja/products/{id}")).await.body;
    let shown = &detail["variants"][0];
    assert_eq!(
        (&shown["price"], &shown["compare_at_price"], &shown["lowest_price_30d"], &shown["price_derived"]),
        (
            &json!({"amount_minor": 2480, "currency": "JPY"}),
            &json!({"amount_minor": 2980, "currency": "JPY"}),
            &serde_json::Value::Null,
            &json!(false)
        )
    );
    let shirts = app.category_id("shirts").await;
    let page = app.get(&format!("/v1/jp/ja/products?category={shirts}")).await.body;
    assert_eq!(page["items"][0]["from_price"]["amount_minor"], 2480);
    // Without a price in Japan, the product leaves the Japanese listing but keeps its page.
    app.admin_ok("DELETE", &format!("/admin/v1/variants/{variant}/prices/jp"), None).await;
    assert!(
        app.get(&format!("/v1/jp/ja/products?category={shirts}")).await.body["items"].as_array().unwrap().is_empty()
    );
    assert_eq!(
        app.get(&format!("/v1/jp/ja/products/{id}")).await.body["variants"][0]["price"],
        serde_json::Value::Null
    );
    let a =
        app.admin("PUT", &format!("/admin/v1/variants/{variant}/prices/jp"), Some(json!({"amount_minor": 1.5}))).await;
    assert_eq!(a.status, 422, "money is an integer of minor units");
}

/// A merchandiser sets a variant's shipping weight when adding it and changes it later; the
/// attributes stay when only the weight changes. Out-of-range weights get 422 and change
/// nothing, and so does a weight given with a bad attribute value.
#[tokio::test]
async fn variant_weights_are_set_and_changed_through_the_admin_api() {
    let app = spawn_app().await;
    app.fixture().await;
    let created = app
        .admin_ok(
            "POST",
            "/admin/v1/products",
            Some(json!({
                "code": "W", "category": "shirts", "markets": ["jp"],
                "translations": {"en": {"name": "Coat", "slug": "coat-w"}},
                "variants": [
                    {"sku": "W-1", "attributes": {"color": "red"}, "weight_grams": 1250},
                    {"sku": "W-2", "attributes": {"color": "blue"}}
                ]
            })),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let weights = |product: &serde_json::Value| -> Vec<(String, i64)> {
        product["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["sku"].as_str().unwrap().to_string(), v["weight_grams"].as_i64().unwrap()))
            .collect()
    };
    assert_eq!(weights(&created), [("W-1".into(), 1250), ("W-2".into(), 500)], "500 g when not given");
    let variant = created["variants"][0]["id"].as_str().unwrap();
    let path = format!("/admin/v1/variants/{variant}");

    let changed = app.admin_ok("PATCH", &path, Some(json!({"weight_grams": 980}))).await;
    assert_eq!(weights(&changed)[0], ("W-1".into(), 980));
    assert_eq!(changed["variants"][0]["attributes"], json!({"color": "red"}), "attributes kept");
    let stored: i64 = app
        .state
        .store
        .client()
        .await
        .unwrap()
        .query_one("SELECT weight_grams FROM variants WHERE id = $1", &[&uuid::Uuid::parse_str(variant).unwrap()])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 980);

    for bad in [json!(0), json!(-5), json!(1_000_001), json!(1.5), json!("heavy")] {
        let a = app.admin("PATCH", &path, Some(json!({"weight_grams": bad}))).await;
        assert_eq!(a.status, 422, "{bad}: {}", a.body);
    }
    let a = app.admin("PATCH", &path, Some(json!({"weight_grams": 0}))).await;
    assert_eq!(a.code(), "validation_failed", "{}", a.body);
    // A good weight with a bad attribute value: all or nothing.
    let a = app.admin("PATCH", &path, Some(json!({"weight_grams": 700, "attributes": {"color": "plaid"}}))).await;
    assert_eq!(a.status, 422, "{}", a.body);
    let a = app
        .admin(
            "POST",
            &format!("/admin/v1/products/{id}/variants"),
            Some(json!({"sku": "W-3", "attributes": {"color": "green"}, "weight_grams": 0})),
        )
        .await;
    assert_eq!(a.status, 422, "{}", a.body);
    let product = app.admin_ok("GET", &format!("/admin/v1/products/{id}"), None).await;
    assert_eq!(weights(&product), [("W-1".into(), 980), ("W-2".into(), 500)], "nothing changed");
}

#[tokio::test]
async fn the_change_feed_lists_committed_changes_and_says_when_an_answer_is_full() {
    let app = spawn_app().await;
    app.fixture().await;
    let feed = app.get("/internal/v1/catalog-changes?since=0").await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    let changes = feed.body["changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "the fixture's writes are changes");
    assert!(changes.iter().all(|c| c["id"].is_string() && c["changed_at_micros"].is_i64()), "{changes:?}");
    assert_eq!(feed.body["truncated"], false);
    let now = feed.body["now_micros"].as_i64().unwrap();
    assert!(changes.iter().all(|c| c["changed_at_micros"].as_i64().unwrap() <= now));

    // A bulk of writes: an answer holds the newest 1,000 and says that older ones may be missing.
    let client = app.state.store.client().await.unwrap();
    client
        .execute("INSERT INTO catalog_changes (path, product_id) SELECT '/admin/v1/bulk', NULL FROM generate_series(1, 1000)", &[])
        .await
        .unwrap();
    let full = app.get("/internal/v1/catalog-changes?since=0").await;
    assert_eq!(full.body["changes"].as_array().unwrap().len(), 1000);
    assert_eq!(full.body["truncated"], true);
    // Asked from after them, nothing is missing.
    let later =
        app.get(&format!("/internal/v1/catalog-changes?since={}", full.body["now_micros"].as_i64().unwrap() + 1)).await;
    assert_eq!((later.body["changes"].as_array().unwrap().len(), later.body["truncated"].clone()), (0, json!(false)));
}

/// The changes the feed holds from `since` on (unix microseconds), oldest first: (subject, tags
/// sorted, or `None` for everything).
async fn changes_since(app: &super::TestApp, since: i64) -> Vec<(String, Option<Vec<String>>)> {
    let feed = app.get(&format!("/internal/v1/catalog-changes?since={since}")).await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    feed.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|c| {
            let tags = c["tags"].as_array().map(|t| {
                let mut t: Vec<String> = t.iter().map(|t| t.as_str().unwrap().to_string()).collect();
                t.sort();
                t
            });
            (c["subject"].as_str().unwrap().to_string(), tags)
        })
        .collect()
}

async fn feed_clock(app: &super::TestApp) -> i64 {
    app.get("/internal/v1/catalog-changes?since=0").await.body["now_micros"].as_i64().unwrap() + 1
}

#[tokio::test]
async fn each_write_records_in_its_transaction_the_cache_tags_it_changes_and_answers_carry_theirs() {
    let app = spawn_app().await;
    app.fixture().await;
    let product = app.product("TAGGED", &["fr", "de"], 2500, "red").await;
    let (shirts, apparel) = (app.category_id("shirts").await, app.category_id("apparel").await);
    let tags = |list: &[String]| Some(list.to_vec());

    // The answers name what they show.
    let page = app.get(&format!("/v1/fr/fr/products/{product}")).await;
    let named = page.headers.get("surrogate-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let mut named: Vec<&str> = named.split(' ').collect();
    named.sort();
    let mut expected = [format!("c:{apparel}"), format!("c:{shirts}"), "m:fr".into(), format!("p:{product}")];
    expected.sort();
    assert_eq!(named, expected, "whatever order the random ids sort in");
    let listing = app.get("/v1/fr/fr/products?category=apparel").await;
    let listing = listing.headers.get("surrogate-key").unwrap().to_str().unwrap().to_string();
    assert!(listing.contains(&format!("p:{product}")) && listing.contains(&format!("l:{apparel}")), "{listing}");
    let tree = app.get("/v1/de/de/categories").await;
    assert_eq!(tree.headers.get("surrogate-key").unwrap(), "m:de categories");

    // A price: the product's pages and its listings (its category and every ancestor's).
    let since = feed_clock(&app).await;
    let detail = app.admin_ok("GET", &format!("/admin/v1/products/{product}"), None).await;
    let variant = detail["variants"][0]["id"].as_str().unwrap().to_string();
    app.admin_ok("PUT", &format!("/admin/v1/variants/{variant}/prices/fr"), Some(json!({"amount_minor": 2400}))).await;
    let mut listed = vec![format!("l:{apparel}"), format!("l:{shirts}"), format!("p:{product}")];
    listed.sort();
    assert_eq!(changes_since(&app, since).await, [("product".to_string(), tags(&listed))]);

    // A refused write records nothing; a translation changes the product's pages only.
    let since = feed_clock(&app).await;
    let refused =
        app.admin("PUT", &format!("/admin/v1/variants/{variant}/prices/fr"), Some(json!({"amount_minor": -1}))).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(changes_since(&app, since).await, []);
    let translation = json!({"name": "Chemise étiquetée", "description": "", "slug": "chemise-etiquetee"});
    app.admin_ok("PUT", &format!("/admin/v1/products/{product}/translations/fr"), Some(translation)).await;
    assert_eq!(changes_since(&app, since).await, [("product".to_string(), tags(&[format!("p:{product}")]))]);

    // A category's new name: the trees, and what names it.
    let since = feed_clock(&app).await;
    let rename = json!({"name": "Chemises & blouses", "slug": "chemises"});
    app.admin_ok("PUT", "/admin/v1/categories/shirts/translations/fr", Some(rename)).await;
    let renamed = tags(&[format!("c:{shirts}"), "categories".to_string()]);
    assert_eq!(changes_since(&app, since).await, [("category".to_string(), renamed)]);

    // A catalog promotion: its targets' pages; a coupon's order discount: nothing cached.
    let since = feed_clock(&app).await;
    app.admin_ok(
        "POST",
        "/admin/v1/promotions",
        Some(json!({
            "name": "Tagged days", "priority": 1, "kind": "catalog", "target": {"type": "products", "ids": [product]},
            "discount": {"type": "percent", "percent": "10"}
        })),
    )
    .await;
    app.admin_ok(
        "POST",
        "/admin/v1/promotions",
        Some(json!({
            "name": "Code", "kind": "order", "markets": ["fr"], "requires_coupon": true,
            "discount": {"type": "amount", "amount_minor": 500, "currency": "EUR"}, "min_subtotal_minor": 2000
        })),
    )
    .await;
    assert_eq!(changes_since(&app, since).await, [("promotion".to_string(), tags(&[format!("p:{product}")]))]);

    // An attribute definition: everything.
    let since = feed_clock(&app).await;
    app.admin_ok(
        "POST",
        "/admin/v1/attributes",
        Some(json!({
            "code": "fabric", "kind": "text", "level": "product", "labels": {"en": "Fabric"}
        })),
    )
    .await;
    assert_eq!(changes_since(&app, since).await, [("attribute".to_string(), None)]);
}

#[tokio::test]
async fn a_merchandiser_creates_translates_stocks_and_publishes_a_product_that_sells_at_once() {
    let app = spawn_app().await;
    app.fixture().await;
    let product = |code: &str, stock: Value| {
        json!({
            "code": code, "category": "shirts", "markets": ["fr"],
            "translations": {"fr": {"name": format!("Chemise {code}"), "slug": format!("chemise-{}", code.to_lowercase())}},
            "variants": [{"sku": format!("{code}-1"), "attributes": {"color": "red"}, "prices": {"fr": {"amount_minor": 3000}},
                "stock": stock}]
        })
    };
    // Bad stock is refused with its code and creates nothing.
    for (stock, code) in [
        (json!([{"warehouse": "mars-1", "on_hand": 5}]), "unknown_warehouse"),
        (json!([{"warehouse": "eu-par", "on_hand": -1}]), "validation_failed"),
        (json!([{"warehouse": "eu-par", "on_hand": 1}, {"warehouse": "eu-par", "on_hand": 2}]), "validation_failed"),
        (json!([{"warehouse": "eu-par"}]), "validation_failed"),
    ] {
        let a = app.admin("POST", "/admin/v1/products", Some(product("BAD", stock.clone()))).await;
        assert_eq!((a.status.as_u16(), a.code()), (422, code), "{stock}: {}", a.body);
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM products").await, 0);
    assert_eq!(app.sql_count("SELECT count(*) FROM stock").await, 0);

    // Created with its stock, translated, published: on sale at once.
    let created = app
        .admin_ok("POST", "/admin/v1/products", Some(product("FLOW", json!([{"warehouse": "eu-par", "on_hand": 30}]))))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    app.admin_ok(
        "PUT",
        &format!("/admin/v1/products/{id}/translations/en"),
        Some(json!({"name": "Shirt FLOW", "slug": "shirt-flow"})),
    )
    .await;
    app.admin_ok("POST", &format!("/admin/v1/products/{id}/publish"), None).await;
    let availability = app.get(&format!("/v1/fr/fr/products/{id}/availability")).await;
    assert_eq!(availability.body["variants"][0]["availability"], "in_stock", "{}", availability.body);
    let variant = created["variants"][0]["id"].as_str().unwrap().to_string();
    let cart = app.post("/v1/fr/en/carts", json!({})).await;
    let (cart_id, token) = (cart.body["id"].as_str().unwrap(), cart.body["token"].as_str().unwrap());
    let request = axum::http::Request::put(format!("/v1/carts/{cart_id}/lines/{variant}"))
        .header("x-cart-token", token)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(json!({"quantity": 3}).to_string()))
        .unwrap();
    let line = app.send(request).await;
    assert_eq!(line.status, 200, "{}", line.body);
    assert_eq!(line.body["lines"][0]["name"], "Shirt FLOW", "{}", line.body);

    // A variant added later comes with its stock too.
    let added = app
        .admin_ok(
            "POST",
            &format!("/admin/v1/products/{id}/variants"),
            Some(json!({"sku": "FLOW-2", "attributes": {"color": "blue"}, "prices": {"fr": {"amount_minor": 3000}},
                "stock": [{"warehouse": "eu-par", "on_hand": 7}]})),
        )
        .await;
    let blue = added["variants"].as_array().unwrap().iter().find(|v| v["sku"] == "FLOW-2").unwrap()["id"].clone();
    let client = app.state.store.client().await.unwrap();
    let blue: uuid::Uuid = blue.as_str().unwrap().parse().unwrap();
    let on_hand: i64 =
        client.query_one("SELECT sum(on_hand)::INT8 FROM stock WHERE variant_id = $1", &[&blue]).await.unwrap().get(0);
    assert_eq!(on_hand, 7);
}
