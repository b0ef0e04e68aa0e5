//! The API's one error type: a stable code, an HTTP status and a message, answered as
//! `{"code": …, "message": …}`. Internal causes are logged, never sent.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use core_domain::catalog::CatalogError;
use core_domain::listing::ListingError;
use core_store::StoreError;
use core_store::catalog::WriteError;
use serde::Serialize;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// For 5xx: the cause, logged but never sent.
    cause: Option<String>,
    /// A serialization failure: the transaction that raised it may be retried.
    pub retryable: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `market_not_found`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), cause: None, retryable: false }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error".into(),
            cause: Some(cause.to_string()),
            retryable: false,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, cause = self.cause.as_deref().unwrap_or(""), "request failed");
        }
        let body = ErrorBody { code: self.code, message: self.message };
        let mut response = (self.status, axum::Json(body)).into_response();
        response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let retryable = e.is_serialization_failure();
        let mut error = Self::from_store(e);
        error.retryable = retryable;
        error
    }
}

impl ApiError {
    fn from_store(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) | StoreError::RetriesExhausted { .. } => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "unavailable",
                message: "the service is temporarily unavailable; retry shortly".into(),
                cause: Some(e.to_string()),
                retryable: false,
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

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        let status = if e.is_conflict() { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<WriteError> for ApiError {
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

impl From<ListingError> for ApiError {
    fn from(e: ListingError) -> Self {
        Self::bad_request(e.code(), e.to_string())
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_the_database_refuses_is_the_client_s_fault() {
        let e = ApiError::from(StoreError::InvalidInput { sqlstate: "22021".into() });
        assert_eq!((e.status, e.code), (StatusCode::BAD_REQUEST, "invalid_input"));
        let e = ApiError::from(StoreError::Unavailable("down".into()));
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
