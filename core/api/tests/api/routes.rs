//! Properties of every route of both doors, read from the routers themselves: each route is in
//! its door's OpenAPI document and each documented operation is served; no route answers a
//! control character with a server error; personal answers are never stored by a cache.

use std::collections::BTreeSet;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use super::{Answer, TOKEN, TestApp, spawn_app};

/// (method, path template) of every route `router` serves, read from its `Debug` form: axum
/// lists each route's path (`node.paths`) and method endpoints (`get: Route`, `post: None`…).
/// Fails loudly if that form changes.
fn served(router: &Router) -> BTreeSet<(String, String)> {
    let debug = format!("{router:?}");
    let routes_part = &debug[..debug.find("fallback_router").expect("axum's Router debug form changed")];
    let paths_at = routes_part.find("node: Node { paths: {").expect("axum's Router debug form changed");
    let (endpoints, paths) = routes_part.split_at(paths_at);
    let mut path_of = std::collections::HashMap::new();
    for entry in paths["node: Node { paths: {".len()..].split("RouteId(").skip(1) {
        let (id, rest) = entry.split_once("): \"").expect("a path entry");
        let path = &rest[..rest.find('"').expect("a quoted path")];
        path_of.insert(id.to_string(), path.to_string());
    }
    let mut routes = BTreeSet::new();
    for entry in endpoints.split("RouteId(").skip(1) {
        let (id, rest) = entry.split_once("): MethodRouter(MethodRouter { ").expect("a method router entry");
        let fields = &rest[..rest.find("fallback:").expect("the method router's fallback")];
        for field in fields.split(", ") {
            let Some((method, endpoint)) = field.split_once(": ") else { continue };
            if endpoint != "None" && method != "head" {
                routes.insert((method.to_string(), path_of[id].clone()));
            }
        }
    }
    assert!(routes.len() > 10, "too few routes read from the router: {routes:?}");
    routes
}

/// (method, path template) of every operation of an OpenAPI document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "put", "post", "delete", "patch", "options", "trace"].contains(&method.as_str()) {
                operations.insert((method.clone(), path.clone()));
            }
        }
    }
    operations
}

#[tokio::test]
async fn every_route_of_each_door_is_in_its_openapi_document_and_every_operation_is_served() {
    let app = spawn_app().await;
    for (door, router, doc) in [
        ("shoppers", &app.router, app.get("/openapi.json").await),
        ("staff", &app.staff, app.staff_get("/openapi.json").await),
    ] {
        assert_eq!(doc.status, 200);
        let served = served(router);
        let documented = documented(&doc.body);
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(undocumented.is_empty(), "{door}: served but not documented: {undocumented:?}");
        assert!(unserved.is_empty(), "{door}: documented but not served: {unserved:?}");
    }
}

#[tokio::test]
async fn every_shopper_answer_has_a_schema_and_none_shows_what_we_pay_partners() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await.body;
    // The document itself is the one answer that is not described by a schema in it.
    for (path, item) in doc["paths"].as_object().unwrap().iter().filter(|(p, _)| *p != "/openapi.json") {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                let json = &response["content"]["application/json"];
                if status.starts_with('2') && !json.is_null() {
                    assert!(!json["schema"].is_null(), "{method} {path} answers {status} without a schema");
                }
            }
            if path.ends_with("/tracking") {
                let answer = &operation["responses"]["200"]["content"]["application/json"]["schema"];
                assert!(!answer.is_null(), "{method} {path}: the tracking answer has no schema");
            }
        }
    }
    // Shoppers see what they pay (prices, the shipping charged), never what a label, a rate or
    // a partner costs us.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for property in schema["properties"].as_object().into_iter().flatten().map(|(p, _)| p) {
            assert!(
                !["cost", "margin", "fee", "label_amount"].iter().any(|w| property.contains(w)),
                "{name}.{property}"
            );
        }
    }
    let parcel = &doc["components"]["schemas"]["ParcelDto"]["properties"];
    assert!(parcel.is_object(), "the tracking answer's parcel: {parcel}");
    assert!(parcel.get("amount_minor").is_none() && parcel.get("currency").is_none(), "{parcel}");
}

/// A path with each `{parameter}` replaced by `value`.
fn fill(template: &str, value: &str) -> String {
    template.split('/').map(|s| if s.starts_with('{') { value } else { s }).collect::<Vec<_>>().join("/")
}

