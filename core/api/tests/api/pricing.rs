//! Prices as markets show them, sale prices, the Omnibus lowest price, and quotes.

use serde_json::json;

use super::spawn_app;

#[tokio::test]
async fn sale_prices_and_the_lowest_price_of_30_days() {
    let app = spawn_app().await;
    app.fixture().await;
    let id = app.product("SALE", &["fr", "us"], 5000, "red").await;
    let detail = app.admin_ok("GET", &format!("/admin/v1/products/{id}"), None).await;
    let variant = detail["variants"][0]["id"].as_str().unwrap().to_string();
    // The regular price went from 50.00 down to 45.00 some time ago, then a sale at 39.00.
    app.admin_ok("PUT", &format!("/admin/v1/variants/{variant}/prices/fr"), Some(json!({"amount_minor": 4500}))).await;
    let sale = app
        .admin_ok(
            "POST",
            &format!("/admin/v1/variants/{variant}/sales"),
            Some(json!({
                "market": "fr", "amount_minor": 3900, "starts_at": "2020-01-01T00:00:00Z"
            })),
        )
        .await;
    assert_eq!(sale["variants"][0]["sales"][0]["amount"], json!({"amount_minor": 3900, "currency": "EUR"}));
    let variant_fr = &app.get(&format!("/v1/fr/fr/products/{id}")).await.body["variants"][0];
    assert_eq!(variant_fr["price"], json!({"amount_minor": 3900, "currency": "EUR"}));
    assert_eq!(variant_fr["compare_at_price"], json!({"amount_minor": 4500, "currency": "EUR"}));
    // France shows the lowest price of the previous 30 days (45.00 and, before, 50.00): 45.00.
    assert_eq!(variant_fr["lowest_price_30d"], json!({"amount_minor": 4500, "currency": "EUR"}));
    // The US market has no such rule, and no sale.
    let us = &app.get(&format!("/v1/us/en/products/{id}")).await.body;
    assert_eq!(us["variants"][0]["price"]["amount_minor"], 5000);
    assert_eq!(us["variants"][0]["lowest_price_30d"], serde_json::Value::Null);
    assert_eq!((us["prices_include_tax"].as_bool(), &us["included_tax"]), (Some(false), &serde_json::Value::Null));
    let fr = &app.get(&format!("/v1/fr/fr/products/{id}")).await.body;
    assert_eq!(fr["included_tax"], json!({"name": "TVA", "rate_percent": "20"}));

    // Quotes charge the sale price too.
    let q = app
        .post(
            "/v1/fr/fr/quote",
            json!({"lines": [{"variant_id": variant, "quantity": 2}], "destination": {"country": "FR"}}),
        )
        .await;
    assert_eq!(
        (q.status.as_u16(), q.body["totals"]["total"]["amount_minor"].as_i64()),
        (200, Some(7800)),
        "{}",
        q.body
    );
    assert_eq!(
        q.body["totals"]["tax"],
        json!({"amount_minor": 1300, "currency": "EUR"}),
        "78.00 includes 13.00 of 20 % TVA"
    );

    // A sale in the future or cancelled does nothing; bad sales are refused.
    let sale_id = sale["variants"][0]["sales"][0]["id"].as_str().unwrap();
    app.admin_ok("DELETE", &format!("/admin/v1/sales/{sale_id}"), None).await;
    app.admin_ok(
        "POST",
        &format!("/admin/v1/variants/{variant}/sales"),
        Some(json!({
            "market": "fr", "amount_minor": 100, "starts_at": "2999-01-01T00:00:00Z"
        })),
    )
    .await;
    assert_eq!(app.get(&format!("/v1/fr/fr/products/{id}")).await.body["variants"][0]["price"]["amount_minor"], 4500);
    for (body, code) in [
        (json!({"market": "mars", "amount_minor": 100, "starts_at": "2020-01-01T00:00:00Z"}), "unknown_market"),
        (json!({"market": "fr", "amount_minor": -1, "starts_at": "2020-01-01T00:00:00Z"}), "amount_out_of_range"),
        (json!({"market": "fr", "amount_minor": 1, "starts_at": "yesterday"}), "validation_failed"),
        (
            json!({"market": "fr", "amount_minor": 1, "starts_at": "2020-01-02T00:00:00Z", "ends_at": "2020-01-01T00:00:00Z"}),
            "validation_failed",
        ),
    ] {
        let a = app.admin("POST", &format!("/admin/v1/variants/{variant}/sales"), Some(body.clone())).await;
        assert_eq!((a.status.as_u16(), a.code()), (422, code), "{body}");
    }
}

