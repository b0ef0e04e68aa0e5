//! What a log line may say of a request target: never the raw path or query string, which may
//! carry anything a client typed (a card number in a search box, a token in a link).
//!
//! [`target`] keeps what is known to be harmless and replaces the rest with `*`:
//! - path segments that are UUIDs (the ids of carts, orders, products), or words of letters,
//!   dashes, underscores and dots with at most one digit (`v1`, `products`, `stock-feed`);
//! - the names of query parameters, never their values.
//!
//! Nothing it keeps can hold a card number: a UUID is not one (see [`crate::card_numbers`]), and
//! the words keep at most one digit each in a path of at most [`MAX_SEGMENTS`] segments.

use std::fmt::Write;

/// Segments of a path kept in a log line; a longer path is cut with `/…`.
pub const MAX_SEGMENTS: usize = 10;

/// Longest word kept as it is.
const MAX_WORD: usize = 40;

/// The request target `path` and `query` as a log line may show it: `/v1/fr/fr/products?category=*`.
pub fn target(path: &str, query: Option<&str>) -> String {
    let mut out = String::with_capacity(path.len().min(128) + 16);
    let path = path.split('?').next().unwrap_or(path);
    for (i, segment) in path.split('/').skip(1).enumerate() {
        if i == MAX_SEGMENTS {
            out.push_str("/…");
            break;
        }
        out.push('/');
        if segment.is_empty() || is_uuid(segment) || is_word(segment) {
            out.push_str(segment);
        } else {
            out.push('*');
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        for (i, pair) in query.split('&').take(MAX_SEGMENTS).enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            let name = pair.split('=').next().unwrap_or_default();
            let _ = write!(out, "{}=*", if is_word(name) { name } else { "*" });
        }
    }
    out
}

/// Whether `s` is a UUID (8-4-4-4-12 hex digits).
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.split('-').map(str::len).eq([8, 4, 4, 4, 12])
        && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// Whether `s` is a harmless word: ASCII letters, dashes, underscores and dots, at most one digit.
fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_WORD
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.bytes().filter(u8::is_ascii_digit).count() <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, query: Option<&str>, expected: &str) {
        assert_eq!(target(path, query), expected, "{path} {query:?}");
    }

    #[test]
    fn ids_and_words_are_kept_values_are_not() {
        check("/v1/markets", None, "/v1/markets");
        check(
            "/v1/fr/fr/products/7f0c2f1e-2f1b-4c61-9a9f-0d4b1c2e3f4a",
            None,
            "/v1/fr/fr/products/7f0c2f1e-2f1b-4c61-9a9f-0d4b1c2e3f4a",
        );
        check(
            "/v1/fr/fr-CA/products",
            Some("category=abc&sort=price_asc&attr.color=red"),
            "/v1/fr/fr-CA/products?category=*&sort=*&attr.color=*",
        );
        check("/v1/fr/fr/products/by-slug/chaise-42", None, "/v1/fr/fr/products/by-slug/*");
        check("/", None, "/");
        check("/v1/x", Some(""), "/v1/x");
    }

    #[test]
    fn card_numbers_never_survive() {
        for (path, query) in [
            ("/v1/fr/fr/products/by-slug/4242424242424242", None),
            ("/v1/4242/4242/4242/4242", None),
            ("/v1/fr/fr/products", Some("q=4242%204242%204242%204242")),
            ("/v1/fr/fr/products", Some("4242424242424242=1")),
            ("/4/2/4/2/4/2/4/2/4/2/4/2/4/2/4/2", None),
            ("/v1/a4242424242424242", None),
        ] {
            let logged = target(path, query);
            assert!(!crate::card_numbers::carries(&logged), "{logged}");
            assert!(logged.bytes().filter(u8::is_ascii_digit).count() < 13, "{logged}");
        }
    }
}
