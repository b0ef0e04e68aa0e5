//! The purchase path's persistence: stock and reservations, carts, orders with their payments
//! and returns (and the quote each order was placed with), state transitions, warehouse
//! fulfilment, parcels (carrier labels and tracking timelines), and the outbox. Functions run inside the caller's
//! SERIALIZABLE transaction unless they say otherwise.

pub mod carts;
pub mod fulfilment;
pub mod inventory;
pub mod order_quote;
pub mod orders;
pub mod outbox;
pub mod parcels;
pub mod payments;

/// The former name of [`parcels`], kept while callers move to the new one.
pub use parcels as shipping;

use core_domain::catalog::CatalogError;

use crate::StoreError;
use crate::tx::AsSerializationFailure;

/// Why a purchase-path operation did not happen. Each variant has a stable code.
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("not enough stock of `{sku}`")]
    OutOfStock { sku: String },
    #[error("the cart is {status}")]
    CartClosed { status: String },
    #[error("the cart is empty")]
    EmptyCart,
    #[error("{entity} cannot go from {from} to {to}")]
    InvalidTransition { entity: &'static str, from: String, to: String },
    #[error("{0}")]
    Rejected(String, &'static str),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CommerceError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(what) => match *what {
                "cart" => "cart_not_found",
                "order" => "order_not_found",
                "return" => "return_not_found",
                "variant" => "unknown_variant",
                "event" => "event_not_found",
                _ => "not_found",
            },
            Self::OutOfStock { .. } => "out_of_stock",
            Self::CartClosed { .. } => "cart_closed",
            Self::EmptyCart => "empty_cart",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::Rejected(_, code) => code,
            Self::Catalog(e) => e.code(),
            Self::Store(_) => "internal",
        }
    }
}

/// For callers that speak [`StoreError`] (the GDPR module): database errors pass through, the
/// rest (which those paths do not raise) become [`StoreError::Unavailable`].
impl From<CommerceError> for StoreError {
    fn from(e: CommerceError) -> Self {
        match e {
            CommerceError::Store(e) => e,
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

impl From<tokio_postgres::Error> for CommerceError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Store(e.into())
    }
}

impl AsSerializationFailure for CommerceError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

pub type Result<T, E = CommerceError> = std::result::Result<T, E>;