#[tokio::test]
async fn quotes_reprice_from_the_database_and_refuse_bad_input() {
    let app = spawn_app().await;
    app.fixture().await;
    let id = app.product("Q", &["us", "ca", "fr"], 2500, "red").await;
    let only_fr = app.product("QF", &["fr"], 1000, "blue").await;
    let variant = |id: &str| {
        let app = &app;
        let id = id.to_string();
        async move {
            app.admin_ok("GET", &format!("/admin/v1/products/{id}"), None).await["variants"][0]["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let (v, v_fr) = (variant(&id).await, variant(&only_fr).await);

    // New York: 8.875 % on top of 2 × 25.00 and of the 5.00 shipping.
    let q = app
        .post("/v1/us/en/quote", json!({
            "lines": [{"variant_id": v, "quantity": 2}], "destination": {"country": "us", "subdivision": "ny"}, "shipping_minor": 500
        }))
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!((q.body["currency"].as_str(), q.body["prices_include_tax"].as_bool()), (Some("USD"), Some(false)));
    assert_eq!(
        (
            q.body["totals"]["subtotal"]["amount_minor"].as_i64(),
            q.body["totals"]["tax"]["amount_minor"].as_i64(),
            q.body["totals"]["total"]["amount_minor"].as_i64()
        ),
        (Some(5000), Some(488), Some(5988))
    );
    // Québec: GST and QST.
    let q = app
        .post(
            "/v1/ca/fr-CA/quote",
            json!({"lines": [{"variant_id": v, "quantity": 1}], "destination": {"country": "CA", "subdivision": "QC"}}),
        )
        .await;
    let names: Vec<&str> =
        q.body["lines"][0]["taxes"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["GST", "QST"]);

    let bad = |body: serde_json::Value, status: u16, code: &'static str| {
        let app = &app;
        async move {
            let a = app.post("/v1/us/en/quote", body.clone()).await;
            assert_eq!((a.status.as_u16(), a.code()), (status, code), "{body}: {}", a.body);
        }
    };
    let dest = json!({"country": "US", "subdivision": "NY"});
    bad(json!({"lines": [{"variant_id": v, "quantity": 0}], "destination": dest}), 422, "invalid_quantity").await;
    bad(json!({"lines": [{"variant_id": v, "quantity": 1000}], "destination": dest}), 422, "invalid_quantity").await;
    bad(
        json!({"lines": [{"variant_id": v, "quantity": 99999999999u64}], "destination": dest}),
        422,
        "validation_failed",
    )
    .await;
    bad(json!({"lines": [], "destination": dest}), 422, "no_lines").await;
    bad(
        json!({"lines": [{"variant_id": v, "quantity": 1}], "destination": dest, "currency": "EUR"}),
        422,
        "currency_mismatch",
    )
    .await;
    bad(json!({"lines": [{"variant_id": v, "quantity": 1}], "destination": {"country": "ZZ"}}), 422, "unknown_country")
        .await;
    bad(
        json!({"lines": [{"variant_id": v, "quantity": 1}], "destination": {"country": "France"}}),
        422,
        "unknown_country",
    )
    .await;
    bad(
        json!({"lines": [{"variant_id": v, "quantity": 1}], "destination": {"country": "FR"}}),
        422,
        "destination_outside_market",
    )
    .await;
    bad(
        json!({"lines": [{"variant_id": v, "quantity": 1}], "destination": {"country": "US", "subdivision": "XX"}}),
        422,
        "unknown_subdivision",
    )
    .await;
    bad(
        json!({"lines": [{"variant_id": v, "quantity": 1}], "destination": {"country": "US"}}),
        422,
        "missing_subdivision",
    )
    .await;
    bad(json!({"lines": [{"variant_id": v_fr, "quantity": 1}], "destination": dest}), 422, "not_sold_in_market").await;
    bad(
        json!({"lines": [{"variant_id": "00000000-0000-0000-0000-000000000000", "quantity": 1}], "destination": dest}),
        422,
        "unknown_variant",
    )
    .await;
    bad(
        json!({"lines": [{"variant_id": v, "quantity": 1, "unit_price_minor": 1}], "destination": dest}),
        422,
        "validation_failed",
    )
    .await;
    bad(
        json!({"lines": [{"variant_id": v, "quantity": 1}], "destination": dest, "coupons": ["NOPE"]}),
        422,
        "unknown_coupon",
    )
    .await;
    let a = app
        .send(
            axum::http::Request::post("/v1/us/en/quote")
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{"))
                .unwrap(),
        )
        .await;
    assert_eq!((a.status.as_u16(), a.code()), (400, "invalid_json"));
    let a = app.post("/v1/xx/en/quote", json!({})).await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "market_not_found"));
}

#[tokio::test]
async fn promotions_show_on_product_pages_and_apply_in_quotes() {
    let app = spawn_app().await;
    app.fixture().await;
    let id = app.product("PROMO", &["fr"], 4000, "red").await;
    let variant = app.admin_ok("GET", &format!("/admin/v1/products/{id}"), None).await["variants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let shirts = app.category_id("shirts").await;
    // A flash sale on shirts: 25 % off, now.
    app.admin_ok(
        "POST",
        "/admin/v1/promotions",
        Some(json!({
            "name": "Shirt flash sale", "priority": 10, "kind": "catalog", "markets": ["fr"],
            "target": {"type": "categories", "ids": [shirts]}, "discount": {"type": "percent", "percent": "25"},
            "starts_at": "2020-01-01T00:00:00Z"
        })),
    )
    .await;
    // A coupon: 5.00 off orders of 20.00 or more, once per customer.
    let coupon = app
        .admin_ok(
            "POST",
            "/admin/v1/promotions",
            Some(json!({
                "name": "Welcome", "kind": "order", "markets": ["fr"], "requires_coupon": true, "per_customer_limit": 1,
                "discount": {"type": "amount", "amount_minor": 500, "currency": "EUR"}, "min_subtotal_minor": 2000
            })),
        )
        .await;
    app.admin_ok(
        "POST",
        &format!("/admin/v1/promotions/{}/coupons", coupon["id"].as_str().unwrap()),
        Some(json!({"codes": ["WELCOME5"]})),
    )
    .await;

    // The product page shows the reduced price, the was price and the 30-day lowest (France).
    let variant_fr = &app.get(&format!("/v1/fr/fr/products/{id}")).await.body["variants"][0];
    assert_eq!(
        (variant_fr["price"]["amount_minor"].as_i64(), variant_fr["compare_at_price"]["amount_minor"].as_i64()),
        (Some(3000), Some(4000))
    );
    assert_eq!(variant_fr["lowest_price_30d"]["amount_minor"], 4000);

    // The quote applies the same catalog discount, then the coupon.
    let cart = |coupons: serde_json::Value| json!({"lines": [{"variant_id": variant, "quantity": 1}], "destination": {"country": "FR"}, "coupons": coupons, "customer_id": "c-1"});
    let q = app.post("/v1/fr/fr/quote", cart(json!([]))).await;
    assert_eq!(
        (q.status.as_u16(), q.body["totals"]["total"]["amount_minor"].as_i64()),
        (200, Some(3000)),
        "{}",
        q.body
    );
    let q = app.post("/v1/fr/fr/quote", cart(json!(["welcome5"]))).await;
    assert_eq!(q.body["totals"]["total"]["amount_minor"], 2500, "{}", q.body);
    let names: Vec<&str> =
        q.body["promotions"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // An ended promotion's coupon is refused with its own code.
    let ended = app
        .admin_ok("POST", "/admin/v1/promotions", Some(json!({
            "name": "Summer", "kind": "order", "markets": ["fr"], "requires_coupon": true,
            "discount": {"type": "percent", "percent": "10"}, "starts_at": "2021-06-01T00:00:00Z", "ends_at": "2021-09-01T00:00:00Z"
        })))
        .await;
    app.admin_ok(
        "POST",
        &format!("/admin/v1/promotions/{}/coupons", ended["id"].as_str().unwrap()),
        Some(json!({"codes": ["SUMMER21"]})),
    )
    .await;
    let q = app.post("/v1/fr/fr/quote", cart(json!(["SUMMER21"]))).await;
    assert_eq!((q.status.as_u16(), q.code()), (422, "promotion_expired"));
    // Unknown coupons are refused; so is a coupon in another market.
    let q = app.post("/v1/fr/fr/quote", cart(json!(["NOPE-123"]))).await;
    assert_eq!((q.status.as_u16(), q.code()), (422, "unknown_coupon"));
    let us_id = app.product("PROMO-US", &["us"], 4000, "red").await;
    let us_variant = app.admin_ok("GET", &format!("/admin/v1/products/{us_id}"), None).await["variants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let q = app
        .post("/v1/us/en/quote", json!({"lines": [{"variant_id": us_variant, "quantity": 1}], "destination": {"country": "US", "subdivision": "OR"}, "coupons": ["WELCOME5"]}))
        .await;
    assert_eq!((q.status.as_u16(), q.code()), (422, "coupon_not_valid_in_market"));
}

#[tokio::test]
async fn a_lowered_price_states_the_price_before_the_reduction_not_itself() {
    let app = spawn_app().await;
    app.fixture().await;
    // 50.00, then lowered to 30.00 against a compare-at price of 50.00.
    let id = app.product("LOWERED", &["fr"], 5000, "red").await;
    let detail = app.admin_ok("GET", &format!("/admin/v1/products/{id}"), None).await;
    let variant = detail["variants"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/admin/v1/variants/{variant}/prices/fr");
    app.admin_ok("PUT", &path, Some(json!({"amount_minor": 3000, "compare_at_minor": 5000}))).await;
    let price = |body: &serde_json::Value| {
        let v = &body["variants"][0];
        (
            v["price"]["amount_minor"].as_i64(),
            v["compare_at_price"]["amount_minor"].as_i64(),
            v["lowest_price_30d"]["amount_minor"].as_i64(),
        )
    };
    let page = app.get(&format!("/v1/fr/fr/products/{id}")).await.body;
    // The EU prior price is the lowest of the 30 days before the reduction: 50.00, not 30.00.
    assert_eq!(price(&page), (Some(3000), Some(5000), Some(5000)), "{page}");

    // A higher "was" price put on the same 30.00 is no new reduction: the prior price states
    // what the shopper paid in the 30 days before, 30.00 included.
    app.admin_ok("PUT", &path, Some(json!({"amount_minor": 3000, "compare_at_minor": 6000}))).await;
    let page = app.get(&format!("/v1/fr/fr/products/{id}")).await.body;
    assert_eq!(price(&page), (Some(3000), Some(6000), Some(3000)), "{page}");
}
