//! Shopper reads: fallback chain, assortment, prices per market, filters, slugs.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use super::spawn_app;

#[tokio::test]
async fn translation_fallback_chain() {
    let app = spawn_app().await;
    app.fixture().await;
    let id = app.product("P1", &["ca", "fr"], 2500, "red").await;

    // Canada offers fr-CA, which falls back to fr, then en. No fr-CA copy yet: French.
    let a = app.get(&format!("/v1/ca/fr-CA/products/{id}")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["name"], "Chemise P1");
    assert_eq!(a.body["language"], "fr-CA");
    assert_eq!(a.body["content_language"], "fr");
    assert_eq!(a.headers["content-language"], "fr-CA");
    // The French translation has no description: field-level fallback to English.
    assert_eq!(a.body["description"], "A shirt.");
    // Category names fall back too, and the enum option label is French.
    assert_eq!(a.body["category"]["name"], "Chemises");
    assert_eq!(a.body["variants"][0]["attributes"][0]["display"], "Rouge");
    assert_eq!(a.body["variants"][0]["attributes"][0]["label"], "Couleur");

    // Canadian-French copy, once written, wins.
    app.admin_ok(
        "PUT",
        &format!("/admin/v1/products/{id}/translations/fr-CA"),
        Some(json!({
            "name": "Chandail P1", "description": "Un chandail.", "slug": "chandail-p1"
        })),
    )
    .await;
    let a = app.get(&format!("/v1/ca/fr-CA/products/{id}")).await;
    assert_eq!((a.body["name"].as_str(), a.body["content_language"].as_str()), (Some("Chandail P1"), Some("fr-CA")));
    assert_eq!(a.body["description"], "Un chandail.");
    // English in Canada stays English, and France never sees Canadian copy.
    assert_eq!(app.get(&format!("/v1/ca/en/products/{id}")).await.body["name"], "Shirt P1");
    assert_eq!(app.get(&format!("/v1/fr/fr/products/{id}")).await.body["name"], "Chemise P1");
    // hreflang alternates: the other languages of the market with their slugs.
    let alternates = &app.get(&format!("/v1/ca/en/products/{id}")).await.body["alternates"];
    assert_eq!(alternates, &json!([{"language": "fr-CA", "slug": "chandail-p1"}]));
}

#[tokio::test]
async fn assortment_and_prices_per_market() {
    let app = spawn_app().await;
    app.fixture().await;
    let only_fr = app.product("FRONLY", &["fr"], 1999, "red").await;
    let everywhere = app.product("ALL", &["fr", "us", "jp"], 1980, "blue").await;

    assert_eq!(app.get(&format!("/v1/fr/fr/products/{only_fr}")).await.status, 200);
    let a = app.get(&format!("/v1/us/en/products/{only_fr}")).await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "product_not_found"));

    let fr = app.get(&format!("/v1/fr/fr/products/{everywhere}")).await.body;
    assert_eq!(fr["currency"], "EUR");
    let variant = &fr["variants"][0];
    assert_eq!(variant["price"], json!({"amount_minor": 1980, "currency": "EUR"}));
    assert_eq!(
        (&variant["compare_at_price"], &variant["lowest_price_30d"]),
        (&serde_json::Value::Null, &serde_json::Value::Null)
    );
    assert_eq!(variant["price_derived"], false);
    let jp = app.get(&format!("/v1/jp/ja/products/{everywhere}")).await.body;
    assert_eq!(jp["currency"], "JPY");
    assert_eq!(jp["name"], "シャツ ALL");
    assert_eq!(jp["price_range"]["min"], json!({"currency": "JPY", "amount_minor": 1980}));

    // Listings follow the assortment.
    let shirts = app.category_id("shirts").await;
    let ids = |page: &serde_json::Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
    };
    let fr_page = app.get(&format!("/v1/fr/fr/products?category={shirts}")).await.body;
    assert_eq!(ids(&fr_page).len(), 2);
    // The same listing by the category's code, and by its slug in the shopper's language.
    for named in ["shirts", "chemises"] {
        assert_eq!(ids(&app.get(&format!("/v1/fr/fr/products?category={named}")).await.body), ids(&fr_page));
    }
    assert_eq!(app.get("/v1/fr/fr/products?category=no-such-thing").await.code(), "category_not_found");
    let us_page = app.get(&format!("/v1/us/en/products?category={shirts}")).await.body;
    assert_eq!(ids(&us_page), vec![everywhere.clone()]);
    assert_eq!(us_page["items"][0]["from_price"], json!({"currency": "USD", "amount_minor": 1980}));
    // Parent categories list their descendants' products.
    let apparel = app.category_id("apparel").await;
    assert_eq!(ids(&app.get(&format!("/v1/fr/fr/products?category={apparel}")).await.body).len(), 2);

    // Taking a market out of the assortment removes the product there at once.
    app.admin_ok("PATCH", &format!("/admin/v1/products/{everywhere}"), Some(json!({"markets": ["fr", "jp"]}))).await;
    assert_eq!(app.get(&format!("/v1/us/en/products/{everywhere}")).await.status, 404);
    assert!(ids(&app.get(&format!("/v1/us/en/products?category={shirts}")).await.body).is_empty());
    // Unpublished products disappear everywhere.
    app.admin_ok("POST", &format!("/admin/v1/products/{only_fr}/unpublish"), None).await;
    assert_eq!(app.get(&format!("/v1/fr/fr/products/{only_fr}")).await.status, 404);
    assert_eq!(ids(&app.get(&format!("/v1/fr/fr/products?category={shirts}")).await.body), vec![everywhere]);
}

