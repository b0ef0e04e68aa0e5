//! The API's one error type: the use cases' error (`core_app::AppError`: a stable code from the
//! table of codes, its HTTP status, a message) answered as `{"code": …, "message": …}`, and the
//! extractors' rejections read into the same codes. Internal causes are logged, never sent.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use core_app::AppError;
use core_domain::catalog::CatalogError;
use core_domain::listing::ListingError;
use core_store::StoreError;
use core_store::catalog::WriteError;
use serde::Serialize;

/// An error answer: the use case's [`AppError`] (code, status, message), answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `market_not_found`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self(AppError::new(status, code, message))
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self(AppError::not_found(code, message))
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self(AppError::bad_request(code, message))
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self(AppError::internal(cause))
    }
}

impl std::ops::Deref for ApiError {
    type Target = AppError;
    fn deref(&self) -> &AppError {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut AppError {
        &mut self.0
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        if e.status.is_server_error() {
            tracing::error!(code = e.code, cause = e.cause().unwrap_or(""), "request failed");
        }
        let body = ErrorBody { code: e.code, message: e.message };
        let mut response = (e.status, axum::Json(body)).into_response();
        response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
        if let Some(seconds) = e.retry_after_secs {
            response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        response
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

/// The errors of the layers below, answered as the use cases' [`AppError`] says.
macro_rules! answered_as_app_error {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for ApiError {
            fn from(e: $error) -> Self {
                Self(e.into())
            }
        }
    )*};
}

answered_as_app_error!(
    StoreError,
    CatalogError,
    WriteError,
    ListingError,
    core_domain::quote::QuoteError,
    core_store::promotions::CouponError,
    core_store::promotions::CouponRejection,
    core_store::promotions::PromotionRejection,
    core_store::commerce::CommerceError,
);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `content-type: application/json`",
            ),
            JsonRejection::JsonSyntaxError(e) => {
                Self::bad_request("invalid_json", format!("malformed JSON: {}", e.body_text()))
            }
            JsonRejection::JsonDataError(e) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", e.body_text())
            }
            JsonRejection::BytesRejection(_) => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
            }
            other => Self::bad_request("invalid_body", other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::bad_request("invalid_query", r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::bad_request("invalid_path", r.body_text())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl core_store::AsSerializationFailure for ApiError {
    fn is_serialization_failure(&self) -> bool {
        self.retryable
    }
}
