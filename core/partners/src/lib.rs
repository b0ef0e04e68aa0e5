//! The core's clients of its partners, each behind an adapter trait or a small client type, so
//! that another provider is one more implementation: the payment provider ([`payments`]), the
//! warehouse system ([`warehouse`]), parcel carriers ([`carriers`], one file per carrier API), the
//! tax provider with its timeout and fail policy ([`tax`]) and the mail relay ([`mail`]). What
//! they share is in [`http`]: one HTTP client and the error every partner call ends in.
//!
//! No SQL here and no HTTP server: the use cases in `core-app` call these clients.

pub mod carriers;
pub mod http;
pub mod mail;
pub mod payments;
pub mod tax;
pub mod warehouse;

pub use http::{DeliveryError, PartnerClient};
