//! Card data never enters: every request whose query string or body carries something shaped
//! like a primary account number (13 to 19 digits, optionally grouped by single spaces or
//! dashes, passing the Luhn check) is answered 400 `card_data_rejected` before any handler,
//! log line or database sees it. Shoppers send their card to the payment provider's
//! tokenization endpoint and give us the token.
//!
//! The body is read once here (bounded by the same limit as every route) and handed on
//! unchanged. The rejected request is not logged: only the route and the fact are.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The shortest and longest card numbers (ISO/IEC 7812).
const PAN_DIGITS: std::ops::RangeInclusive<usize> = 13..=19;

pub async fn layer(request: Request, next: Next) -> Response {
    // Partners' signed webhooks and the edges' own routes (whose microsecond timestamps have
    // the length of a card number) are not shoppers' input.
    let path = request.uri().path();
    if path.starts_with("/webhooks/") || path.starts_with("/internal/") {
        return next.run(request).await;
    }
    if request.uri().query().is_some_and(|q| carries_card_number(q.as_bytes())) {
        return rejected(request.uri().path());
    }
    if !may_have_body(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::idempotency::MAX_BODY).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
            .into_response();
    };
    if carries_card_number(&bytes) {
        return rejected(parts.uri.path());
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn may_have_body(request: &Request) -> bool {
    let headers = request.headers();
    match headers.get(http::header::CONTENT_LENGTH) {
        Some(len) => len.to_str().ok().and_then(|l| l.parse::<u64>().ok()) != Some(0),
        None => headers.contains_key(http::header::TRANSFER_ENCODING),
    }
}

fn rejected(path: &str) -> Response {
    tracing::warn!(path, "request carrying a card number rejected");
    ApiError::bad_request(
        "card_data_rejected",
        "card numbers are not accepted here: send the card to the payment provider's tokenization endpoint and use its token",
    )
    .into_response()
}

/// Whether `text` holds a run of 13–19 digits (single spaces or dashes allowed between
/// digits) that passes the Luhn check and stands on its own. A longer run of digits is an
/// identifier, not a card; so is a run glued to letters or joined to them by a dash (the digit
/// groups of a UUID, a hex digest, a product code).
pub fn carries_card_number(text: &[u8]) -> bool {
    let mut digits: Vec<u8> = Vec::with_capacity(24);
    let mut i = 0;
    while i < text.len() {
        if !text[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // A maximal run: digits, with one separator allowed between two digits.
        let start = i;
        digits.clear();
        while i < text.len() {
            let b = text[i];
            if b.is_ascii_digit() {
                digits.push(b - b'0');
                i += 1;
            } else if (b == b' ' || b == b'-') && text.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i += 1;
            } else {
                break;
            }
            if digits.len() > *PAN_DIGITS.end() {
                break;
            }
        }
        if digits.len() > *PAN_DIGITS.end() {
            // Skip the rest of this long run.
            while i < text.len() && (text[i].is_ascii_digit() || text[i] == b' ' || text[i] == b'-') {
                i += 1;
            }
            continue;
        }
        if PAN_DIGITS.contains(&digits.len()) && stands_alone(text, start, i) && luhn_valid(&digits) {
            return true;
        }
    }
    false
}

/// Whether the run `text[start..end]` is not part of a longer alphanumeric token: not glued to
/// a letter, nor joined to one by a dash. A percent-escape (`%3D`) before it is a boundary.
fn stands_alone(text: &[u8], start: usize, end: usize) -> bool {
    let alnum = |at: Option<&u8>| at.is_some_and(u8::is_ascii_alphanumeric);
    let before = match start {
        0 => true,
        _ if start >= 3 && text[start - 3] == b'%' => true,
        _ if alnum(text.get(start - 1)) => false,
        _ if text[start - 1] == b'-' && start >= 2 && alnum(text.get(start - 2)) => false,
        _ => true,
    };
    let after = match text.get(end) {
        None => true,
        Some(b) if b.is_ascii_alphanumeric() => false,
        Some(b'-') => !alnum(text.get(end + 1)),
        Some(_) => true,
    };
    before && after
}

/// The Luhn (mod 10) check over decimal digits.
pub fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_test_cards_in_any_common_shape() {
        for body in [
            r#"{"card":"4242424242424242"}"#,
            r#"{"card":4242424242424242}"#,
            r#"{"card":"4242 4242 4242 4242"}"#,
            r#"{"card":"4242-4242-4242-4242"}"#,
            r#"{"note":"my amex is 378282246310005 thanks"}"#,
            r#"{"n":"6011111111111117"}"#,
            "pan=5555555555554444",
            r#"{"maestro":"6759649826438453"}"#,
            r#"{"visa19":"4111111111111111110"}"#,
        ] {
            assert!(carries_card_number(body.as_bytes()), "{body}");
        }
    }

    #[test]
    fn leaves_ordinary_payloads_alone() {
        for body in [
            r#"{"sku":"SKU-000123","quantity":2}"#,
            // Luhn-invalid 16 digits.
            r#"{"ref":"4242424242424241"}"#,
            // 12 digits, too short; a 20-digit id, too long.
            r#"{"a":"424242424242","b":"42424242424242424242"}"#,
            r#"{"id":"7f0c2f1e-2f1b-4c61-9a9f-0d4b1c2e3f4a"}"#,
            r#"{"amount":129900,"at":"2026-11-28T06:00:00Z"}"#,
            // Numbers separated by commas are separate numbers.
            r#"[4242,4242,4242,4242]"#,
            // Two separators in a row end a run.
            "4242  4242  4242  4242",
        ] {
            assert!(!carries_card_number(body.as_bytes()), "{body}");
        }
    }

    #[test]
    fn digit_groups_of_identifiers_are_not_cards() {
        // 15 digits passing the Luhn check, as the digit groups of UUIDs or inside codes.
        let run = "1234567-8901-2347";
        let digits: Vec<u8> = run.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
        assert!(luhn_valid(&digits), "the test run must pass the Luhn check");
        assert!(carries_card_number(format!(r#"{{"n":"{run}"}}"#).as_bytes()));
        for body in [
            format!(r#"{{"id":"a{run}-b789-0123456789ab"}}"#),
            format!(r#"{{"id":"abcdef12-{run}-cdef"}}"#),
            format!("/v1/carts/c{run}e/lines"),
            format!(r#"{{"code":"FLASH{}X"}}"#, run.replace('-', "")),
        ] {
            assert!(!carries_card_number(body.as_bytes()), "{body}");
        }
        // Still found after a percent-escape, as in a form-encoded query.
        assert!(carries_card_number(b"number%3D4242424242424242&x=1"));
    }

    #[test]
    fn a_card_after_a_long_run_is_still_found() {
        assert!(carries_card_number(b"123456789012345678901234 then 4242424242424242"));
    }

    #[test]
    fn luhn_matches_known_values() {
        let digits = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
        assert!(luhn_valid(&digits("79927398713")));
        assert!(!luhn_valid(&digits("79927398710")));
    }
}
