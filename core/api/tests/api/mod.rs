//! Test helpers: a fresh migrated database, the app over it, and one helper per request kind.

mod accounts;
mod admin;
mod bad_input;
mod carriers;
mod catalog;
mod codes;
mod outbox;
mod pagination;
mod pricing;
mod promotions;
mod routes;
mod shapes;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use core_api::{AppState, Secret};
use core_store::catalog::Meta;
use core_store::{Store, StoreConfig};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const TOKEN: &str = "test-token";

pub struct TestApp {
    /// The shoppers' door (what the edges route to).
    pub router: Router,
    /// The staff listener (the admin API).
    pub staff: Router,
    pub state: AppState,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The stable error code of an error answer.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

pub async fn spawn_app() -> TestApp {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
    let db = testkit::TestDb::migrated().await.expect("test database");
    let store = Store::connect(&StoreConfig::new(db.url.clone())).expect("store");
    let regions = Arc::new(regions::Catalog::load_workspace().expect("regions"));
    let meta = Meta::load(&store.client().await.expect("client")).await.expect("meta");
    let state = AppState::new(store, regions, "eu-west".into(), meta, Secret::new(TOKEN));
    TestApp { router: core_api::app(state.clone()), staff: core_api::staff_app(state.clone()), state }
}

impl TestApp {
    /// Sends `request` to the door its path belongs to: `/admin/…` to the staff listener, the
    /// rest to the shoppers' door.
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let door = if request.uri().path().starts_with("/admin/") { &self.staff } else { &self.router };
        self.send_to(door, request).await
    }

    /// Sends `request` to `door`, whatever its path.
    pub async fn send_to(&self, door: &Router, request: Request<Body>) -> Answer {
        let response = door.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Answer { status, headers, body }
    }

    /// A GET on the staff listener, whatever its path (`/openapi.json` there is the admin API's).
    pub async fn staff_get(&self, path: &str) -> Answer {
        self.send_to(&self.staff, Request::get(path).body(Body::empty()).unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    /// A shopper POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        let req =
            Request::post(path).header("content-type", "application/json").body(Body::from(body.to_string())).unwrap();
        self.send(req).await
    }

    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let mut req = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {TOKEN}"));
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    /// A request with `Authorization: Bearer {token}` (a session token) and an optional JSON body.
    pub async fn with_token(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Answer {
        let mut req = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {token}"));
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    /// Signs a shopper up in `market` and logs them in; returns their session token.
    pub async fn shopper(&self, email: &str, market: &str) -> String {
        let password = "correct horse battery";
        let body = json!({"email": email, "password": password, "name": "Test Shopper", "market": market});
        let a = self.post("/v1/accounts", body).await;
        assert_eq!(a.status, 202, "sign-up: {}", a.body);
        let a = self.post("/v1/sessions", json!({"email": email, "password": password})).await;
        assert_eq!(a.status, 201, "login: {}", a.body);
        a.body["token"].as_str().unwrap().to_string()
    }

    /// Like `admin` but asserts a 2xx answer.
    pub async fn admin_ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let a = self.admin(method, path, body).await;
        assert!(a.status.is_success(), "{method} {path}: {} {}", a.status, a.body);
        a.body
    }

    pub async fn sql_count(&self, sql: &str) -> i64 {
        let client = self.state.store.client().await.unwrap();
        client.query_one(sql, &[]).await.unwrap().get(0)
    }

    /// A small catalog: categories `apparel` > `shirts`, and the `color` and `brand` attributes.
    pub async fn fixture(&self) {
        self.admin_ok("POST", "/admin/v1/categories", Some(json!({
            "code": "apparel",
            "translations": {"en": {"name": "Apparel", "slug": "apparel"}, "fr": {"name": "Vêtements", "slug": "vetements"}}
        }))).await;
        self.admin_ok("POST", "/admin/v1/categories", Some(json!({
            "code": "shirts", "parent": "apparel",
            "translations": {"en": {"name": "Shirts", "slug": "shirts"}, "fr": {"name": "Chemises", "slug": "chemises"}}
        }))).await;
        self.admin_ok(
            "POST",
            "/admin/v1/attributes",
            Some(json!({
                "code": "color", "kind": "enum", "level": "variant", "filterable": true,
                "labels": {"en": "Colour", "fr": "Couleur"},
                "options": [
                    {"value": "red", "labels": {"en": "Red", "fr": "Rouge"}},
                    {"value": "blue", "labels": {"en": "Blue", "fr": "Bleu"}}
                ]
            })),
        )
        .await;
        self.admin_ok("POST", "/admin/v1/attributes", Some(json!({
            "code": "brand", "kind": "text", "level": "product", "filterable": true, "labels": {"en": "Brand", "fr": "Marque"}
        }))).await;
        self.admin_ok(
            "POST",
            "/admin/v1/attributes",
            Some(json!({
                "code": "weight_g", "kind": "number", "level": "product", "unit": "g", "labels": {"en": "Weight"}
            })),
        )
        .await;
    }

    /// Creates and publishes a shirt sold in `markets` at `price` minor units in each.
    pub async fn product(&self, code: &str, markets: &[&str], price: i64, color: &str) -> String {
        let prices: serde_json::Map<String, Value> =
            markets.iter().map(|m| (m.to_string(), json!({"amount_minor": price}))).collect();
        let created = self.admin_ok("POST", "/admin/v1/products", Some(json!({
            "code": code,
            "category": "shirts",
            "attributes": {"brand": "Acme", "weight_g": 180},
            "markets": markets,
            "translations": {
                "en": {"name": format!("Shirt {code}"), "description": "A shirt.", "slug": format!("shirt-{}", code.to_lowercase())},
                "fr": {"name": format!("Chemise {code}"), "slug": format!("chemise-{}", code.to_lowercase())},
                "de": {"name": format!("Hemd {code}"), "slug": format!("hemd-{}", code.to_lowercase())},
                "ja": {"name": format!("シャツ {code}"), "slug": format!("shatsu-{}", code.to_lowercase())},
                "es": {"name": format!("Camisa {code}"), "slug": format!("camisa-{}", code.to_lowercase())},
                "zh": {"name": format!("衬衫 {code}"), "slug": format!("chenshan-{}", code.to_lowercase())}
            },
            "variants": [{"sku": format!("{code}-1"), "attributes": {"color": color}, "prices": prices}]
        }))).await;
        let id = created["id"].as_str().unwrap().to_string();
        self.admin_ok("POST", &format!("/admin/v1/products/{id}/publish"), None).await;
        id
    }

    pub async fn category_id(&self, code: &str) -> String {
        let client = self.state.store.client().await.unwrap();
        let id: uuid::Uuid =
            client.query_one("SELECT id FROM categories WHERE code = $1", &[&code]).await.unwrap().get(0);
        id.to_string()
    }
}