async fn call(app: &TestApp, door: &Router, method: &str, path: &str, body: Option<Value>) -> Answer {
    let mut request = Request::builder()
        .method(method.to_uppercase().as_str())
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"));
    let body = match body {
        Some(b) => {
            request = request.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    app.send_to(door, request.body(body).unwrap()).await
}

#[tokio::test]
async fn no_route_answers_a_control_character_with_a_server_error_and_the_text_is_refused_first() {
    let app = spawn_app().await;
    app.fixture().await;
    let product = app.product("SWEEP", &["fr"], 1000, "red").await;
    for (router, doc) in
        [(&app.router, app.get("/openapi.json").await), (&app.staff, app.staff_get("/openapi.json").await)]
    {
        for (method, template) in documented(&doc.body) {
            // A NUL in a path segment, in a query parameter, in a body string.
            let mut attempts = Vec::new();
            if template.contains('{') {
                attempts.push(("path", fill(&template, "%00"), None));
            }
            let path = fill(&template, &product);
            attempts.push(("query", format!("{path}?limit=%00"), None));
            if method != "get" && method != "delete" {
                attempts.push(("body", path.clone(), Some(json!({"name": "a\u{0}b", "lines": [{"x": "\u{1b}"}]}))));
            }
            for (place, target, body) in attempts {
                let a = call(&app, router, &method, &target, body).await;
                assert!(
                    !a.status.is_server_error(),
                    "{method} {template} with a NUL in the {place}: {} {}",
                    a.status,
                    a.body
                );
                // Partners' bodies are verified by their handlers over the raw bytes first.
                if place == "body" && template.starts_with("/webhooks/") {
                    assert!(a.status.is_client_error(), "{method} {template}: {} {}", a.status, a.body);
                    continue;
                }
                assert_eq!(
                    (a.status.as_u16(), a.code()),
                    (400, "invalid_text"),
                    "{method} {template} with a NUL in the {place}: {}",
                    a.body
                );
            }
        }
    }
}

/// Routes whose answers a shared cache may keep: catalog reads, the documents, health.
const CACHEABLE: [&str; 5] = [
    "/v1/markets",
    "/v1/{market}/{language}/categories",
    "/v1/{market}/{language}/products",
    "/v1/{market}/{language}/products/{id}",
    "/v1/{market}/{language}/products/by-slug/{slug}",
];

#[tokio::test]
async fn every_personal_answer_says_no_store() {
    let app = spawn_app().await;
    app.fixture().await;
    let product = app.product("MINE", &["fr"], 1000, "red").await;
    let variant = {
        let client = app.state.store.client().await.unwrap();
        let id: uuid::Uuid =
            client.query_one("SELECT id FROM variants WHERE sku = 'MINE-1'", &[]).await.unwrap().get(0);
        id.to_string()
    };
    // In stock, so that a cart can take it.
    app.admin_ok("PUT", &format!("/admin/v1/stock/eu-par/{variant}"), Some(json!({"on_hand": 10}))).await;
    let session = app.shopper("mine@example.com", "fr").await;
    let cart = app.post("/v1/fr/fr/carts", json!({})).await;
    assert_eq!(cart.status, 201, "{}", cart.body);
    let (cart_id, cart_token) =
        (cart.body["id"].as_str().unwrap().to_string(), cart.body["token"].as_str().unwrap().to_string());
    let mut succeeded = BTreeSet::new();
    for (router, doc) in
        [(&app.router, app.get("/openapi.json").await), (&app.staff, app.staff_get("/openapi.json").await)]
    {
        // Reads first, deletions (of the session, of the account) last.
        let mut operations: Vec<_> = documented(&doc.body).into_iter().collect();
        let rank = |m: &str| ["get", "post", "put", "patch", "delete"].iter().position(|x| *x == m).unwrap_or(5);
        operations.sort_by_key(|(method, _)| rank(method));
        for (method, template) in operations {
            let id = if template.starts_with("/v1/carts/") { cart_id.as_str() } else { product.as_str() };
            let path = template
                .replace("{market}", "fr")
                .replace("{language}", "fr")
                .replace("{variant}", &variant)
                .replace("{slug}", "shirt-mine");
            let path = fill(&path, id);
            let mut request = Request::builder().method(method.to_uppercase().as_str()).uri(&path);
            // A guest's cart by its token; the rest as the shopper, or as staff.
            request = if template.starts_with("/v1/carts/") {
                request.header("x-cart-token", &cart_token)
            } else {
                let token = if template.starts_with("/admin/") { TOKEN } else { session.as_str() };
                request.header("authorization", format!("Bearer {token}"))
            };
            let body = if method == "get" || method == "delete" {
                Body::empty()
            } else {
                request = request.header("content-type", "application/json");
                Body::from(json!({"quantity": 1}).to_string())
            };
            let a = app.send_to(router, request.body(body).unwrap()).await;
            let cache = a.headers.get("cache-control").map(|v| v.to_str().unwrap().to_string());
            // A permanent redirect (a product's slug in another language) is as cacheable as the page.
            let answered = a.status.is_success() || a.status == 301;
            if CACHEABLE.contains(&template.as_str()) && answered {
                assert!(cache.as_deref().is_some_and(|c| c.starts_with("public")), "{method} {template}: {cache:?}");
            } else {
                assert_eq!(cache.as_deref(), Some("no-store"), "{method} {path}: {} {}", a.status, a.body);
            }
            if a.status.is_success() {
                succeeded.insert((method, template));
            }
        }
    }
    // The check saw real personal answers, not only refusals.
    for (method, template) in [
        ("get", "/v1/carts/{id}"),
        ("put", "/v1/carts/{id}/lines/{variant}"),
        ("get", "/v1/orders"),
        ("get", "/v1/accounts/me"),
        ("get", "/v1/accounts/me/export"),
        ("get", "/v1/accounts/me/addresses"),
        ("get", "/admin/v1/products/{id}"),
    ] {
        assert!(succeeded.contains(&(method.to_string(), template.to_string())), "{method} {template} never succeeded");
    }
}
