//! Promotions admin API: each kind, validation (4xx with stable codes, nothing stored),
//! coupons, changes, archiving, listings, authentication and idempotency.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use super::{TestApp, spawn_app};

fn order_promotion() -> Value {
    json!({
        "name": "10 % off",
        "kind": "order",
        "discount": {"type": "percent", "percent": "10"},
        "requires_coupon": true
    })
}

/// `base` with `changes` merged in (a `null` removes a field).
fn with(base: &Value, changes: Value) -> Value {
    let mut out = base.clone();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            out.as_object_mut().unwrap().remove(k);
        } else {
            out[k] = v.clone();
        }
    }
    out
}

async fn create(app: &TestApp, body: Value) -> Value {
    let a = app.admin("POST", "/admin/v1/promotions", Some(body)).await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.body
}

#[tokio::test]
async fn the_promotions_api_needs_the_service_token() {
    let app = spawn_app().await;
    for (method, path) in [
        ("POST", "/admin/v1/promotions"),
        ("GET", "/admin/v1/promotions"),
        ("GET", "/admin/v1/promotions/00000000-0000-0000-0000-000000000000"),
        ("POST", "/admin/v1/promotions/00000000-0000-0000-0000-000000000000/coupons"),
    ] {
        for auth in [None, Some("Bearer wrong")] {
            let mut req = Request::builder().method(method).uri(path).header("content-type", "application/json");
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let a = app.send(req.body(Body::from(order_promotion().to_string())).unwrap()).await;
            assert_eq!((a.status.as_u16(), a.code()), (401, "unauthorized"), "{method} {path} {auth:?}");
        }
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM promotions").await, 0);
}

#[tokio::test]
async fn each_kind_is_created_and_read_back() {
    let app = spawn_app().await;
    app.fixture().await;
    let product = app.product("P1", &["fr", "de"], 2_000, "red").await;
    let shirts = app.category_id("shirts").await;

    let catalog = create(
        &app,
        json!({
            "name": "Flash sale", "priority": 10, "kind": "catalog",
            "target": {"type": "products", "ids": [product]},
            "discount": {"type": "percent", "percent": "12.5"},
            "markets": ["fr"], "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00+01:00"
        }),
    )
    .await;
    assert_eq!(catalog["kind"], "catalog");
    assert_eq!(catalog["target"], json!({"type": "products", "ids": [product]}));
    assert_eq!(catalog["discount"], json!({"type": "percent", "percent": "12.5"}));
    assert_eq!(catalog["starts_at"], "2030-01-01T00:00:00Z");
    assert_eq!(catalog["ends_at"], "2030-01-01T23:00:00Z");
    assert_eq!(catalog["status"], "active");
    assert_eq!(catalog["currency"], Value::Null);
    assert_eq!(catalog["redemptions"], 0);
    assert!(catalog.get("buy").is_none(), "only the kind's own fields: {catalog}");

    let order = create(
        &app,
        json!({
            "name": "5 € off 50 €", "kind": "order", "exclusive": true,
            "discount": {"type": "amount", "amount_minor": 500, "currency": "EUR"},
            "min_subtotal_minor": 5_000, "markets": ["fr", "de"],
            "requires_coupon": true, "usage_limit": 1_000, "per_customer_limit": 1
        }),
    )
    .await;
    assert_eq!(order["currency"], "EUR");
    assert_eq!(order["discount"], json!({"type": "amount", "amount_minor": 500, "currency": "EUR"}));
    assert_eq!(order["target"], json!({"type": "all"}));
    assert_eq!(order["min_subtotal_minor"], 5_000);
    assert_eq!(order["markets"], json!(["de", "fr"]));
    assert_eq!((order["usage_limit"].as_i64(), order["uses"].as_i64()), (Some(1_000), Some(0)));
    assert_eq!(order["per_customer_limit"], 1);

    let bxgy = create(
        &app,
        json!({
            "name": "3 for 2 on shirts", "kind": "buy_x_get_y",
            "target": {"type": "categories", "ids": [shirts]}, "buy": 2, "get": 1
        }),
    )
    .await;
    assert_eq!((bxgy["buy"].as_u64(), bxgy["get"].as_u64()), (Some(2), Some(1)));
    assert_eq!(bxgy["percent_off"], "100");
    assert_eq!(bxgy["uses"], Value::Null, "no limit, not counted");

    let shipping = create(
        &app,
        json!({"name": "Free shipping over ¥5000", "kind": "free_shipping", "min_subtotal_minor": 5_000,
               "currency": "JPY", "markets": ["jp"]}),
    )
    .await;
    assert_eq!(shipping["kind"], "free_shipping");
    assert_eq!(shipping["currency"], "JPY");

    for created in [&catalog, &order, &bxgy, &shipping] {
        let id = created["id"].as_str().unwrap();
        let read = app.admin_ok("GET", &format!("/admin/v1/promotions/{id}"), None).await;
        assert_eq!(&read, created);
    }
    let all = app.admin_ok("GET", "/admin/v1/promotions", None).await;
    let names: Vec<&str> = all["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Free shipping over ¥5000", "3 for 2 on shirts", "5 € off 50 €", "Flash sale"]);
    assert!(all.get("next_cursor").is_none());
}

