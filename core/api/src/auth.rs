//! Authentication: signed session tokens, password hashing, the TOTP second factor, and the
//! extractors handlers use to know who calls.
//!
//! - [`Shopper`]: a shopper's session is required (401 `unauthorized`, `session_expired`,
//!   `session_revoked`).
//! - [`MaybeShopper`]: guests allowed; a token that is sent must still be valid.
//! - [`Staff`]: the service token (counts as an admin) or a staff session with the TOTP second
//!   factor; [`Staff::require`] checks the role (403 `forbidden`).
//!
//! Session tokens are `v1.<payload>.<mac>`: the payload is base64url (no padding) JSON
//! `{"sid": session id, "sub": user or staff id, "reg": home region, "knd": "customer" |
//! "staff", "exp": unix seconds}`, the MAC is HMAC-SHA256 with the server's session secret over
//! `v1.<payload>`, base64url. A token that verifies is then checked against its session row,
//! so that a logout or a revocation applies at once on every core; each core also remembers
//! the sessions it saw revoked, to refuse them without a database read. Tokens and secrets are
//! never logged.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use core_store::accounts::{self as store, StaffStage};
use time::OffsetDateTime;
use uuid::Uuid;

pub use core_app::auth::*;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

// ----- answers -----

/// Why a request was not authenticated. Answers 401 with `WWW-Authenticate: Bearer` and the
/// code of the variant, except [`AuthRejection::EnrolmentRequired`] (403) and
/// [`AuthRejection::Failed`] (the store's answer, such as 503).
#[derive(Debug)]
pub enum AuthRejection {
    /// `unauthorized`: no token.
    Missing,
    /// `unauthorized`: no token on the staff door.
    StaffMissing,
    /// `unauthorized`: malformed, tampered with, signed with another key, of the wrong kind, or
    /// naming no session.
    Invalid,
    /// `session_expired`.
    Expired,
    /// `session_revoked`: logged out, revoked, erased or disabled.
    Revoked,
    /// `totp_enrolment_required` (403): a staff session that may only enrol the second factor.
    EnrolmentRequired,
    /// Checking failed (the database is unreachable…).
    Failed(ApiError),
}

impl From<core_app::AppError> for AuthRejection {
    fn from(e: core_app::AppError) -> Self {
        Self::Failed(e.into())
    }
}

impl From<AuthRejection> for ApiError {
    fn from(r: AuthRejection) -> Self {
        let unauthorized = |code, message: &str| ApiError::new(StatusCode::UNAUTHORIZED, code, message);
        match r {
            AuthRejection::Missing => {
                unauthorized("unauthorized", "a valid session token is required (`Authorization: Bearer …`)")
            }
            AuthRejection::StaffMissing => unauthorized(
                "unauthorized",
                "a staff session is required: log in with `POST /admin/v1/sessions` (then the second factor) and \
                 send its token as `Authorization: Bearer …`",
            ),
            AuthRejection::Invalid => unauthorized("unauthorized", "the session token is invalid"),
            AuthRejection::Expired => unauthorized("session_expired", "the session has expired; log in again"),
            AuthRejection::Revoked => unauthorized("session_revoked", "the session was ended; log in again"),
            AuthRejection::EnrolmentRequired => ApiError::new(
                StatusCode::FORBIDDEN,
                "totp_enrolment_required",
                "enrol the second factor first (POST /admin/v1/staff/me/totp)",
            ),
            AuthRejection::Failed(e) => e,
        }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let mut r = ApiError::from(self).into_response();
        if r.status() == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(http::header::WWW_AUTHENTICATE, http::HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// 403 `forbidden`.
pub fn forbidden() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role does not allow this")
}

/// The bearer token of a request, if any (`None` also when the header is not a bearer token).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Checks a token's signature, kind and expiry, and the revocations this core remembers.
fn claims(state: &AppState, token: &str, kind: TokenKind) -> Result<Claims, AuthRejection> {
    let claims = state.auth.verify(token).filter(|c| c.knd == kind).ok_or(AuthRejection::Invalid)?;
    if claims.exp <= state.auth.clock.now().unix_timestamp() {
        return Err(AuthRejection::Expired);
    }
    if state.auth.is_revoked(claims.sid) {
        return Err(AuthRejection::Revoked);
    }
    Ok(claims)
}

/// Checks a session row: live, not revoked, not expired.
fn live(state: &AppState, session: &store::Session) -> Result<(), AuthRejection> {
    if session.revoked_at.is_some() {
        state.auth.note_revoked(session.id, session.expires_at);
        return Err(AuthRejection::Revoked);
    }
    if session.expires_at <= state.auth.clock.now() {
        return Err(AuthRejection::Expired);
    }
    Ok(())
}

// ----- shoppers -----

/// A shopper with a valid session. Take it as a handler argument to require one:
///
/// ```text
/// async fn my_cart(shopper: Shopper, State(state): State<AppState>) -> ApiResult<…> {
///     // shopper.user_id, shopper.home_region (write there), shopper.session_id
/// }
/// ```
///
/// Rejections: 401 `unauthorized` (no token, malformed, tampered, not a shopper's),
/// `session_expired`, `session_revoked`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shopper {
    pub user_id: Uuid,
    /// The shopper's home region: where their rows live and their writes go.
    pub home_region: String,
    pub session_id: Uuid,
}

/// A shopper when the request has a session token, `None` for a guest. A token that is sent
/// must be valid (the same 401s as [`Shopper`]): a client whose session ended learns it
/// instead of silently becoming a guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaybeShopper(pub Option<Shopper>);

async fn shopper(state: &AppState, headers: &HeaderMap) -> Result<Option<Shopper>, AuthRejection> {
    if headers.get(http::header::AUTHORIZATION).is_none() {
        return Ok(None);
    }
    let token = bearer(headers).ok_or(AuthRejection::Invalid)?;
    let claims = claims(state, token, TokenKind::Customer)?;
    let session = core_app::auth::session(state, claims.sid, &claims.reg)
        .await?
        .filter(|s| s.subject == claims.sub)
        .ok_or(AuthRejection::Invalid)?;
    live(state, &session)?;
    Ok(Some(Shopper { user_id: session.subject, home_region: session.region, session_id: session.id }))
}

impl FromRequestParts<AppState> for Shopper {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        shopper(state, &parts.headers).await?.ok_or(AuthRejection::Missing)
    }
}

