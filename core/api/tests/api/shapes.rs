//! The shapes every answer shares: money as `{amount_minor, currency}`, one cart object, lines
//! that name what they hold in the shopper's language, one case for shipping codes.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use super::{Answer, TestApp, spawn_app};

/// A published shirt sold in France and Germany with 10 units in Paris; its variant id.
async fn shirt_in_stock(app: &TestApp, code: &str) -> (String, String) {
    let id = app.product(code, &["fr", "de"], 2500, "red").await;
    let detail = app.admin_ok("GET", &format!("/admin/v1/products/{id}"), None).await;
    let variant = detail["variants"][0]["id"].as_str().unwrap().to_string();
    app.admin_ok("PUT", &format!("/admin/v1/stock/eu-par/{variant}"), Some(json!({"on_hand": 10}))).await;
    (id, variant)
}

/// A request on a guest's cart.
async fn on_cart(app: &TestApp, method: &str, path: &str, token: &str, body: Option<Value>) -> Answer {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("x-cart-token", token)
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    app.send(request).await
}

/// A guest's cart in `market`/`language` holding two units of `variant`: its id and token.
async fn guest_cart(app: &TestApp, market: &str, language: &str, variant: &str) -> (String, String) {
    let created = app.post(&format!("/v1/{market}/{language}/carts"), json!({})).await;
    assert_eq!(created.status, 201, "{}", created.body);
    // Read whatever the cart's shape (its own test holds it), so that each test here fails for
    // what it checks.
    let cart = if created.body["cart"].is_object() { &created.body["cart"] } else { &created.body };
    let token = created.body["token"].as_str().or(created.body["cart_token"].as_str()).unwrap();
    let id = cart["id"].as_str().unwrap();
    let path = format!("/v1/carts/{id}/lines/{variant}");
    let set = on_cart(app, "PUT", &path, token, Some(json!({"quantity": 2}))).await;
    assert_eq!(set.status, 200, "{}", set.body);
    (id.to_string(), token.to_string())
}

/// Every amount in `value`: where a key ends in `_minor`, it is the `amount_minor` of an object
/// holding exactly it and an ISO 4217 `currency`. Answers the amounts' paths, or the first bad
/// one as an error.
fn amounts(value: &Value, path: &str, found: &mut Vec<String>) -> Result<(), String> {
    match value {
        Value::Object(map) => {
            if map.contains_key("amount_minor") {
                let currency = map.get("currency").and_then(Value::as_str).unwrap_or("");
                let money = map.len() == 2
                    && map["amount_minor"].is_i64()
                    && currency.len() == 3
                    && currency.bytes().all(|b| b.is_ascii_uppercase());
                if !money {
                    return Err(format!("{path} is not a money object: {value}"));
                }
                found.push(path.to_string());
                return Ok(());
            }
            for (key, v) in map {
                if key.ends_with("_minor") {
                    return Err(format!("{path}.{key} is a bare amount: {v}"));
                }
                amounts(v, &format!("{path}.{key}"), found)?;
            }
            Ok(())
        }
        Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, v)| amounts(v, &format!("{path}[{i}]"), found))
        }
        _ => Ok(()),
    }
}

fn check_amounts(what: &str, body: &Value, expected: &[&str]) {
    let mut found = Vec::new();
    if let Err(e) = amounts(body, "", &mut found) {
        panic!("{what}: {e}");
    }
    for path in expected {
        assert!(found.iter().any(|f| f == path), "{what}: no amount at {path}; amounts at {found:?}");
    }
}