#[tokio::test]
async fn bad_promotions_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.fixture().await;
    let base = order_promotion();
    let amount = json!({"type": "amount", "amount_minor": 500});
    let cases: Vec<(Value, u16, &str)> = vec![
        (with(&base, json!({"discount": {"type": "percent", "percent": "0"}})), 422, "validation_failed"),
        (with(&base, json!({"discount": {"type": "percent", "percent": "120"}})), 422, "validation_failed"),
        (with(&base, json!({"discount": {"type": "percent", "percent": 20}})), 422, "validation_failed"),
        (with(&base, json!({"discount": {"type": "percent", "percent": "abc"}})), 422, "validation_failed"),
        (with(&base, json!({"discount": {"type": "amount", "amount_minor": 1.5}})), 422, "validation_failed"),
        (with(&base, json!({"discount": {"type": "amount", "amount_minor": -5}})), 422, "validation_failed"),
        (with(&base, json!({"discount": amount, "markets": ["fr"]})), 422, "currency_required"),
        (with(&base, json!({"discount": amount, "currency": "EUR"})), 422, "markets_required"),
        (with(&base, json!({"discount": amount, "currency": "GBP", "markets": ["fr"]})), 422, "currency_mismatch"),
        (
            with(&base, json!({"discount": amount, "currency": "EUR", "markets": ["fr", "us"]})),
            422,
            "currency_mismatch",
        ),
        (
            with(
                &base,
                json!({"discount": {"type": "amount", "amount_minor": 5, "currency": "USD"}, "currency": "EUR"}),
            ),
            422,
            "validation_failed",
        ),
        (with(&base, json!({"currency": "EUR", "markets": ["fr"]})), 422, "validation_failed"),
        (with(&base, json!({"markets": ["xx"]})), 422, "unknown_market"),
        (
            with(&base, json!({"starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"})),
            422,
            "validation_failed",
        ),
        (with(&base, json!({"starts_at": "tomorrow"})), 422, "validation_failed"),
        (
            with(&base, json!({"target": {"type": "products", "ids": ["7e4f2a9c-58b1-4d6e-9c0a-3b2d1e0f9a87"]}})),
            422,
            "unknown_product",
        ),
        (
            with(&base, json!({"target": {"type": "categories", "ids": ["7e4f2a9c-58b1-4d6e-9c0a-3b2d1e0f9a87"]}})),
            422,
            "unknown_category",
        ),
        (with(&base, json!({"target": {"type": "products", "ids": []}})), 422, "validation_failed"),
        (with(&base, json!({"buy": 2})), 422, "validation_failed"),
        (with(&base, json!({"discount": null})), 422, "validation_failed"),
        (with(&base, json!({"kind": "bogo"})), 422, "validation_failed"),
        (with(&base, json!({"name": " "})), 422, "validation_failed"),
        (with(&base, json!({"usage_limit": 0})), 422, "validation_failed"),
        (with(&base, json!({"per_customer_limit": -1})), 422, "validation_failed"),
        (with(&base, json!({"surprise": true})), 422, "validation_failed"),
        (json!({"name": "Buy some", "kind": "buy_x_get_y", "buy": 0, "get": 1}), 422, "validation_failed"),
        (
            json!({"name": "Buy some", "kind": "buy_x_get_y", "buy": 2, "get": 1, "percent_off": "101"}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "Ship", "kind": "free_shipping", "discount": {"type": "percent", "percent": "5"}}),
            422,
            "validation_failed",
        ),
    ];
    for (body, status, code) in cases {
        let a = app.admin("POST", "/admin/v1/promotions", Some(body.clone())).await;
        assert_eq!((a.status.as_u16(), a.code()), (status, code), "{body} -> {}", a.body);
        assert!(a.body["message"].is_string());
    }
    let bad_json = app
        .send(
            Request::post("/admin/v1/promotions")
                .header("authorization", format!("Bearer {}", super::TOKEN))
                .header("content-type", "application/json")
                .body(Body::from("{\"name\": "))
                .unwrap(),
        )
        .await;
    assert_eq!((bad_json.status.as_u16(), bad_json.code()), (400, "invalid_json"));
    assert_eq!(app.sql_count("SELECT count(*) FROM promotions").await, 0);
}

