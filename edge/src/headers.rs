//! Headers the edge reads from the client, adds toward core, and adds to the response.

use std::net::IpAddr;

use http::HeaderValue;
use http::header::{CONTENT_LANGUAGE, VARY};
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::prelude::*;

use crate::routing::{Scope, Signals};

/// Correlates a request across edge, core and logs; kept from the client when sane.
pub const REQUEST_ID: &str = "x-request-id";
/// The region of the edge that handled the request, toward core and back to the client.
pub const EDGE_REGION: &str = "x-edge-region";
/// Response header naming the other region whose core answered (this region had none healthy).
pub const X_FAILOVER: &str = "x-failover-region";
/// Response header naming the shopper's home region when their write was sent to its core.
pub const X_HOME_REGION: &str = "x-home-region";
/// The market a request without one in its URL was resolved to.
pub const MARKET: &str = "x-market";
/// The client address chain.
pub const FORWARDED_FOR: &str = "x-forwarded-for";
/// Country headers, in order of preference: ours, then Cloudflare's and CloudFront's.
pub const COUNTRY_HEADERS: [&str; 3] = ["x-country", "cf-ipcountry", "cloudfront-viewer-country"];
/// What a resolved response depends on besides its URL (downstream caches must key on these).
pub const RESOLVED_VARY: [&str; 2] = ["accept-language", "x-country"];

/// Longest client-supplied request id we keep; longer ones are replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The market and language signals of a request.
pub fn signals(req: &RequestHeader) -> Signals<'_> {
    signals_of(|name| req.headers.get(name).and_then(|v| v.to_str().ok()))
}

/// The market and language signals of a request whose header values, as text, `text` finds
/// by (lower-case) name.
pub fn signals_of<'a>(text: impl Fn(&str) -> Option<&'a str>) -> Signals<'a> {
    Signals {
        country: COUNTRY_HEADERS.iter().find_map(|name| text(name).filter(|v| !v.trim().is_empty())),
        accept_language: text(http::header::ACCEPT_LANGUAGE.as_str()),
    }
}

/// The request id: the client's when it is short visible ASCII, else a new UUID.
pub fn request_id(req: &RequestHeader) -> String {
    client_request_id(req.headers.get(REQUEST_ID).map(HeaderValue::as_bytes))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string)
}

/// The client's `x-request-id` value when it is kept: 1 to 128 visible ASCII characters that
/// carry no card number (the id is logged by every hop).
pub fn client_request_id(value: Option<&[u8]>) -> Option<&str> {
    value
        .filter(|id| (1..=MAX_REQUEST_ID_LEN).contains(&id.len()) && id.iter().all(u8::is_ascii_graphic))
        .and_then(|id| std::str::from_utf8(id).ok())
        .filter(|id| !telemetry::card_numbers::carries(id))
}

/// `x-forwarded-for` toward core: the incoming chain with the client address appended.
pub fn forwarded_for(existing: Option<&HeaderValue>, client: Option<IpAddr>) -> Option<String> {
    let existing = existing.and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    match (existing, client) {
        (Some(chain), Some(ip)) => Some(format!("{chain}, {ip}")),
        (None, Some(ip)) => Some(ip.to_string()),
        (Some(chain), None) => Some(chain.to_string()),
        (None, None) => None,
    }
}

/// Adds the edge's headers to the request sent to core.
pub fn to_core(req: &mut RequestHeader, request_id: &str, region: &str, client: Option<IpAddr>) -> Result<()> {
    if let Some(chain) = forwarded_for(req.headers.get(FORWARDED_FOR), client) {
        req.insert_header(FORWARDED_FOR, chain)?;
    }
    req.insert_header(REQUEST_ID, request_id)?;
    req.insert_header(EDGE_REGION, region)?;
    Ok(())
}

/// Adds the edge's headers to a response from core; `tls` when the client came over HTTPS.
pub fn to_client(
    resp: &mut ResponseHeader,
    request_id: &str,
    region: &str,
    scope: Option<&Scope>,
    tls: bool,
) -> Result<()> {
    edge_headers(resp, region)?;
    request_headers(resp, request_id, scope, tls)
}