#[tokio::test]
async fn every_amount_answered_is_an_amount_in_minor_units_with_its_currency() {
    let app = spawn_app().await;
    app.fixture().await;
    let (id, variant) = shirt_in_stock(&app, "MONEY").await;
    let (cart, token) = guest_cart(&app, "fr", "fr", &variant).await;
    let answer =
        on_cart(&app, "PUT", &format!("/v1/carts/{cart}/destination"), &token, Some(json!({"country": "FR"}))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    check_amounts(
        "cart",
        &answer.body,
        &[
            ".quote.lines[0].unit_price",
            ".quote.lines[0].subtotal",
            ".quote.lines[0].total",
            ".quote.lines[0].tax",
            ".quote.lines[0].taxes[0].amount",
            ".quote.shipping.amount",
            ".quote.totals.subtotal",
            ".quote.totals.discount",
            ".quote.totals.shipping",
            ".quote.totals.tax",
            ".quote.totals.total",
            ".quote.shipping_options.options[0].amount",
        ],
    );
    assert_eq!(answer.body["quote"]["totals"]["subtotal"], json!({"amount_minor": 5000, "currency": "EUR"}));

    let quote = app
        .post(
            "/v1/fr/fr/quote",
            json!({"lines": [{"variant_id": variant, "quantity": 1}], "destination": {"country": "FR"}, "shipping_minor": 490}),
        )
        .await;
    assert_eq!(quote.status, 200, "{}", quote.body);
    check_amounts("quote", &quote.body, &[".lines[0].unit_price", ".shipping.amount", ".totals.total"]);
    assert_eq!(quote.body["totals"]["total"], json!({"amount_minor": 2990, "currency": "EUR"}));

    let page = app.get(&format!("/v1/fr/fr/products/{id}")).await.body;
    check_amounts("product page", &page, &[".variants[0].price", ".price_range.min", ".price_range.max"]);
    let shirts = app.category_id("shirts").await;
    let listing = app.get(&format!("/v1/fr/fr/products?category={shirts}")).await.body;
    check_amounts("listing", &listing, &[".items[0].from_price"]);
    let admin = app.admin_ok("GET", &format!("/admin/v1/products/{id}"), None).await;
    check_amounts("admin product", &admin, &[".variants[0].prices[0].amount"]);
}

#[tokio::test]
async fn creating_a_cart_answers_the_cart_with_its_token_and_every_other_call_the_same_cart() {
    let app = spawn_app().await;
    app.fixture().await;
    let (_, variant) = shirt_in_stock(&app, "SHAPE").await;
    let created = app.post("/v1/fr/fr/carts", json!({})).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().filter(|k| *k != "token").cloned().collect();
        k.sort();
        k
    };
    let id = created.body["id"].as_str().expect("the cart itself, not an envelope").to_string();
    let token = created.body["token"].as_str().expect("a guest's cart comes with its token").to_string();
    assert_eq!(created.body["lines"], json!([]));
    let read = on_cart(&app, "GET", &format!("/v1/carts/{id}"), &token, None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(keys(&read.body), keys(&created.body), "the same cart object");
    assert!(read.body.get("token").is_none(), "the token is shown once: {}", read.body);
    let changed =
        on_cart(&app, "PUT", &format!("/v1/carts/{id}/lines/{variant}"), &token, Some(json!({"quantity": 1}))).await;
    assert_eq!(keys(&changed.body), keys(&created.body));

    // A signed-in shopper's cart has no token: their session reaches it.
    let session = app.shopper("shape@example.com", "fr").await;
    let mine = app.with_token("POST", "/v1/fr/fr/carts", &session, Some(json!({}))).await;
    assert_eq!(mine.status, 201, "{}", mine.body);
    assert!(mine.body["id"].is_string() && mine.body.get("token").is_none(), "{}", mine.body);
}

#[tokio::test]
async fn cart_and_quote_lines_name_the_product_and_its_options_in_the_shopper_s_language() {
    let app = spawn_app().await;
    app.fixture().await;
    let (_, variant) = shirt_in_stock(&app, "NAMED").await;
    let (cart, token) = guest_cart(&app, "fr", "fr", &variant).await;
    let body = on_cart(&app, "PUT", &format!("/v1/carts/{cart}/destination"), &token, Some(json!({"country": "FR"})))
        .await
        .body;
    let line = &body["lines"][0];
    assert_eq!((line["name"].as_str(), line["sku"].as_str()), (Some("Chemise NAMED"), Some("NAMED-1")), "{body}");
    assert_eq!(line["options"], json!([{"name": "Couleur", "value": "Rouge"}]), "{body}");
    let quoted = &body["quote"]["lines"][0];
    assert_eq!((quoted["name"].as_str(), &quoted["options"]), (Some("Chemise NAMED"), &line["options"]), "{body}");

    // In German, with the attribute's labels falling back to English.
    let (cart, token) = guest_cart(&app, "de", "de", &variant).await;
    let body = on_cart(&app, "GET", &format!("/v1/carts/{cart}"), &token, None).await.body;
    assert_eq!(body["lines"][0]["name"], "Hemd NAMED", "{body}");
    assert_eq!(body["lines"][0]["options"], json!([{"name": "Colour", "value": "Red"}]), "{body}");

    // The quote names its lines in the URL's language.
    let quote = app
        .post(
            "/v1/fr/en/quote",
            json!({"lines": [{"variant_id": variant, "quantity": 1}], "destination": {"country": "FR"}}),
        )
        .await;
    assert_eq!(quote.status, 200, "{}", quote.body);
    assert_eq!(quote.body["lines"][0]["name"], "Shirt NAMED", "{}", quote.body);
}

#[tokio::test]
async fn shipping_codes_are_lowercase_snake_case_and_a_carrier_s_own_spelling_is_accepted() {
    let app = spawn_app().await;
    app.fixture().await;
    let (_, variant) = shirt_in_stock(&app, "SHIP").await;
    let (cart, token) = guest_cart(&app, "fr", "fr", &variant).await;
    let body = on_cart(&app, "GET", &format!("/v1/carts/{cart}"), &token, None).await.body;
    let options = body["quote"]["shipping_options"]["options"].as_array().unwrap().clone();
    assert_eq!(options.len(), 4, "{body}");
    for o in &options {
        let (carrier, service) = (o["carrier"].as_str().unwrap(), o["service"].as_str().unwrap());
        for code in [carrier, service] {
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "`{code}` is not lowercase snake case: {o}"
            );
        }
        assert_eq!(o["id"].as_str(), Some(format!("{carrier}:{service}").as_str()));
    }
    // The legacy uppercase spelling of a service is read as ours.
    let path = format!("/v1/carts/{cart}/shipping");
    let chosen = on_cart(&app, "PUT", &path, &token, Some(json!({"option": "classicpost:PRIO"}))).await;
    assert_eq!(chosen.status, 200, "{}", chosen.body);
    assert_eq!(chosen.body["shipping_option"], "classicpost:priority");
    assert_eq!(chosen.body["quote"]["shipping_options"]["charged"], "classicpost:priority");
}