#[tokio::test]
async fn coupons_are_added_listed_and_validated() {
    let app = spawn_app().await;
    let promotion = create(&app, order_promotion()).await;
    let id = promotion["id"].as_str().unwrap();
    let coupons = format!("/admin/v1/promotions/{id}/coupons");

    let a = app.admin("POST", &coupons, Some(json!({"codes": ["summer-20", "VIP"]}))).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["count"], 2);
    let listed = app.admin_ok("GET", &coupons, None).await;
    let codes: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["SUMMER-20", "VIP"]);
    assert_eq!(listed["items"][0]["batch_id"], a.body["batch_id"]);
    assert_eq!(listed["items"][0]["uses"], Value::Null);

    let refused: Vec<(Value, u16, &str)> = vec![
        (json!({"codes": ["no spaces"]}), 422, "invalid_coupon_code"),
        (json!({"codes": ["AB"]}), 422, "invalid_coupon_code"),
        (json!({"codes": ["NEW-ONE", "Summer-20"]}), 409, "coupon_taken"),
        (json!({"codes": ["TWICE", "twice"]}), 409, "coupon_taken"),
        (json!({"codes": []}), 422, "validation_failed"),
        (json!({"codes": ["OK-CODE"], "generate": {"count": 1}}), 422, "validation_failed"),
        (json!({}), 422, "validation_failed"),
        (json!({"generate": {"count": 0}}), 422, "validation_failed"),
        (json!({"generate": {"count": 100_001}}), 422, "validation_failed"),
        (json!({"generate": {"count": 5, "prefix": "BAD PREFIX"}}), 422, "validation_failed"),
        (json!({"generate": {"count": 5, "prefix": "X".repeat(23)}}), 422, "validation_failed"),
        (json!({"codes": ["OK-CODE"], "usage_limit": 0}), 422, "validation_failed"),
    ];
    for (body, status, code) in refused {
        let a = app.admin("POST", &coupons, Some(body.clone())).await;
        assert_eq!((a.status.as_u16(), a.code()), (status, code), "{body} -> {}", a.body);
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM coupons").await, 2, "nothing stored by refused requests");

    // A generated batch, single-use codes, paged through.
    let batch = app
        .admin_ok("POST", &coupons, Some(json!({"generate": {"count": 250, "prefix": "x-"}, "usage_limit": 1})))
        .await;
    assert_eq!(batch["count"], 250);
    let batch_id = batch["batch_id"].as_str().unwrap();
    let mut seen: Vec<String> = Vec::new();
    let mut path = format!("{coupons}?batch={batch_id}&limit=100");
    let mut pages = 0;
    loop {
        let page = app.admin_ok("GET", &path, None).await;
        pages += 1;
        for c in page["items"].as_array().unwrap() {
            let code = c["code"].as_str().unwrap();
            assert!(code.starts_with("X-") && code.len() == 12, "{code}");
            assert_eq!((c["usage_limit"].as_i64(), c["uses"].as_i64()), (Some(1), Some(0)));
            seen.push(code.to_string());
        }
        match page.get("next_cursor").and_then(Value::as_str) {
            Some(cursor) => path = format!("{coupons}?batch={batch_id}&limit=100&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 250);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    // A cursor belongs to its listing.
    let first = app.admin_ok("GET", &format!("{coupons}?batch={batch_id}&limit=100"), None).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let a = app.admin("GET", &format!("{coupons}?cursor={cursor}"), None).await;
    assert_eq!((a.status.as_u16(), a.code()), (400, "invalid_cursor"));
    let a = app.admin("GET", &format!("{coupons}?limit=1001"), None).await;
    assert_eq!((a.status.as_u16(), a.code()), (400, "page_too_large"));
    let a = app.admin("GET", &format!("{coupons}?batch=nope"), None).await;
    assert_eq!((a.status.as_u16(), a.code()), (400, "invalid_query"));

    // Automatic promotions take no codes; unknown promotions are 404.
    let automatic = create(&app, with(&order_promotion(), json!({"requires_coupon": false}))).await;
    let a = app
        .admin(
            "POST",
            &format!("/admin/v1/promotions/{}/coupons", automatic["id"].as_str().unwrap()),
            Some(json!({"codes": ["AUTO"]})),
        )
        .await;
    assert_eq!((a.status.as_u16(), a.code()), (409, "promotion_is_automatic"));
    for path in
        ["/admin/v1/promotions/7e4f2a9c-58b1-4d6e-9c0a-3b2d1e0f9a87/coupons", "/admin/v1/promotions/not-an-id/coupons"]
    {
        let a = app.admin("POST", path, Some(json!({"codes": ["LOST"]}))).await;
        assert_eq!((a.status.as_u16(), a.code()), (404, "promotion_not_found"), "{path}");
        let a = app.admin("GET", path, None).await;
        assert_eq!((a.status.as_u16(), a.code()), (404, "promotion_not_found"), "{path}");
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM coupons").await, 252);
}

#[tokio::test]
async fn promotions_are_changed_then_archived() {
    let app = spawn_app().await;
    let created = create(
        &app,
        with(&order_promotion(), json!({"starts_at": "2030-01-01T00:00:00Z", "usage_limit": 10, "markets": ["fr"]})),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/admin/v1/promotions/{id}");

    let changed = app
        .admin_ok(
            "PATCH",
            &path,
            Some(json!({"name": "15 % off", "discount": {"type": "percent", "percent": "15"}, "usage_limit": null})),
        )
        .await;
    assert_eq!(changed["name"], "15 % off");
    assert_eq!(changed["discount"]["percent"], "15");
    assert_eq!(changed["usage_limit"], Value::Null);
    assert_eq!(changed["starts_at"], "2030-01-01T00:00:00Z", "absent fields stay");
    assert_eq!(changed["kind"], "order");

    // A new kind replaces the definition.
    let shipping = app
        .admin_ok("PATCH", &path, Some(json!({"kind": "free_shipping", "min_subtotal_minor": 0, "starts_at": null})))
        .await;
    assert_eq!(shipping["kind"], "free_shipping");
    assert!(shipping.get("discount").is_none());
    assert_eq!(shipping["starts_at"], Value::Null);

    let refused: Vec<(Value, u16, &str)> = vec![
        (json!({"starts_at": "2030-02-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}), 422, "validation_failed"),
        (json!({"min_subtotal_minor": 5000}), 422, "currency_required"),
        (json!({"min_subtotal_minor": 5000, "currency": "USD"}), 422, "currency_mismatch"),
        (json!({"discount": {"type": "percent", "percent": "10"}}), 422, "validation_failed"),
        (json!({"markets": ["atlantis"]}), 422, "unknown_market"),
        (json!({"unknown": 1}), 422, "validation_failed"),
    ];
    for (body, status, code) in refused {
        let a = app.admin("PATCH", &path, Some(body.clone())).await;
        assert_eq!((a.status.as_u16(), a.code()), (status, code), "{body} -> {}", a.body);
    }
    let unchanged = app.admin_ok("GET", &path, None).await;
    assert_eq!(unchanged, shipping, "refused changes change nothing");
    let ok = app.admin_ok("PATCH", &path, Some(json!({"min_subtotal_minor": 5000, "currency": "eur"}))).await;
    assert_eq!(ok["currency"], "EUR");

    let archived = app.admin_ok("POST", &format!("{path}/archive"), None).await;
    assert_eq!(archived["status"], "archived");
    assert!(archived["archived_at"].is_string());
    let again = app.admin_ok("POST", &format!("{path}/archive"), None).await;
    assert_eq!(again["archived_at"], archived["archived_at"], "archiving twice changes nothing");
    let a = app.admin("PATCH", &path, Some(json!({"name": "Back"}))).await;
    assert_eq!((a.status.as_u16(), a.code()), (409, "promotion_archived"));
    let a = app.admin("POST", &format!("{path}/coupons"), Some(json!({"codes": ["LATE"]}))).await;
    assert_eq!((a.status.as_u16(), a.code()), (409, "promotion_archived"));

    let active = app.admin_ok("GET", "/admin/v1/promotions", None).await;
    assert!(active["items"].as_array().unwrap().is_empty());
    let archived_list = app.admin_ok("GET", "/admin/v1/promotions?status=archived", None).await;
    assert_eq!(archived_list["items"][0]["id"], id);

    let a = app
        .admin("PATCH", "/admin/v1/promotions/7e4f2a9c-58b1-4d6e-9c0a-3b2d1e0f9a87", Some(json!({"name": "X"})))
        .await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "promotion_not_found"));
    let a = app.admin("POST", "/admin/v1/promotions/7e4f2a9c-58b1-4d6e-9c0a-3b2d1e0f9a87/archive", None).await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "promotion_not_found"));
}

#[tokio::test]
async fn listings_page_through_and_filter() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let markets = if i % 2 == 0 { json!(["fr"]) } else { json!(["us"]) };
        let p = create(&app, with(&order_promotion(), json!({"name": format!("P{i}"), "markets": markets}))).await;
        ids.push(p["id"].as_str().unwrap().to_string());
    }
    let everywhere = create(&app, with(&order_promotion(), json!({"name": "Everywhere"}))).await;

    let walk = |query: &'static str| {
        let app = &app;
        async move {
            let mut names = Vec::new();
            let mut path = format!("/admin/v1/promotions?{query}&limit=2");
            loop {
                let page = app.admin_ok("GET", &path, None).await;
                names.extend(page["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()));
                match page.get("next_cursor").and_then(Value::as_str) {
                    Some(c) => path = format!("/admin/v1/promotions?{query}&limit=2&cursor={c}"),
                    None => break,
                }
            }
            names
        }
    };
    assert_eq!(walk("status=all").await, ["Everywhere", "P4", "P3", "P2", "P1", "P0"]);
    assert_eq!(walk("market=fr").await, ["Everywhere", "P4", "P2", "P0"]);
    assert_eq!(walk("market=US").await, ["Everywhere", "P3", "P1"]);
    assert!(everywhere["markets"].as_array().unwrap().is_empty());

    let first = app.admin_ok("GET", "/admin/v1/promotions?limit=2", None).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    for (query, status, code) in [
        (format!("market=fr&cursor={cursor}"), 400, "invalid_cursor"),
        ("cursor=abc".to_string(), 400, "invalid_cursor"),
        ("status=live".to_string(), 400, "invalid_status"),
        ("market=xx".to_string(), 400, "unknown_market"),
        ("limit=0".to_string(), 400, "invalid_limit"),
        ("limit=101".to_string(), 400, "page_too_large"),
        ("colour=red".to_string(), 400, "invalid_query"),
    ] {
        let a = app.admin("GET", &format!("/admin/v1/promotions?{query}"), None).await;
        assert_eq!((a.status.as_u16(), a.code()), (status, code), "{query}");
    }
}

#[tokio::test]
async fn creating_a_promotion_is_idempotent() {
    let app = spawn_app().await;
    let post = |key: &str, name: &str| {
        Request::post("/admin/v1/promotions")
            .header("authorization", format!("Bearer {}", super::TOKEN))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(Body::from(with(&order_promotion(), json!({"name": name})).to_string()))
            .unwrap()
    };
    let first = app.send(post("promo-1", "Once")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = app.send(post("promo-1", "Once")).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let other = app.send(post("promo-1", "Twice")).await;
    assert_eq!((other.status.as_u16(), other.code()), (422, "idempotency_key_reused"));
    assert_eq!(app.sql_count("SELECT count(*) FROM promotions").await, 1);
}

#[tokio::test]
async fn openapi_documents_the_promotion_routes() {
    let app = spawn_app().await;
    let doc = app.staff_get("/openapi.json").await;
    assert_eq!(doc.status, 200);
    let paths = doc.body["paths"].as_object().unwrap();
    for (p, methods) in [
        ("/admin/v1/promotions", &["get", "post"][..]),
        ("/admin/v1/promotions/{id}", &["get", "patch"]),
        ("/admin/v1/promotions/{id}/archive", &["post"]),
        ("/admin/v1/promotions/{id}/coupons", &["get", "post"]),
    ] {
        for m in methods {
            assert!(paths.get(p).and_then(|p| p.get(*m)).is_some(), "{m} {p} missing from the OpenAPI document");
        }
    }
    let schemas = doc.body["components"]["schemas"].as_object().unwrap();
    for s in ["PromotionIn", "PromotionOut", "DiscountDto", "TargetDto", "CouponsIn"] {
        assert!(schemas.contains_key(s), "schema {s} missing");
    }
}
