//! The use cases' one error type: a stable code, the HTTP status the API answers it with, and a
//! message; internal causes are kept for the log, never sent. Every code and status is in
//! [`codes::CODES`], the table the API documents.

pub mod codes;

use core_domain::catalog::CatalogError;
use core_domain::listing::ListingError;
use core_store::StoreError;
use core_store::accounts::{AccountError, AccountRejection};
use core_store::catalog::WriteError;
use core_store::promotions::{CouponError, CouponRejection, PromotionError, PromotionRejection};
pub use http::StatusCode;

/// An error of a use case.
#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// For 5xx: the cause, logged but never sent.
    pub cause: Option<String>,
    /// A serialization failure: the transaction that raised it may be retried.
    pub retryable: bool,
    /// How many seconds to wait before trying again (`Retry-After`), when the error says.
    pub retry_after_secs: Option<i64>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        debug_assert!(
            codes::CODES.iter().any(|c| c.code == code && c.status == status.as_u16()),
            "error code `{code}` with status {status} is not in the table of codes"
        );
        Self { status, code, message: message.into(), cause: None, retryable: false, retry_after_secs: None }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// A refusal of the request's content: 409 when it conflicts with the current state, 422
    /// when it cannot be used.
    pub fn refusal(conflict: bool, code: &'static str, message: impl Into<String>) -> Self {
        let status = if conflict { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
        Self::new(status, code, message)
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error".into(),
            cause: Some(cause.to_string()),
            retryable: false,
            retry_after_secs: None,
        }
    }

    /// 423 `account_locked`: too many failed logins; the lock lasts `seconds` more.
    pub fn locked(seconds: i64) -> Self {
        let mut e = Self::new(
            StatusCode::LOCKED,
            "account_locked",
            "too many failed logins: the account is locked for a while (see Retry-After)",
        );
        e.retry_after_secs = Some(seconds);
        e
    }

    /// The cause of a server error, for the log.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status.as_u16(), self.message)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        let retryable = e.is_serialization_failure();
        let mut error = Self::from_store(e);
        error.retryable = retryable;
        error
    }
}

impl core_store::AsSerializationFailure for AppError {
    fn is_serialization_failure(&self) -> bool {
        self.retryable
    }
}

impl AppError {
    fn from_store(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) | StoreError::RetriesExhausted { .. } => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "unavailable",
                message: "the service is temporarily unavailable; retry shortly".into(),
                cause: Some(e.to_string()),
                retryable: false,
                retry_after_secs: None,
            },
            StoreError::Conflict { .. } => Self::new(StatusCode::CONFLICT, "conflict", "conflicts with existing data"),
            StoreError::InvalidInput { .. } => {
                tracing::warn!(error = %e, "a value got past the input checks and the database refused it");
                Self::bad_request("invalid_input", "a value in the request cannot be stored")
            }
            other => Self::internal(other),
        }
    }
}

/// Refusals of input that say whether they conflict with the current state (409: a taken
/// code, slug or e-mail, an archived promotion, an enrolled second factor) or cannot be used
/// (422).
macro_rules! refusals {
    ($($refusal:ty),* $(,)?) => {$(
        impl From<$refusal> for AppError {
            fn from(e: $refusal) -> Self {
                Self::refusal(e.is_conflict(), e.code(), e.to_string())
            }
        }
    )*};
}

refusals!(CatalogError, AccountRejection, PromotionRejection);

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        use crate::accounts::{account_not_found, address_not_found, staff_not_found};
        match e {
            AccountError::Rejected(r) => r.into(),
            AccountError::NotFound("address") => address_not_found(),
            AccountError::NotFound("staff member") => staff_not_found(),
            AccountError::NotFound(_) => account_not_found(),
            AccountError::Store(s) => s.into(),
        }
    }
}

impl From<PromotionError> for AppError {
    fn from(e: PromotionError) -> Self {
        use crate::promotions::not_found;
        match e {
            PromotionError::Rejected(r) => r.into(),
            PromotionError::NotFound => not_found(),
            PromotionError::Store(s) => s.into(),
        }
    }
}

impl From<WriteError> for AppError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Rejected(c) => c.into(),
            WriteError::NotFound(what) => Self::not_found(
                match what {
                    "product" => "product_not_found",
                    "variant" => "variant_not_found",
                    "translation" => "translation_not_found",
                    "price" => "price_not_found",
                    "sale" => "sale_not_found",
                    _ => "not_found",
                },
                format!("{what} not found"),
            ),
            WriteError::Store(s) => s.into(),
        }
    }
}

impl From<core_domain::pages::PageError> for AppError {
    fn from(e: core_domain::pages::PageError) -> Self {
        match e {
            core_domain::pages::PageError::InvalidCursor => AppError::new(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "the cursor is not one this list gave (take `next_cursor` as it is)",
            ),
            core_domain::pages::PageError::InvalidLimit => {
                AppError::new(StatusCode::BAD_REQUEST, "invalid_query", "`limit` must be between 1 and 100")
            }
        }
    }
}

impl From<ListingError> for AppError {
    fn from(e: ListingError) -> Self {
        Self::bad_request(e.code(), e.to_string())
    }
}

/// Coupon refusals (for the quote and checkout): limits reached and repeated redemptions
/// conflict with the current state (409); the rest are unusable input (422).
impl From<CouponRejection> for AppError {
    fn from(e: CouponRejection) -> Self {
        let status = match e {
            CouponRejection::Exhausted(_)
            | CouponRejection::LimitReachedForCustomer(_)
            | CouponRejection::AlreadyRedeemed => StatusCode::CONFLICT,
            CouponRejection::UnknownPromotion { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<CouponError> for AppError {
    fn from(e: CouponError) -> Self {
        match e {
            CouponError::Rejected(r) => r.into(),
            CouponError::Store(s) => s.into(),
        }
    }
}

/// Purchase-path refusals: unknown things are 404 (a variant in a cart is unusable input, 422),
/// stock, closed carts and state moves conflict with the current state (409).
impl From<core_store::commerce::CommerceError> for AppError {
    fn from(e: core_store::commerce::CommerceError) -> Self {
        use core_store::commerce::CommerceError as E;
        let status = match &e {
            E::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            E::NotFound("variant") => StatusCode::UNPROCESSABLE_ENTITY,
            E::NotFound(_) => StatusCode::NOT_FOUND,
            E::OutOfStock { .. } | E::CartClosed { .. } | E::InvalidTransition { .. } => StatusCode::CONFLICT,
            E::EmptyCart | E::Rejected(..) | E::Catalog(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        match e {
            E::Store(s) => s.into(),
            other => AppError::new(status, other.code(), other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_the_database_refuses_is_the_client_s_fault() {
        let e = AppError::from(StoreError::InvalidInput { sqlstate: "22021".into() });
        assert_eq!((e.status, e.code), (StatusCode::BAD_REQUEST, "invalid_input"));
        let e = AppError::from(StoreError::Unavailable("down".into()));
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
