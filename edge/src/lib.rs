//! The regional edge: a Pingora reverse proxy in front of the region's core services.
//!
//! It answers its own `/healthz`, resolves the market and language of catalog requests that name
//! none (country header, `Accept-Language`, region default) into a canonical explicit URL,
//! balances over the region's healthy cores, retries another core when one refuses a connection,
//! and answers `503 upstream_unavailable` when none is left. Caching and cross-region failover
//! come later, keyed on the canonical URL computed in `request_filter`.

pub mod headers;
pub mod proxy;
pub mod replies;
pub mod routing;
pub mod server;
pub mod settings;
pub mod upstream;