#[tokio::test]
async fn filters_sorts_and_slugs() {
    let app = spawn_app().await;
    app.fixture().await;
    let red = app.product("RED", &["fr"], 3000, "red").await;
    let blue = app.product("BLUE", &["fr"], 1000, "blue").await;
    let shirts = app.category_id("shirts").await;
    let names = |page: &serde_json::Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_string()).collect()
    };
    let page = app.get(&format!("/v1/fr/fr/products?category={shirts}&attr.color=red")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(names(&page.body), ["Chemise RED"]);
    let both = app.get(&format!("/v1/fr/fr/products?category={shirts}&attr.color=red,blue&sort=price_asc")).await.body;
    assert_eq!(names(&both), ["Chemise BLUE", "Chemise RED"]);
    let desc = app.get(&format!("/v1/fr/fr/products?category={shirts}&sort=price_desc")).await.body;
    assert_eq!(names(&desc), ["Chemise RED", "Chemise BLUE"]);
    let none = app.get(&format!("/v1/fr/fr/products?category={shirts}&attr.color=red&attr.brand=Other")).await.body;
    assert!(names(&none).is_empty());
    // Product-level and variant-level filters combine.
    let acme = app.get(&format!("/v1/fr/fr/products?category={shirts}&attr.color=blue&attr.brand=Acme")).await.body;
    assert_eq!(names(&acme), ["Chemise BLUE"]);

    // Filters follow attribute edits at once (facet keys are rebuilt in the same transaction).
    let detail = app.admin_ok("GET", &format!("/admin/v1/products/{red}"), None).await;
    let variant = detail["variants"][0]["id"].as_str().unwrap();
    app.admin_ok("PATCH", &format!("/admin/v1/variants/{variant}"), Some(json!({"attributes": {"color": "blue"}})))
        .await;
    assert!(names(&app.get(&format!("/v1/fr/fr/products?category={shirts}&attr.color=red")).await.body).is_empty());
    let blue_now = app.get(&format!("/v1/fr/fr/products?category={shirts}&attr.color=blue&sort=price_asc")).await.body;
    assert_eq!(names(&blue_now), ["Chemise BLUE", "Chemise RED"]);
    app.admin_ok(
        "PATCH",
        &format!("/admin/v1/products/{red}"),
        Some(json!({"attributes": {"brand": "Zenith", "weight_g": 180}})),
    )
    .await;
    assert_eq!(
        names(&app.get(&format!("/v1/fr/fr/products?category={shirts}&attr.brand=Zenith")).await.body),
        ["Chemise RED"]
    );

    // By localized slug, through the chain; the answer carries the canonical slug.
    let a = app.get("/v1/fr/fr/products/by-slug/chemise-red").await;
    assert_eq!((a.status.as_u16(), a.body["id"].as_str()), (200, Some(red.as_str())));
    let a = app.get("/v1/fr/en/products/by-slug/shirt-blue").await;
    assert_eq!(a.body["id"].as_str(), Some(blue.as_str()));
    assert_eq!(app.get("/v1/fr/fr/products/by-slug/no-such-shirt").await.code(), "product_not_found");
    // A German slug asked in French is moved to the French one (a link shared across languages).
    let moved = app.get("/v1/fr/fr/products/by-slug/hemd-red").await;
    assert_eq!(moved.status, 301);
    assert_eq!(moved.headers["location"], "/v1/fr/fr/products/by-slug/chemise-red");
    // Number attributes show with their unit.
    let attrs = &app.get(&format!("/v1/fr/fr/products/{red}")).await.body["attributes"];
    assert!(attrs.as_array().unwrap().iter().any(|a| a["code"] == "weight_g" && a["display"] == "180 g"), "{attrs}");
}

