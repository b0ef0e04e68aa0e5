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

/// What a server error's answer carries for the log (never for the client): its code and the
/// internal cause. [`log_failures`] writes it, with the route, once per failed request.
#[derive(Clone, Debug)]
pub struct Failure {
    pub code: &'static str,
    pub cause: Option<String>,
}

/// Logs every answer of a door in the 5xx range, with its route template, status, code and
/// cause: the one place server errors are logged (handlers, extractors, panics alike).
pub async fn log_failures(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let route = request.extensions().get::<axum::extract::MatchedPath>().map(|p| p.as_str().to_string());
    let response = next.run(request).await;
    if response.status().is_server_error() {
        let failure = response.extensions().get::<Failure>();
        tracing::error!(
            route = route.as_deref().unwrap_or("other"),
            status = response.status().as_u16(),
            code = failure.map_or("", |f| f.code),
            cause = failure.and_then(|f| f.cause.as_deref()).unwrap_or(""),
            "request failed"
        );
    }
    response
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
        let failure = e.status.is_server_error().then(|| Failure { code: e.code, cause: e.cause.clone() });
        let body = ErrorBody { code: e.code, message: e.message };
        let mut response = (e.status, axum::Json(body)).into_response();
        response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
        if let Some(seconds) = e.retry_after_secs {
            response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        if let Some(failure) = failure {
            response.extensions_mut().insert(failure);
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
