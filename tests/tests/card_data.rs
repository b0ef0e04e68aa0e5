//! Card data nowhere (PCI DSS 3.3, 3.4, 10.3): card numbers generated in many shapes (grouped
//! by any separator, in other scripts' digits, behind JSON `\u` escapes, percent-encoded, glued to
//! letters) and sent in many places (sign-up and address fields, a guest checkout's address,
//! coupon codes, a JSON number, an object key, a path segment, a query string, the
//! Idempotency-Key header), through an edge to the core, are refused with 400
//! `card_data_rejected`; afterwards none of them is in any process's log file or anywhere in the
//! database. Run with `cargo xtask test`.

use std::fmt::Write;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use stack_tests::shop::{self, Who};
use stack_tests::{Stack, request, request_raw};

/// How a card number is written.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Plain,
    /// Groups of `group` digits joined by `separator`.
    Grouped {
        group: usize,
        separator: &'static str,
    },
    /// Digits of another script (`zero` is its digit zero).
    Script {
        zero: u32,
    },
    /// Letters on both sides.
    Glued,
}

/// Where a card number is sent.
#[derive(Debug, Clone, Copy)]
enum Place {
    SignUpName,
    AddressLine,
    GuestCheckoutAddress,
    CouponCode,
    JsonNumber,
    ObjectKey,
    PathSegment,
    SearchQuery,
    IdempotencyKey,
}

#[derive(Debug, Clone)]
struct Case {
    /// The card number, ASCII digits.
    number: String,
    shape: Shape,
    place: Place,
    /// String values go into the JSON text with every digit as a `\u` escape.
    escaped: bool,
}