impl FromRequestParts<AppState> for MaybeShopper {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(shopper(state, &parts.headers).await?))
    }
}

// ----- staff -----

/// A staff member calling the admin API: through the service token (as an admin, `id` nil,
/// no session) or a staff session with the second factor. Take it as a handler argument and
/// check the role:
///
/// ```text
/// async fn refund(staff: Staff, …) -> ApiResult<…> {
///     staff.require(Role::Support)?; // admins pass too
/// }
/// ```
///
/// Behind [`crate::access::require_token`] the middleware has already authenticated the caller
/// and the extractor reads it from the request. Rejections: 401 as for [`Shopper`], 403
/// `totp_enrolment_required` for a session that may only enrol the second factor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staff {
    pub id: Uuid,
    pub role: Role,
    /// `None` for the service token.
    pub session_id: Option<Uuid>,
}

impl Staff {
    /// 403 `forbidden` unless the role allows what `needed` may do (admins may do everything).
    pub fn require(&self, needed: Role) -> ApiResult<()> {
        if self.role.allows(needed) { Ok(()) } else { Err(forbidden()) }
    }

    /// Whether the caller is the service token rather than a person.
    pub fn is_service(&self) -> bool {
        self.session_id.is_none()
    }
}

/// A staff session of either stage, checked against its row.
async fn presented_staff_session(state: &AppState, headers: &HeaderMap) -> Result<store::StaffSession, AuthRejection> {
    let token = bearer(headers).ok_or(AuthRejection::StaffMissing)?;
    let claims = claims(state, token, TokenKind::Staff)?;
    let session = core_app::auth::staff_session(state, claims.sid, &claims.reg)
        .await?
        .filter(|s| s.session.subject == claims.sub)
        .ok_or(AuthRejection::Invalid)?;
    live(state, &session.session)?;
    if session.disabled {
        return Err(AuthRejection::Revoked);
    }
    Ok(session)
}

async fn staff(state: &AppState, headers: &HeaderMap) -> Result<Staff, AuthRejection> {
    let token = bearer(headers).ok_or(AuthRejection::StaffMissing)?;
    if state.admin_token.matches(token) {
        return Ok(Staff { id: Uuid::nil(), role: Role::Admin, session_id: None });
    }
    let session = presented_staff_session(state, headers).await?;
    if session.stage != StaffStage::Full {
        return Err(AuthRejection::EnrolmentRequired);
    }
    Ok(Staff { id: session.session.subject, role: session.role, session_id: Some(session.session.id) })
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(staff) = parts.extensions.get::<Staff>() {
            return Ok(staff.clone());
        }
        staff(state, &parts.headers).await
    }
}

/// Who is calling the staff listener, for its audit log: a staff member's session of either
/// stage, the service token, or nobody. Also the [`Staff`] the admin routes admit, when the
/// caller is one (a full session or the service token).
pub(crate) async fn audit_actor(state: &AppState, headers: &HeaderMap) -> (core_store::audit::Actor, Option<Staff>) {
    use core_store::audit::Actor;
    let Some(token) = bearer(headers) else { return (Actor::Anonymous, None) };
    if state.admin_token.matches(token) {
        return (Actor::ServiceToken, Some(Staff { id: Uuid::nil(), role: Role::Admin, session_id: None }));
    }
    match presented_staff_session(state, headers).await {
        Ok(s) => {
            let actor = Actor::Staff { staff_id: s.session.subject, session_id: s.session.id };
            let full = (s.stage == StaffStage::Full).then_some(Staff {
                id: s.session.subject,
                role: s.role,
                session_id: Some(s.session.id),
            });
            (actor, full)
        }
        Err(_) => (Actor::Anonymous, None),
    }
}

/// A staff session of either stage, full or enrolment (for enrolling the second factor, and
/// logging out).
#[derive(Clone, Debug)]
pub struct StaffSessionOf {
    pub id: Uuid,
    pub staff_id: Uuid,
    pub stage: StaffStage,
    pub expires_at: OffsetDateTime,
}

impl FromRequestParts<AppState> for StaffSessionOf {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let s = presented_staff_session(state, &parts.headers).await?;
        Ok(Self { id: s.session.id, staff_id: s.session.subject, stage: s.stage, expires_at: s.session.expires_at })
    }
}

/// Middleware of admin routes: admits the service token (as an admin) or a staff session
/// whose role allows `needed`, and puts the caller in the request's extensions for the
/// [`Staff`] extractor. 401 without valid credentials, 403 `forbidden` for another role.
pub(crate) async fn admit_staff(state: &AppState, mut request: Request, next: Next, needed: Role) -> Response {
    let known = request.extensions().get::<Staff>().cloned();
    let staff = match known {
        Some(s) => s,
        None => match staff(state, request.headers()).await {
            Ok(s) => s,
            Err(r) => return r.into_response(),
        },
    };
    if let Err(e) = staff.require(needed) {
        return e.into_response();
    }
    request.extensions_mut().insert(staff);
    next.run(request).await
}
