//! The regional edge: a Pingora reverse proxy in front of the region's core services.
//!
//! It answers its own `/healthz`, resolves the market and language of catalog requests that name
//! none (country header, `Accept-Language`, region default) into a canonical explicit URL,
//! balances over the region's healthy cores, retries another core when one refuses a connection
//! (or, for a request that is safe to repeat, gives no answer in its route's time: [`timeouts`],
//! [`retries`]), leaves out cores whose last requests got no answer ([`outliers`]), fails over
//! to other regions' cores, and answers `503 upstream_unavailable` when none is left. Shopper catalog reads are cached in
//! memory, keyed on that canonical URL ([`cache`]), indexed by the cache tags core names on
//! each ([`tag_index`]), and purged (softly) by tag when core's catalog change feed says what
//! changed ([`changes`]).

pub mod cache;
pub mod changes;
pub mod headers;
pub mod hits;
pub mod metrics;
pub mod outliers;
pub mod protect;
pub mod proxy;
pub mod replies;
pub mod retries;
pub mod routing;
pub mod server;
pub mod settings;
pub mod tag_index;
pub mod timeouts;
pub mod tls;
pub mod upstream;