/// The headers of every answer of this edge that depend on nothing but the edge: its region and
/// the security headers (HSTS aside). Stored with cached responses.
pub fn edge_headers(resp: &mut ResponseHeader, region: &str) -> Result<()> {
    resp.insert_header(EDGE_REGION, region)?;
    secure(resp)
}

/// The headers that depend on the request: its id, how its market was resolved, and HSTS when
/// it came over TLS.
pub fn request_headers(resp: &mut ResponseHeader, request_id: &str, scope: Option<&Scope>, tls: bool) -> Result<()> {
    resp.insert_header(REQUEST_ID, request_id)?;
    hsts(resp, tls)?;
    if let Some(Scope::Resolved { market, language, .. }) = scope {
        resp.insert_header(MARKET, market.as_str())?;
        if !resp.headers.contains_key(CONTENT_LANGUAGE) {
            resp.insert_header(CONTENT_LANGUAGE, language.as_str())?;
        }
        add_vary(resp, &RESOLVED_VARY)?;
    }
    Ok(())
}

/// `Strict-Transport-Security` on an answer sent over TLS.
pub fn hsts(resp: &mut ResponseHeader, tls: bool) -> Result<()> {
    if tls {
        resp.insert_header(http::header::STRICT_TRANSPORT_SECURITY, crate::tls::HSTS)?;
    }
    Ok(())
}