/// A card number of `len` digits passing the Luhn check, from `body`.
fn luhn_number(body: &[u8], len: usize) -> String {
    let mut digits: Vec<u8> = body.iter().take(len - 1).map(|d| d % 10).collect();
    let check = (0..10u8)
        .find(|c| telemetry::card_numbers::luhn_valid(&[digits.as_slice(), &[*c]].concat()))
        .expect("a check digit");
    digits.push(check);
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

fn cases() -> impl Strategy<Value = Case> {
    let shape = prop_oneof![
        Just(Shape::Plain),
        (
            1usize..=6,
            prop::sample::select(vec![" ", "  ", "-", ".", "/", "_", "\t", "\u{00A0}", " - ", "\u{2013}", "\u{200B}"])
        )
            .prop_map(|(group, separator)| Shape::Grouped { group, separator }),
        prop::sample::select(vec![0xFF10u32, 0x0660, 0x0966]).prop_map(|zero| Shape::Script { zero }),
        Just(Shape::Glued),
    ];
    let place = prop::sample::select(vec![
        Place::SignUpName,
        Place::AddressLine,
        Place::GuestCheckoutAddress,
        Place::CouponCode,
        Place::JsonNumber,
        Place::ObjectKey,
        Place::PathSegment,
        Place::SearchQuery,
        Place::IdempotencyKey,
    ]);
    (prop::collection::vec(0u8..10, 18), 13usize..=19, shape, place, any::<bool>())
        .prop_map(|(body, len, shape, place, escaped)| Case { number: luhn_number(&body, len), shape, place, escaped })
}

impl Case {
    /// The number written in its shape.
    fn text(&self) -> String {
        match self.shape {
            Shape::Plain => self.number.clone(),
            Shape::Grouped { group, separator } => {
                let mut out = String::new();
                for (i, c) in self.number.chars().enumerate() {
                    if i > 0 && i % group == 0 {
                        out.push_str(separator);
                    }
                    out.push(c);
                }
                out
            }
            Shape::Script { zero } => {
                self.number.chars().map(|c| char::from_u32(zero + (c as u32 - 0x30)).expect("a digit")).collect()
            }
            Shape::Glued => format!("card{}exp", self.number),
        }
    }

    /// The text as a JSON string literal: plainly, or every digit as a `\u` escape.
    fn json_string(&self) -> String {
        let text = self.text();
        if !self.escaped {
            return Value::String(text).to_string();
        }
        let mut out = String::from("\"");
        for c in text.chars() {
            if c.is_ascii_alphanumeric() || c == ' ' {
                let _ = write!(out, "\\u{:04x}", c as u32);
            } else {
                let encoded = Value::String(c.to_string()).to_string();
                out.push_str(&encoded[1..encoded.len() - 1]);
            }
        }
        out.push('"');
        out
    }

    /// The text percent-encoded for a URL.
    fn url_text(&self) -> String {
        let mut out = String::new();
        for b in self.text().bytes() {
            if b.is_ascii_alphanumeric() {
                out.push(char::from(b));
            } else {
                let _ = write!(out, "%{b:02X}");
            }
        }
        out
    }
}

/// What the fixture gives each case: a shopper's session, a guest cart and its token.
struct Fixture {
    session: String,
    cart: String,
    cart_token: String,
    edge: u16,
}

/// A request to send: method, path, headers, JSON body.
type Request<'a> = (&'a str, String, Vec<(&'a str, String)>, Option<Vec<u8>>);

/// Sends `case` where it goes; returns the answer.
async fn send(f: &Fixture, case: &Case) -> stack_tests::Answer {
    let bearer = format!("Bearer {}", f.session);
    let json = |text: String| text.into_bytes();
    let (method, path, headers, body): Request<'_> = match case.place {
        Place::SignUpName => (
            "POST",
            "/v1/accounts".into(),
            vec![],
            Some(json(format!(
                r#"{{"email": "card-{}@example.com", "password": "correct horse battery", "name": {}, "market": "fr"}}"#,
                &case.number[..6],
                case.json_string()
            ))),
        ),
        Place::AddressLine => (
            "POST",
            "/v1/accounts/me/addresses".into(),
            vec![("authorization", bearer.clone())],
            Some(json(format!(
                r#"{{"name": "Ada", "lines": ["1 rue", {}], "city": "Paris", "postal_code": "75002", "country": "FR"}}"#,
                case.json_string()
            ))),
        ),
        Place::GuestCheckoutAddress => (
            "POST",
            format!("/v1/carts/{}/checkout", f.cart),
            vec![("x-cart-token", f.cart_token.clone()), ("idempotency-key", format!("card-{}", uuid::Uuid::new_v4()))],
            Some(json(format!(
                r#"{{"payment_token": "tok_unused", "email": "guest@example.com", "ship_to": {{"name": "Camille", "line1": {}, "city": "Paris", "postal_code": "75002", "country": "FR"}}}}"#,
                case.json_string()
            ))),
        ),
        Place::CouponCode => (
            "PUT",
            format!("/v1/carts/{}/coupons", f.cart),
            vec![("x-cart-token", f.cart_token.clone())],
            Some(json(format!(r#"{{"codes": [{}]}}"#, case.json_string()))),
        ),
        Place::JsonNumber => (
            "PUT",
            format!("/v1/carts/{}/coupons", f.cart),
            vec![("x-cart-token", f.cart_token.clone())],
            Some(json(format!(r#"{{"codes": [{}]}}"#, case.number))),
        ),
        Place::ObjectKey => (
            "PATCH",
            "/v1/accounts/me".into(),
            vec![("authorization", bearer.clone())],
            Some(json(format!(r#"{{{}: "x"}}"#, case.json_string()))),
        ),
        Place::PathSegment => ("GET", format!("/v1/fr/fr/products/by-slug/{}", case.url_text()), vec![], None),
        Place::SearchQuery => ("GET", format!("/v1/fr/fr/products?q={}&limit=5", case.url_text()), vec![], None),
        Place::IdempotencyKey => (
            "POST",
            format!("/v1/carts/{}/checkout", f.cart),
            vec![("x-cart-token", f.cart_token.clone()), ("idempotency-key", format!("key-{}", case.number))],
            Some(json(
                r#"{"payment_token": "tok_unused", "email": "guest@example.com", "ship_to": {"name": "Camille", "line1": "1 rue", "city": "Paris", "postal_code": "75002", "country": "FR"}}"#
                    .into(),
            )),
        ),
    };
    let mut headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match body {
        Some(body) => {
            headers.push(("content-type", "application/json"));
            request_raw(f.edge, method, &path, &headers, body).await.unwrap()
        }
        None => request(f.edge, method, &path, &headers, None).await.unwrap(),
    }
}

#[tokio::test]
async fn card_numbers_in_any_shape_and_place_are_refused_and_kept_nowhere() {
    let dir = testkit::TestLogs::new("card_data").unwrap();
    let stack = Stack::builder().logs(dir.path()).env("SHOP_LOG", "info").start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");
    let variant = shop::product_with_stock(staff, "CARDS", &[("fr", 1500)], "eu-par", 10).await.unwrap();
    let session = shop::shopper(edge, "cards@example.com", "fr").await.unwrap();
    let (cart, who) = shop::cart(edge, None, "fr", "fr", &[(variant.as_str(), 1)]).await.unwrap();
    let Who::Guest(cart_token) = who else { unreachable!("a guest cart") };
    let fixture = Fixture { session, cart, cart_token, edge };

    let mut runner = TestRunner::new_with_rng(
        Config { cases: 120, ..Config::default() },
        proptest::test_runner::TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
    );
    let strategy = cases();
    let mut sent = Vec::new();
    for _ in 0..120 {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        sent.push(case.number.clone());
        testkit::record_cards_sent([case.number.as_str()]);
        let answer = send(&fixture, &case).await;
        assert_eq!(
            (answer.status, answer.body["code"].as_str()),
            (400, Some("card_data_rejected")),
            "{case:?} written {:?}: {}",
            case.text(),
            answer.body
        );
    }

    // Nothing of them anywhere: every process's log, every row of every table.
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
        for number in telemetry::card_numbers::find_all(&text) {
            if sent.contains(&number) {
                found.push(format!("{:?}: {number}", entry.file_name()));
            }
        }
    }
    let sql = stack.sql().await.unwrap();
    let tables = sql
        .query("SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = 'public'", &[])
        .await
        .unwrap();
    assert!(tables.len() > 40, "{} tables", tables.len());
    for table in tables {
        let table: String = table.get(0);
        for row in sql.query(&format!("SELECT t::TEXT FROM \"{table}\" t"), &[]).await.unwrap() {
            let row: String = row.get(0);
            for number in telemetry::card_numbers::find_all(&row) {
                if sent.contains(&number) {
                    found.push(format!("table {table}: {number}"));
                }
            }
        }
    }
    assert!(found.is_empty(), "card numbers kept: {found:?}");
    // The edge's access log did log the refused requests, by route.
    let edge_log = std::fs::read_to_string(dir.path().join("edge-eu-west.log")).unwrap();
    assert!(edge_log.contains("/v1/{market}/{language}/products/by-slug/{slug}"), "no access log line by route");
}
