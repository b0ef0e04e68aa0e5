//! What both sides of a signed partner call share, so that the core and the partner stand-ins
//! speak one protocol without either linking the other:
//! - [`signature`]: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` headers, made
//!   with [`sign`] and checked with [`verify_signature`] over the raw body, within a tolerance;
//! - [`Secret`]: an API key or signing secret that never prints;
//! - [`post`]: a signed POST sent again, each time signed afresh, until it is acknowledged.
//!
//! The header names of each partner's signed calls are here too: they are the protocol.

pub mod post;
mod secret;
pub mod signature;

pub use post::{SignedPost, post_signed_until_acknowledged};
pub use secret::Secret;
pub use signature::{DEFAULT_TOLERANCE, SignatureError, sign, verify_signature};

/// The payment provider's webhooks.
pub const PAYMENT_SIGNATURE_HEADER: &str = "Payment-Signature";
/// The warehouse system's callbacks.
pub const WAREHOUSE_SIGNATURE_HEADER: &str = "Warehouse-Signature";
/// A carrier's tracking webhooks.
pub const CARRIER_SIGNATURE_HEADER: &str = "Carrier-Signature";
/// What the platform sends partners (outbox webhooks, the warehouse system's pick requests).
pub const SHOP_SIGNATURE_HEADER: &str = "Shop-Signature";