/// The security headers of every answer: no MIME sniffing, no framing, no referrer, and a
/// content security policy for API answers (core's own, when it sets one, is kept).
pub fn secure(resp: &mut ResponseHeader) -> Result<()> {
    resp.insert_header(http::header::X_CONTENT_TYPE_OPTIONS, "nosniff")?;
    resp.insert_header(http::header::X_FRAME_OPTIONS, "DENY")?;
    resp.insert_header(http::header::REFERRER_POLICY, "no-referrer")?;
    if !resp.headers.contains_key(http::header::CONTENT_SECURITY_POLICY) {
        resp.insert_header(http::header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'")?;
    }
    Ok(())
}

/// Adds `names` to the response's `Vary`, keeping what core listed and skipping duplicates.
fn add_vary(resp: &mut ResponseHeader, names: &[&str]) -> Result<()> {
    let mut listed: Vec<String> = resp
        .headers
        .get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if listed.iter().any(|v| v == "*") {
        return Ok(());
    }
    for name in names {
        if !listed.iter().any(|v| v.eq_ignore_ascii_case(name)) {
            listed.push((*name).to_string());
        }
    }
    resp.insert_header(VARY, listed.join(", "))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use regions::{LanguageTag, MarketId};

    use super::*;
    use crate::routing::MarketSource;

    fn request(headers: &[(&str, &str)]) -> RequestHeader {
        let mut req = RequestHeader::build("GET", b"/v1/products", None).unwrap();
        for (name, value) in headers {
            req.append_header(name.to_string(), *value).unwrap();
        }
        req
    }

    #[test]
    fn country_headers_in_order_of_preference() {
        fn check(headers: &[(&str, &str)], expected: Option<&str>) {
            assert_eq!(signals(&request(headers)).country, expected, "{headers:?}");
        }
        check(&[], None);
        check(&[("cf-ipcountry", "DE")], Some("DE"));
        check(&[("cloudfront-viewer-country", "GB"), ("cf-ipcountry", "DE")], Some("DE"));
        check(&[("cf-ipcountry", "DE"), ("x-country", "FR")], Some("FR"));
        check(&[("x-country", " "), ("cf-ipcountry", "DE")], Some("DE"));
    }

    #[test]
    fn request_ids_are_kept_when_sane() {
        fn check(incoming: Option<&str>, kept: bool) {
            let headers: Vec<(&str, &str)> = incoming.map(|id| (REQUEST_ID, id)).into_iter().collect();
            let id = request_id(&request(&headers));
            assert_eq!(Some(id.as_str()) == incoming, kept, "{incoming:?} -> {id}");
            assert!(uuid::Uuid::parse_str(&id).is_ok() || kept, "{id}");
        }
        check(Some("abc-123"), true);
        check(Some(&"x".repeat(MAX_REQUEST_ID_LEN)), true);
        check(Some(&"x".repeat(MAX_REQUEST_ID_LEN + 1)), false);
        check(Some("has space"), false);
        check(Some("req-4242-4242-4242-4242"), false);
        check(Some(""), false);
        check(None, false);
    }

    #[test]
    fn forwarded_for_appends_the_client() {
        fn check(existing: Option<&str>, client: Option<&str>, expected: Option<&str>) {
            let existing = existing.map(|v| HeaderValue::from_str(v).unwrap());
            let client = client.map(|c| c.parse().unwrap());
            assert_eq!(forwarded_for(existing.as_ref(), client).as_deref(), expected);
        }
        check(None, Some("192.0.2.1"), Some("192.0.2.1"));
        check(Some("203.0.113.9"), Some("192.0.2.1"), Some("203.0.113.9, 192.0.2.1"));
        check(Some(" "), Some("::1"), Some("::1"));
        check(Some("203.0.113.9"), None, Some("203.0.113.9"));
        check(None, None, None);
    }

    #[test]
    fn resolved_responses_get_market_language_and_vary() {
        fn check(core_headers: &[(&str, &str)], expected: &[(&str, &str)]) {
            let mut resp = ResponseHeader::build(200, None).unwrap();
            for (name, value) in core_headers {
                resp.append_header(name.to_string(), *value).unwrap();
            }
            let scope = Scope::Resolved {
                market: MarketId::parse("ca").unwrap(),
                language: LanguageTag::parse("fr-CA").unwrap(),
                by: MarketSource::CountryHeader,
            };
            to_client(&mut resp, "rid", "us-east", Some(&scope), false).unwrap();
            for (name, value) in expected {
                assert_eq!(resp.headers.get(*name).and_then(|v| v.to_str().ok()), Some(*value), "{name}");
            }
        }
        check(
            &[],
            &[
                ("x-market", "ca"),
                ("content-language", "fr-CA"),
                ("vary", "accept-language, x-country"),
                ("x-request-id", "rid"),
                ("x-edge-region", "us-east"),
            ],
        );
        check(
            &[("content-language", "fr"), ("vary", "Accept-Encoding, Accept-Language")],
            &[("content-language", "fr"), ("vary", "Accept-Encoding, Accept-Language, x-country")],
        );
        check(&[("vary", "*")], &[("vary", "*")]);
    }

    #[test]
    fn other_responses_get_only_the_edge_headers() {
        let mut resp = ResponseHeader::build(200, None).unwrap();
        let scope = Scope::Explicit { market: MarketId::parse("fr").unwrap() };
        to_client(&mut resp, "rid", "eu-west", Some(&scope), false).unwrap();
        assert!(resp.headers.get("x-market").is_none());
        assert!(resp.headers.get("vary").is_none());
        assert!(resp.headers.get("content-language").is_none());
        assert_eq!(resp.headers.get("x-request-id").unwrap(), "rid");
    }
}

/// The home region a session token names (`v1.<base64url JSON claims>.<mac>`, claim `reg`),
/// read without checking the signature: it only picks which region's core receives a write,
/// and that core verifies the token.
pub fn token_home_region(authorization: &str) -> Option<String> {
    use base64::Engine;
    let token = authorization.strip_prefix("Bearer ").or_else(|| authorization.strip_prefix("bearer "))?.trim();
    let mut parts = token.split('.');
    let (Some("v1"), Some(payload), Some(_mac), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    if payload.len() > 2048 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["reg"].as_str().filter(|r| r.len() <= 64).map(str::to_string)
}

#[cfg(test)]
mod token_tests {
    use base64::Engine;

    use super::token_home_region;

    fn token(claims: &str) -> String {
        format!("Bearer v1.{}.c2ln", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims))
    }

    #[test]
    fn the_home_region_is_read_from_a_session_token() {
        assert_eq!(
            token_home_region(&token(r#"{"sid":"x","reg":"us-east","knd":"customer","exp":1}"#)),
            Some("us-east".into())
        );
        assert_eq!(token_home_region(&token(r#"{"sid":"x"}"#)), None);
        assert_eq!(token_home_region("Bearer dev-admin-token"), None);
        assert_eq!(token_home_region("Bearer v1.!!!.x"), None);
        assert_eq!(token_home_region("Basic abc"), None);
    }
}
