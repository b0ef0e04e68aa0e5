//! The core's domain: types and pure rules, with no IO. The store persists these types; the
//! API translates them to and from JSON. Nothing here knows SQL, HTTP or serde.

pub mod accounts;
pub mod attributes;
pub mod cache_tags;
pub mod catalog;
pub mod listing;
pub mod locale;
pub mod money;
pub mod orders;
pub mod pages;
pub mod parcels;
pub mod payments;
pub mod pricing;
pub mod promotions;
pub mod quote;
pub mod shipping_options;
pub mod tax;

/// The former name of [`parcels`], kept while callers move to the new one.
pub use parcels as shipping;
pub use uuid::Uuid;