#[tokio::test]
async fn category_tree_and_markets() {
    let app = spawn_app().await;
    app.fixture().await;
    let tree = app.get("/v1/fr/fr/categories").await;
    assert_eq!(tree.status, 200);
    assert_eq!(tree.body["categories"][0]["name"], "Vêtements");
    assert_eq!(tree.body["categories"][0]["children"][0]["slug"], "chemises");
    // Japan in English: the en → ja chain finds English names.
    let ja = app.get("/v1/jp/en/categories").await.body;
    assert_eq!(ja["categories"][0]["name"], "Apparel");
    let markets = app.get("/v1/markets").await.body;
    let jp = markets.as_array().unwrap().iter().find(|m| m["id"] == "jp").unwrap();
    assert_eq!((jp["currency"].as_str(), jp["currency_exponent"].as_u64()), (Some("JPY"), Some(0)));
    assert!(app.get("/v1/markets").await.headers["cache-control"].to_str().unwrap().contains("max-age"));
}

#[tokio::test]
async fn openapi_lists_every_public_route() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await;
    assert_eq!(doc.status, 200);
    let paths = doc.body["paths"].as_object().unwrap();
    for p in [
        "/v1/markets",
        "/v1/{market}/{language}/categories",
        "/v1/{market}/{language}/products",
        "/v1/{market}/{language}/products/{id}",
        "/v1/{market}/{language}/products/by-slug/{slug}",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
    let staff = app.staff_get("/openapi.json").await;
    assert_eq!(staff.status, 200);
    let paths = staff.body["paths"].as_object().unwrap();
    for p in ["/admin/v1/products", "/admin/v1/products/{id}/publish"] {
        assert!(paths.contains_key(p), "{p} missing from the staff listener's OpenAPI document");
    }
}

#[tokio::test]
async fn availability_per_market_and_no_cart_line_beyond_it() {
    let app = spawn_app().await;
    app.fixture().await;
    let id = app.product("STOCKED", &["fr", "us"], 2500, "red").await;
    let detail = app.admin_ok("GET", &format!("/admin/v1/products/{id}"), None).await;
    let variant = detail["variants"][0]["id"].as_str().unwrap().to_string();
    let availability = |market: &'static str| {
        let app = &app;
        let id = id.clone();
        async move {
            let a = app.get(&format!("/v1/{market}/en/products/{id}/availability")).await;
            assert_eq!(a.status, 200, "{}", a.body);
            assert_eq!(a.headers["cache-control"], "no-store");
            let v = &a.body["variants"][0];
            (v["availability"].as_str().unwrap().to_string(), v["units_left"].as_i64())
        }
    };
    // Published without stock: out of stock, and a cart cannot take it.
    assert_eq!(availability("fr").await, ("out_of_stock".into(), None));
    let cart = app.post("/v1/fr/fr/carts", json!({})).await;
    let (cart_id, token) = (cart.body["id"].as_str().unwrap(), cart.body["token"].as_str().unwrap());
    let put = |quantity: i64| {
        Request::put(format!("/v1/carts/{cart_id}/lines/{variant}"))
            .header("content-type", "application/json")
            .header("x-cart-token", token)
            .body(Body::from(json!({"quantity": quantity}).to_string()))
            .unwrap()
    };
    let refused = app.send(put(1)).await;
    assert_eq!((refused.status.as_u16(), refused.code()), (409, "out_of_stock"), "{}", refused.body);

    // Three units in Paris, which serves France, not the US: low stock in France only.
    app.admin_ok("PUT", &format!("/admin/v1/stock/eu-par/{variant}"), Some(json!({"on_hand": 3}))).await;
    assert_eq!(availability("fr").await, ("low_stock".into(), Some(3)));
    assert_eq!(availability("us").await, ("out_of_stock".into(), None));
    let too_many = app.send(put(4)).await;
    assert_eq!((too_many.status.as_u16(), too_many.code()), (409, "out_of_stock"), "{}", too_many.body);
    assert!(too_many.body["message"].as_str().unwrap().contains("only 3"), "{}", too_many.body);
    assert_eq!(app.send(put(3)).await.status, 200);
    app.admin_ok("PUT", &format!("/admin/v1/stock/eu-par/{variant}"), Some(json!({"on_hand": 40}))).await;
    assert_eq!(availability("fr").await, ("in_stock".into(), None));
    // A product not sold in the market has no availability there.
    assert_eq!(app.get(&format!("/v1/jp/ja/products/{id}/availability")).await.status, 404);
}
