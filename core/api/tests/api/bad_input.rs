//! Every listed bad input gets its 4xx and stable code, and changes nothing.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use super::{TOKEN, spawn_app};

#[tokio::test]
async fn shopper_bad_inputs() {
    let app = spawn_app().await;
    app.fixture().await;
    let id = app.product("P1", &["fr"], 1000, "red").await;
    let shirts = app.category_id("shirts").await;
    let check = |status: u16, code: &'static str| {
        move |a: super::Answer| {
            assert_eq!((a.status.as_u16(), a.code()), (status, code), "{}", a.body);
            assert_eq!(a.headers["content-type"], "application/json");
        }
    };
    check(404, "market_not_found")(app.get(&format!("/v1/xx/fr/products/{id}")).await);
    check(404, "market_not_found")(app.get("/v1/atlantis/en/categories").await);
    check(404, "language_not_available")(app.get(&format!("/v1/fr/de/products/{id}")).await);
    check(404, "language_not_available")(app.get("/v1/jp/fr/categories").await);
    check(400, "invalid_language")(app.get("/v1/fr/fr_FR_x/categories").await);
    check(400, "invalid_language")(app.get("/v1/fr/%E2%98%83/categories").await);
    check(404, "product_not_found")(app.get("/v1/fr/fr/products/not-a-uuid").await);
    check(404, "product_not_found")(app.get("/v1/fr/fr/products/00000000-0000-0000-0000-000000000000").await);
    let list = format!("/v1/fr/fr/products?category={shirts}");
    check(400, "invalid_cursor")(app.get(&format!("{list}&cursor=garbage")).await);
    check(400, "invalid_cursor")(app.get(&format!("{list}&cursor=AQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).await);
    check(400, "page_too_large")(app.get(&format!("{list}&limit=101")).await);
    check(400, "page_too_large")(app.get(&format!("{list}&limit=100000000000000000000000")).await);
    check(400, "invalid_limit")(app.get(&format!("{list}&limit=0")).await);
    check(400, "invalid_limit")(app.get(&format!("{list}&limit=abc")).await);
    check(400, "invalid_sort")(app.get(&format!("{list}&sort=random")).await);
    check(400, "unknown_filter")(app.get(&format!("{list}&attr.weight_g=1")).await);
    check(400, "unknown_filter")(app.get(&format!("{list}&attr.nope=1")).await);
    check(400, "invalid_filter")(app.get(&format!("{list}&attr.color=purple")).await);
    check(400, "invalid_query")(app.get("/v1/fr/fr/products").await);
    check(400, "invalid_query")(app.get(&format!("{list}&utm=1")).await);
    check(400, "invalid_query")(app.get(&format!("{list}&limit=1&limit=2")).await);
    check(404, "category_not_found")(app.get("/v1/fr/fr/products?category=00000000-0000-0000-0000-000000000000").await);
    check(404, "category_not_found")(app.get("/v1/fr/fr/products?category=no-such-category").await);
    check(404, "not_found")(app.get("/nowhere").await);
    check(405, "method_not_allowed")(app.send(Request::delete("/v1/markets").body(Body::empty()).unwrap()).await);

    // A cursor from one listing is refused by another.
    let _ = app.product("P2", &["fr"], 2000, "blue").await;
    let page = app.get(&format!("{list}&limit=1")).await.body;
    let cursor = page["next_cursor"].as_str().expect("a second page");
    assert_eq!(app.get(&format!("{list}&limit=1&cursor={cursor}")).await.status, 200);
    check(400, "invalid_cursor")(app.get(&format!("{list}&limit=1&sort=price_asc&cursor={cursor}")).await);
    check(400, "invalid_cursor")(app.get(&format!("{list}&limit=1&attr.color=red&cursor={cursor}")).await);
}

#[tokio::test]
async fn admin_bad_inputs_change_nothing() {
    let app = spawn_app().await;
    app.fixture().await;
    let before = app.sql_count("SELECT count(*) FROM products").await;
    let post = |body: &'static str, content_type: &'static str| {
        Request::post("/admin/v1/products")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let a = app.send(post("{\"code\": \"X\",", "application/json")).await;
    assert_eq!((a.status.as_u16(), a.code()), (400, "invalid_json"), "{}", a.body);
    let a = app.send(post("code=X", "application/x-www-form-urlencoded")).await;
    assert_eq!((a.status.as_u16(), a.code()), (415, "unsupported_media_type"));
    let a = app.send(post("{\"code\": 5}", "application/json")).await;
    assert_eq!((a.status.as_u16(), a.code()), (422, "validation_failed"));
    let a = app.send(post("{\"code\": \"X\", \"category\": \"shirts\", \"colour\": 1}", "application/json")).await;
    assert_eq!((a.status.as_u16(), a.code()), (422, "validation_failed"), "unknown fields are refused");
    let huge = format!("{{\"code\": \"{}\"}}", "x".repeat(2 << 20));
    let a = app
        .send(
            Request::post("/admin/v1/products")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", "application/json")
                .body(Body::from(huge))
                .unwrap(),
        )
        .await;
    assert_eq!((a.status.as_u16(), a.code()), (413, "payload_too_large"));

    let product = |extra: serde_json::Value| {
        let mut p = json!({
            "code": "NEW", "category": "shirts", "markets": ["fr"],
            "translations": {"fr": {"name": "Chemise", "slug": "chemise-new"}},
            "variants": [{"sku": "NEW-1", "attributes": {"color": "red"}, "prices": {"fr": {"amount_minor": 100}}}]
        });
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        Some(p)
    };
    let cases = [
        (json!({"category": "nope"}), 422, "unknown_category"),
        (json!({"markets": ["fr", "mars"]}), 422, "unknown_market"),
        (json!({"attributes": {"brand": 7}}), 422, "invalid_attribute_value"),
        (json!({"attributes": {"brand": ["a"]}}), 422, "invalid_attribute_value"),
        (json!({"attributes": {"material": "silk"}}), 422, "unknown_attribute"),
        (json!({"attributes": {"color": "red"}}), 422, "invalid_attribute_value"),
        (json!({"translations": {"fr": {"name": "Chemise", "slug": "Not A Slug"}}}), 422, "validation_failed"),
        (json!({"translations": {"fr": {"name": " ", "slug": "ok"}}}), 422, "validation_failed"),
        (json!({"translations": {"xx-YY": {"name": "n", "slug": "ok"}}}), 422, "validation_failed"),
        (json!({"variants": [{"sku": "NEW-1", "attributes": {"color": "green"}}]}), 422, "invalid_attribute_value"),
        (json!({"variants": [{"sku": "NEW-1", "prices": {"fr": {"amount_minor": -1}}}]}), 422, "amount_out_of_range"),
        (
            json!({"variants": [{"sku": "NEW-1", "prices": {"fr": {"amount_minor": 100, "compare_at_minor": 90}}}]}),
            422,
            "invalid_compare_at",
        ),
        (
            json!({"variants": [{"sku": "NEW-1", "prices": {"jp": {"amount_minor": 100, "currency": "USD"}}}]}),
            422,
            "currency_mismatch",
        ),
        (
            json!({"variants": [{"sku": "A", "attributes": {"color": "red"}}, {"sku": "B", "attributes": {"color": "red"}}]}),
            422,
            "duplicate_variant",
        ),
        (json!({"tax_category": "Not Valid"}), 422, "validation_failed"),
    ];
    for (extra, status, code) in cases {
        let a = app.admin("POST", "/admin/v1/products", product(extra.clone())).await;
        assert_eq!((a.status.as_u16(), a.code()), (status, code), "{extra}: {}", a.body);
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM products").await, before, "a refused write changed nothing");
    assert_eq!(app.sql_count("SELECT count(*) FROM variants").await, 0);

    // Valid now; then a second product may not reuse its code, SKU or slug.
    app.admin_ok("POST", "/admin/v1/products", product(json!({}))).await;
    for (extra, code) in [
        (json!({"variants": []}), "code_taken"),
        (
            json!({"code": "OTHER", "translations": {"fr": {"name": "Autre", "slug": "autre"}}, "variants": [{"sku": "NEW-1"}]}),
            "sku_taken",
        ),
        (json!({"code": "OTHER", "variants": []}), "slug_taken"),
    ] {
        let a = app.admin("POST", "/admin/v1/products", product(extra.clone())).await;
        assert_eq!((a.status.as_u16(), a.code()), (409, code), "{extra}: {}", a.body);
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM products").await, before + 1);
}
