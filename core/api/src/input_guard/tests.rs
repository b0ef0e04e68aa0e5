use super::*;

const SHOPPER: Checks = Checks { cards: true };
const PARTNER: Checks = Checks { cards: false };

fn body(text: &str) -> Result<(), Refusal> {
    SHOPPER.body(text.as_bytes(), false)
}

fn is_card(result: Result<(), Refusal>) -> bool {
    matches!(result, Err(Refusal::Card { .. }))
}

#[test]
fn card_numbers_are_found_in_decoded_json_values() {
    for text in [
        r#"{"card":"4242424242424242"}"#,
        r#"{"card":4242424242424242}"#,
        r#"{"card":4242424242424242.0}"#,
        r#"{"card":"4242 4242 4242 4242"}"#,
        r#"{"card":"4242  4242  4242  4242"}"#,
        r#"{"ship_to":{"line1":"\u0034\u0032\u0034\u0032\u0034\u0032\u0034\u0032\u0034\u0032\u0034\u0032\u0034\u0032\u0034\u0032"}}"#,
        r#"{"lines":[{"note":"４２４２４２４２４２４２４２４２"}]}"#,
        r#"{"4242424242424242":true}"#,
        r#"{"name":"Bob4242424242424242"}"#,
        r#"{"note":"my amex is 378282246310005 thanks"}"#,
        r#"{"a":{"b":[1,2,{"c":"4242.4242.4242.4242"}]}}"#,
    ] {
        assert!(is_card(body(text)), "{text}");
    }
}

#[test]
fn ordinary_payloads_pass() {
    for text in [
        r#"{"sku":"SKU-000123","quantity":2}"#,
        r#"{"variant_id":"7f0c2f1e-2f1b-4c61-9a9f-0d4b1c2e3f4a","quantity":1}"#,
        r#"{"amount":129900,"at":"2026-11-28T06:00:00Z"}"#,
        // Separate numbers are separate values.
        r#"[4242,4242,4242,4242]"#,
        r#"{"ref":"4242424242424241"}"#,
        r#"{"description":"Ligne 1\nLigne 2\ttab"}"#,
        "",
        "   ",
    ] {
        assert_eq!(body(text), Ok(()), "{text}");
    }
}

#[test]
fn a_card_number_in_a_body_that_is_not_json_is_refused_too() {
    assert!(is_card(body("number=4242424242424242&x=1")));
    assert!(is_card(body("{broken 4242%204242%204242%204242")));
    assert!(is_card(SHOPPER.body(b"number=4242+4242+4242+4242", true)));
}

#[test]
fn card_numbers_are_found_in_paths_and_queries() {
    for (path, query) in [
        ("/v1/fr/fr/products/by-slug/4242424242424242", None),
        ("/v1/fr/fr/products/by-slug/4242%204242%204242%204242", None),
        ("/v1/4242/4242/4242/4242", None),
        ("/v1/fr/fr/products", Some("q=4242+4242+4242+4242")),
        ("/v1/fr/fr/products", Some("q=4242%E2%80%834242%E2%80%834242%E2%80%834242")),
        ("/v1/fr/fr/products", Some("q=%2534%2532%2534%2532424242424242")),
        ("/v1/fr/fr/products", Some("4242424242424242=1")),
        ("/v1/fr/fr/products", Some("q=%EF%BC%94%EF%BC%92%EF%BC%94%EF%BC%92424242424242")),
    ] {
        assert!(is_card(SHOPPER.target(path, query)), "{path} {query:?}");
    }
    assert_eq!(
        SHOPPER
            .target("/v1/carts/7f0c2f1e-2f1b-4c61-9a9f-0d4b1c2e3f4a/lines/a1234567-8901-2347-8123-0123456789ab", None),
        Ok(())
    );
    assert_eq!(SHOPPER.target("/v1/fr/fr/products", Some("category=abc&sort=price_asc&attr.color=red&page=2")), Ok(()));
}

#[test]
fn control_characters_and_invalid_text_are_refused_where_they_are() {
    let text = |r: Result<(), Refusal>| match r {
        Err(Refusal::Text { at, problem }) => Some((at, problem)),
        _ => None,
    };
    assert_eq!(
        text(SHOPPER.target("/v1/fr/fr/products/by-slug/%00", None)),
        Some(("path segment 6".into(), Problem::Control('\0')))
    );
    assert_eq!(text(SHOPPER.target("/v1/fr/%FF", None)), Some(("path segment 3".into(), Problem::InvalidUtf8)));
    assert_eq!(
        text(SHOPPER.target("/v1/fr/fr/products", Some("q=a%0Ab"))),
        Some(("query parameter `q`".into(), Problem::Control('\n')))
    );
    assert_eq!(
        text(body(r#"{"ship_to":{"name":"A","line1":"1 rue\u0000"}}"#)),
        Some(("`ship_to.line1`".into(), Problem::Control('\0')))
    );
    assert_eq!(text(body(r#"{"lines":[{"x":"\u001b"}]}"#)), Some(("`lines[0].x`".into(), Problem::Control('\u{1b}'))));
    assert_eq!(text(body(r#"{"a\u0000":1}"#)), Some(("the body".into(), Problem::Control('\0'))));
    let long = format!(r#"{{"name":"{}"}}"#, "x".repeat(20_001));
    assert_eq!(text(body(&long)), Some(("`name`".into(), Problem::TooLong { max: 20_000 })));
}

#[test]
fn partners_bodies_are_not_searched_for_cards_but_their_paths_are_checked() {
    assert_eq!(PARTNER.body(br#"{"tracking":"4242424242424242"}"#, false), Ok(()));
    assert!(matches!(PARTNER.target("/webhooks/%00", None), Err(Refusal::Text { .. })));
}
