//! Market and language resolution: which market and language a request is for, and the
//! canonical upstream path that names both explicitly (the future cache key).
//!
//! Pure functions of the request line, two headers and the regions catalog; no IO.
//!
//! - `/v1/{market}/{language}/...` with a known market (any case) is *explicit*: the market is
//!   lower-cased and the language canonicalized when it parses (`/v1/FR/fr-ca/x` →
//!   `/v1/fr/fr-CA/x`). Unknown or unoffered languages are forwarded as they are: core answers
//!   them with its stable 4xx codes.
//! - `/v1/categories...`, `/v1/products...` and `/v1/quote` name no market: it is *resolved* from a country
//!   header, else the region subtag of `Accept-Language` (markets of this region only), else the
//!   region's default market; the language is negotiated from `Accept-Language`, else the
//!   market's default. The path is rewritten to `/v1/{market}/{language}/...`.
//! - `GET /healthz` is answered by the edge itself; `/internal/…` and `/admin/…` are not served
//!   (404); every other path is forwarded unchanged.

use http::Method;
use regions::{Catalog, LanguageTag, Market, MarketId, Region};

/// The edge's own liveness path, answered without asking core.
pub const HEALTH_PATH: &str = "/healthz";

/// Market-scoped resources that may come without a market in the URL.
const SCOPED_RESOURCES: [&str; 3] = ["categories", "products", "quote"];

/// What the request says about where the shopper is and what they read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals<'a> {
    /// ISO 3166-1 alpha-2 country from the first country header present (`x-country`,
    /// `cf-ipcountry`, `cloudfront-viewer-country`).
    pub country: Option<&'a str>,
    /// The `Accept-Language` header value.
    pub accept_language: Option<&'a str>,
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /healthz`: the edge answers itself.
    EdgeHealth,
    /// Paths no client reaches through an edge (404): `/internal/…`, core's routes for the
    /// edges themselves (the catalog change feed), and `/admin/…`, the admin API, which is
    /// served on the cores' staff listener only (a private network), never on the shoppers' door.
    NotServed,
    /// Forwarded to core.
    Forward(Forward),
}

/// A request to forward to core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// Path and query to send to core. Canonical and explicit for market-scoped requests, so it
    /// can serve as the cache key; the incoming one for unscoped requests.
    pub path_and_query: String,
    pub scope: Scope,
}

impl Forward {
    /// Whether the upstream path differs from what the client sent (and so must be set).
    pub fn rewrites(&self) -> bool {
        !matches!(self.scope, Scope::Unscoped)
    }
}

/// How the market of a request was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Not a market-scoped path (`/v1/markets`, `/openapi.json`, `/admin/...`).
    Unscoped,
    /// The URL names a known market; the path was only normalized.
    Explicit { market: MarketId },
    /// The URL named no market; market and language were resolved from the request.
    Resolved { market: MarketId, language: LanguageTag, by: MarketSource },
}

/// Which signal picked the market of a resolved request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketSource {
    /// A country header named a market's country.
    CountryHeader,
    /// The region subtag of an `Accept-Language` entry named a market of this region.
    AcceptLanguage,
    /// Nothing did: the region's default market.
    RegionDefault,
}

impl MarketSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CountryHeader => "country-header",
            Self::AcceptLanguage => "accept-language",
            Self::RegionDefault => "region-default",
        }
    }
}

/// Routes one request for the edge of `region`.
/// Core's routes for the edges only.
pub const INTERNAL_PREFIX: &str = "/internal/";

/// The admin API's paths: never routed by an edge.
pub const ADMIN_PREFIX: &str = "/admin/";

pub fn route(
    catalog: &Catalog,
    region: &Region,
    method: &Method,
    path: &str,
    query: Option<&str>,
    signals: Signals<'_>,
) -> Route {
    if path == HEALTH_PATH && (method == Method::GET || method == Method::HEAD) {
        return Route::EdgeHealth;
    }
    if path.starts_with(INTERNAL_PREFIX) || path.starts_with(ADMIN_PREFIX) {
        return Route::NotServed;
    }
    let forward = match path.strip_prefix("/v1/") {
        Some(rest) => scoped(catalog, region, rest, signals),
        None => None,
    };
    let (path, scope) = forward.unwrap_or_else(|| (path.to_string(), Scope::Unscoped));
    Route::Forward(Forward { path_and_query: with_query(path, query), scope })
}

/// The canonical path and scope of a path under `/v1/`, or `None` if it is not market-scoped.
fn scoped(catalog: &Catalog, region: &Region, rest: &str, signals: Signals<'_>) -> Option<(String, Scope)> {
    let (first, after_first) = split_segment(rest);
    if let Some(market) = catalog.market(first) {
        let mut path = format!("/v1/{}", market.id);
        if let Some(after_first) = after_first {
            let (language, tail) = split_segment(after_first);
            path.push('/');
            match LanguageTag::parse(language) {
                Ok(tag) => path.push_str(tag.as_str()),
                Err(_) => path.push_str(language),
            }
            if let Some(tail) = tail {
                path.push('/');
                path.push_str(tail);
            }
        }
        return Some((path, Scope::Explicit { market: market.id.clone() }));
    }
    if !SCOPED_RESOURCES.contains(&first) {
        return None;
    }
    let (market, by) = resolve_market(catalog, region, signals)?;
    let language = signals
        .accept_language
        .and_then(|header| market.negotiate_language(header))
        .unwrap_or_else(|| market.default_language.clone());
    let path = format!("/v1/{}/{}/{rest}", market.id, language);
    Some((path, Scope::Resolved { market: market.id.clone(), language, by }))
}

/// Picks the market for a request whose URL names none. `None` only when the region's default
/// market is missing from the catalog, which `Catalog::load` rules out.
fn resolve_market<'c>(
    catalog: &'c Catalog,
    region: &Region,
    signals: Signals<'_>,
) -> Option<(&'c Market, MarketSource)> {
    if let Some(market) = signals.country.and_then(|c| market_for_country(catalog, c)) {
        return Some((market, MarketSource::CountryHeader));
    }
    let by_language = signals.accept_language.into_iter().flat_map(accept_language).find_map(|tag| {
        let country = region_subtag(&tag)?;
        catalog.market_for_country(country).filter(|m| m.region == region.id)
    });
    if let Some(market) = by_language {
        return Some((market, MarketSource::AcceptLanguage));
    }
    catalog.market(region.default_market.as_str()).map(|m| (m, MarketSource::RegionDefault))
}

fn market_for_country<'c>(catalog: &'c Catalog, country: &str) -> Option<&'c Market> {
    let country = country.trim();
    let ok = country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic());
    if ok { catalog.market_for_country(country) } else { None }
}

/// The region subtag of a canonical tag (`DE` in `de-DE`, `TW` in `zh-Hant-TW`); numeric
/// regions (`es-419`) name no country.
fn region_subtag(tag: &LanguageTag) -> Option<&str> {
    let (_, last) = tag.as_str().rsplit_once('-')?;
    (last.len() == 2 && last.bytes().all(|b| b.is_ascii_uppercase())).then_some(last)
}

/// The tags of an `Accept-Language` value, highest weight first (stable for equal weights),
/// without `q=0` entries, `*` or malformed entries (at most 16 entries are read).
pub fn accept_language(header: &str) -> Vec<LanguageTag> {
    regions::accept_language(header)
}

/// Splits off the first path segment: `("fr", Some("fr/products"))`, `("fr", None)`.
fn split_segment(path: &str) -> (&str, Option<&str>) {
    match path.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    }
}

fn with_query(mut path: String, query: Option<&str>) -> String {
    if let Some(query) = query {
        path.push('?');
        path.push_str(query);
    }
    path
}

#[cfg(test)]
mod tests;
