//! The accounts API. Shoppers: sign-up, login and sessions (logout, revoking every session),
//! their profile and addresses, and the GDPR export and erasure. Staff: accounts created by
//! admins, login with the TOTP second factor, and its enrolment. The requests are read here;
//! the steps and their transactions are [`core_app::accounts`]. Never cached: every answer
//! carries `Cache-Control: no-store`.
//!
//! Logins answer an unknown email and a wrong password alike (401 `invalid_credentials`, in
//! similar time); 10 failures in a row lock the account for 30 minutes (423 `account_locked`
//! with `Retry-After`). Session tokens are described in [`crate::auth`].
//!
//! `POST /v1/sessions`, `POST /admin/v1/sessions` and the TOTP enrolment take no
//! `Idempotency-Key`: their answers hold secrets (a session token, a TOTP secret) that must not
//! be kept for replay; a retry simply starts another session or enrolment.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use core_app::accounts::staff::{CallerSession, NewMember};
use core_app::accounts::{self as app, address_not_found};
use core_store::accounts::{AddressInput, StaffMember, StaffStage};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use crate::answers::accounts::{AccountOut, AddressOut};
use crate::answers::personal_data::PersonalDataOut;
use crate::auth::{Shopper, Staff, StaffSessionOf, totp};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// The shoppers' account routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/accounts", post(sign_up))
        .route("/v1/accounts/me", get(me).patch(update_me).delete(erase_me))
        .route("/v1/accounts/me/export", get(export))
        .route("/v1/accounts/me/addresses", get(list_addresses).post(add_address))
        .route("/v1/accounts/me/addresses/{id}", put(replace_address).delete(delete_address))
        .route("/v1/sessions", post(login).delete(revoke_sessions))
        .route("/v1/sessions/current", delete(logout))
        .layer(axum::middleware::map_response(no_store))
}

/// Staff accounts, sessions and the second factor (the staff listener).
pub fn staff_router(state: AppState) -> Router<AppState> {
    // Managing staff: admins only (the service token counts as one), idempotent POSTs.
    let staff_admin = Router::new()
        .route("/admin/v1/staff", post(create_staff))
        .route("/admin/v1/staff/{id}/totp/reset", post(reset_staff_totp))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::idempotency::layer))
        .layer(axum::middleware::from_fn_with_state(state, crate::access::require_admin));
    Router::new()
        .route("/admin/v1/sessions", post(staff_login))
        .route("/admin/v1/sessions/current", delete(staff_logout))
        .route("/admin/v1/staff/me", get(staff_me))
        .route("/admin/v1/staff/me/totp", post(start_totp))
        .route("/admin/v1/staff/me/totp/confirm", post(confirm_totp))
        .merge(staff_admin)
        .layer(axum::middleware::map_response(no_store))
}

async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    response
}

type JsonBody<T> = Result<Json<T>, JsonRejection>;
type PathOf<T> = Result<Path<T>, PathRejection>;

// ----- shoppers: accounts -----

/// A new shopper account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpIn {
    /// Stored lower-case; unique.
    email: String,
    /// At least 12 characters.
    password: String,
    /// 1-200 characters.
    name: String,
    /// The shopper's market (`fr`, `us`…): its region becomes the shopper's home region, where
    /// their data lives.
    market: String,
}

/// The answer to every sign-up that passed its checks: the same whether the address was new or
/// already had an account, so that sign-up cannot be used to test a list of addresses.
#[derive(Serialize, ToSchema)]
pub struct SignUpAccepted {
    /// Always `accepted`.
    status: &'static str,
    message: &'static str,
}

const SIGN_UP_ACCEPTED: SignUpAccepted = SignUpAccepted {
    status: "accepted",
    message: "check your e-mail: the address's owner gets a message from us; with a new account, log in with \
              POST /v1/sessions",
};

#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = SignUpIn,
    responses((status = 202, body = SignUpAccepted, description = "the same answer whether or not the address already has an account; its owner gets an e-mail either way"),
        (status = 422, body = ErrorBody, description = "invalid_email, password_too_short, password_too_long, unknown_market, validation_failed")))]
/// Creates a shopper account, unless the address has one: then nothing changes and its owner is
/// told by e-mail. Either way the answer is the same (202), and the password is hashed, so that
/// the answer and its time tell nothing about the address. Log in afterwards
/// (`POST /v1/sessions`).
pub async fn sign_up(State(state): State<AppState>, body: JsonBody<SignUpIn>) -> ApiResult<Response> {
    let Json(b) = body?;
    let account = app::sign_up::NewAccount { email: b.email, password: b.password, name: b.name, market: b.market };
    app::sign_up::sign_up(&state, &account).await?;
    Ok((StatusCode::ACCEPTED, Json(SIGN_UP_ACCEPTED)).into_response())
}

#[utoipa::path(get, path = "/v1/accounts/me", tag = "accounts", security(("session_token" = [])),
    responses((status = 200, body = AccountOut), (status = 401, body = ErrorBody)))]
/// The shopper's account.
pub async fn me(shopper: Shopper, State(state): State<AppState>) -> ApiResult<Json<AccountOut>> {
    Ok(Json(app::profile::account(&state, shopper.user_id).await?.into()))
}

/// Changes to the shopper's account; absent fields stay. Changing the email or the password
/// needs `current_password`, and ends the shopper's other sessions.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatchIn {
    name: Option<String>,
    /// Another market of the same region.
    market: Option<String>,
    email: Option<String>,
    /// At least 12 characters.
    password: Option<String>,
    current_password: Option<String>,
}

#[utoipa::path(patch, path = "/v1/accounts/me", tag = "accounts", request_body = AccountPatchIn, security(("session_token" = [])),
    responses((status = 200, body = AccountOut), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody, description = "email_taken"),
        (status = 422, body = ErrorBody, description = "invalid_email, password_too_short, unknown_market, market_in_other_region, invalid_current_password, validation_failed"),
        (status = 423, body = ErrorBody, description = "account_locked")))]
/// Changes the shopper's name, market, email or password.
pub async fn update_me(
    shopper: Shopper,
    State(state): State<AppState>,
    body: JsonBody<AccountPatchIn>,
) -> ApiResult<Json<AccountOut>> {
    let Json(b) = body?;
    let change = app::profile::ProfileChange {
        name: b.name,
        market: b.market,
        email: b.email,
        password: b.password,
        current_password: b.current_password,
    };
    Ok(Json(app::profile::change(&state, shopper.user_id, shopper.session_id, change).await?.into()))
}

#[utoipa::path(delete, path = "/v1/accounts/me", tag = "accounts", security(("session_token" = [])),
    responses((status = 204, description = "erased"), (status = 401, body = ErrorBody)))]
/// Erases the shopper (GDPR): personal data removed, sessions ended, login impossible from
/// then on; orders stay, anonymized, as tax evidence. One transaction.
pub async fn erase_me(shopper: Shopper, State(state): State<AppState>) -> ApiResult<StatusCode> {
    app::gdpr::erase(&state, shopper.user_id, shopper.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/accounts/me/export", tag = "accounts", security(("session_token" = [])),
    responses((status = 200, body = Object, description = "`exported_at`, then one section per kind of data: `account`, `addresses`, `sessions`, …"),
        (status = 401, body = ErrorBody)))]
/// Everything the platform holds on the shopper, as JSON (GDPR access and portability).
pub async fn export(shopper: Shopper, State(state): State<AppState>) -> ApiResult<Response> {
    let data = app::gdpr::export(&state, shopper.user_id).await?;
    // Through a JSON value, whose objects keep their keys sorted, as the document always has.
    let body = serde_json::to_value(PersonalDataOut::new(data, state.auth.clock.now())).map_err(ApiError::internal)?;
    let mut r = Json(body).into_response();
    r.headers_mut().insert(
        http::header::CONTENT_DISPOSITION,
        http::HeaderValue::from_static("attachment; filename=\"personal-data.json\""),
    );
    Ok(r)
}

// ----- shoppers: sessions -----

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    email: String,
    password: String,
}

/// A new session. Send the token as `Authorization: Bearer …`; keep it secret.
#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    token: String,
    /// `Bearer`.
    token_type: &'static str,
    session_id: Uuid,
    user_id: Uuid,
    /// Where the shopper's writes go.
    home_region: String,
    expires_at: String,
}

#[utoipa::path(post, path = "/v1/sessions", tag = "accounts", request_body = LoginIn,
    responses((status = 201, body = SessionOut), (status = 401, body = ErrorBody, description = "invalid_credentials"),
        (status = 423, body = ErrorBody, description = "account_locked (after 10 failures in a row, for 30 minutes; see Retry-After)")))]
/// Logs a shopper in.
pub async fn login(State(state): State<AppState>, body: JsonBody<LoginIn>) -> ApiResult<Response> {
    let Json(b) = body?;
    let session = app::logins::log_in(&state, &b.email, &b.password).await?;
    let out = SessionOut {
        token: session.issued.token,
        token_type: "Bearer",
        session_id: session.issued.session.id,
        user_id: session.user_id,
        home_region: session.home_region,
        expires_at: core_app::clock::rfc3339(session.issued.session.expires_at),
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(delete, path = "/v1/sessions/current", tag = "accounts", security(("session_token" = [])),
    responses((status = 204, description = "logged out"), (status = 401, body = ErrorBody)))]
/// Logs out: the session's token stops working at once.
pub async fn logout(shopper: Shopper, State(state): State<AppState>) -> ApiResult<StatusCode> {
    app::logins::log_out(&state, shopper.user_id, shopper.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/v1/sessions", tag = "accounts", security(("session_token" = [])),
    responses((status = 204, description = "every session ended"), (status = 401, body = ErrorBody)))]
/// Ends every session of the shopper, this one included (a lost device).
pub async fn revoke_sessions(shopper: Shopper, State(state): State<AppState>) -> ApiResult<StatusCode> {
    app::logins::end_every_session(&state, shopper.user_id, shopper.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- shoppers: addresses -----

/// An address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressIn {
    /// Recipient, 1-200 characters.
    name: String,
    /// 1 to 3 street lines.
    lines: Vec<String>,
    city: String,
    postal_code: Option<String>,
    /// State, province, prefecture…
    subdivision: Option<String>,
    /// ISO 3166-1 alpha-2 (`FR`).
    country: String,
    phone: Option<String>,
    /// The default address (the previous default loses the flag).
    #[serde(default)]
    is_default: bool,
}

impl From<AddressIn> for AddressInput {
    fn from(a: AddressIn) -> Self {
        Self {
            name: a.name,
            lines: a.lines,
            city: a.city,
            postal_code: a.postal_code,
            subdivision: a.subdivision,
            country: a.country,
            phone: a.phone,
            is_default: a.is_default,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AddressList {
    /// The default first, then oldest first.
    items: Vec<AddressOut>,
}

fn address_id(s: &str) -> ApiResult<Uuid> {
    Ok(Uuid::parse_str(s).map_err(|_| address_not_found())?)
}

#[utoipa::path(get, path = "/v1/accounts/me/addresses", tag = "accounts", security(("session_token" = [])),
    responses((status = 200, body = AddressList), (status = 401, body = ErrorBody)))]
/// The shopper's addresses.
pub async fn list_addresses(shopper: Shopper, State(state): State<AppState>) -> ApiResult<Json<AddressList>> {
    let items = app::addresses::list(&state, shopper.user_id).await?.into_iter().map(AddressOut::from).collect();
    Ok(Json(AddressList { items }))
}

#[utoipa::path(post, path = "/v1/accounts/me/addresses", tag = "accounts", request_body = AddressIn, security(("session_token" = [])),
    responses((status = 201, body = AddressOut), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody, description = "too_many_addresses"),
        (status = 422, body = ErrorBody, description = "validation_failed")))]
/// Adds an address (at most 50).
pub async fn add_address(
    shopper: Shopper,
    State(state): State<AppState>,
    body: JsonBody<AddressIn>,
) -> ApiResult<Response> {
    let Json(b) = body?;
    let address = app::addresses::add(&state, shopper.user_id, b.into()).await?;
    Ok((StatusCode::CREATED, Json(AddressOut::from(address))).into_response())
}

#[utoipa::path(put, path = "/v1/accounts/me/addresses/{id}", tag = "accounts", request_body = AddressIn, security(("session_token" = [])),
    responses((status = 200, body = AddressOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "address_not_found (also another shopper's)"),
        (status = 422, body = ErrorBody)))]
/// Replaces one of the shopper's addresses.
pub async fn replace_address(
    shopper: Shopper,
    State(state): State<AppState>,
    path: PathOf<String>,
    body: JsonBody<AddressIn>,
) -> ApiResult<Json<AddressOut>> {
    let Path(id) = path?;
    let id = address_id(&id)?;
    let Json(b) = body?;
    Ok(Json(app::addresses::replace(&state, shopper.user_id, id, b.into()).await?.into()))
}

#[utoipa::path(delete, path = "/v1/accounts/me/addresses/{id}", tag = "accounts", security(("session_token" = [])),
    responses((status = 204, description = "deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "address_not_found (also another shopper's)")))]
/// Deletes one of the shopper's addresses.
pub async fn delete_address(
    shopper: Shopper,
    State(state): State<AppState>,
    path: PathOf<String>,
) -> ApiResult<StatusCode> {
    let Path(id) = path?;
    let id = address_id(&id)?;
    app::addresses::delete(&state, shopper.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- staff -----

/// A new staff member. They log in with this password, then enrol the TOTP second factor.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffIn {
    email: String,
    name: String,
    /// At least 12 characters.
    password: String,
    /// `admin`, `merchandiser` or `support`.
    role: String,
    /// Home region; default: the region of the core that takes the request.
    region: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StaffOut {
    id: Uuid,
    email: String,
    name: String,
    role: &'static str,
    region: String,
    /// Whether the TOTP second factor is enrolled.
    totp_enrolled: bool,
    created_at: String,
}

impl From<StaffMember> for StaffOut {
    fn from(s: StaffMember) -> Self {
        Self {
            id: s.id,
            email: s.email,
            name: s.name,
            role: s.role.as_str(),
            region: s.region,
            totp_enrolled: s.totp_enrolled,
            created_at: core_app::clock::rfc3339(s.created_at),
        }
    }
}

#[utoipa::path(post, path = "/admin/v1/staff", tag = "staff", request_body = StaffIn, security(("service_token" = []), ("session_token" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first response")),
    responses((status = 201, body = StaffOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "forbidden: admins only"),
        (status = 409, body = ErrorBody, description = "email_taken"),
        (status = 422, body = ErrorBody, description = "invalid_email, password_too_short, unknown_role, unknown_region, validation_failed")))]
/// Creates a staff member (admins only).
pub async fn create_staff(State(state): State<AppState>, body: JsonBody<StaffIn>) -> ApiResult<Response> {
    let Json(b) = body?;
    let new = NewMember { email: b.email, name: b.name, password: b.password, role: b.role, region: b.region };
    let created = app::staff::create(&state, &new).await?;
    Ok((StatusCode::CREATED, Json(StaffOut::from(created))).into_response())
}

#[utoipa::path(post, path = "/admin/v1/staff/{id}/totp/reset", tag = "staff", security(("service_token" = []), ("session_token" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first response")),
    responses((status = 200, body = StaffOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// Removes a staff member's second factor (a lost device) and ends their sessions; their next
/// login goes through enrolment again (admins only).
pub async fn reset_staff_totp(State(state): State<AppState>, path: PathOf<String>) -> ApiResult<Json<StaffOut>> {
    let Path(id) = path?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::from(app::staff_not_found()))?;
    Ok(Json(app::staff::reset_totp(&state, id).await?.into()))
}

#[utoipa::path(get, path = "/admin/v1/staff/me", tag = "staff", security(("session_token" = [])),
    responses((status = 200, body = StaffOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "staff_session_required (the service token is not a person)")))]
/// The calling staff member (any role).
pub async fn staff_me(staff: Staff, State(state): State<AppState>) -> ApiResult<Json<StaffOut>> {
    if staff.is_service() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "staff_session_required",
            "the service token is not a staff member",
        ));
    }
    Ok(Json(app::staff::member(&state, staff.id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffLoginIn {
    email: String,
    password: String,
    /// The current 6-digit code of the authenticator app; required once enrolled.
    totp: Option<String>,
}

/// A staff session. `stage` is `full` (the admin API) or `enrolment` (only
/// `POST /admin/v1/staff/me/totp` and `…/totp/confirm`: the second factor is not enrolled yet).
#[derive(Serialize, ToSchema)]
pub struct StaffSessionOut {
    token: String,
    /// `Bearer`.
    token_type: &'static str,
    session_id: Uuid,
    staff_id: Uuid,
    stage: &'static str,
    totp_enrolment_required: bool,
    expires_at: String,
}

fn staff_session_out(issued: core_app::auth::Issued, stage: StaffStage) -> StaffSessionOut {
    StaffSessionOut {
        token: issued.token,
        token_type: "Bearer",
        session_id: issued.session.id,
        staff_id: issued.session.subject,
        stage: if stage == StaffStage::Full { "full" } else { "enrolment" },
        totp_enrolment_required: stage == StaffStage::Enrolment,
        expires_at: core_app::clock::rfc3339(issued.session.expires_at),
    }
}

#[utoipa::path(post, path = "/admin/v1/sessions", tag = "staff", request_body = StaffLoginIn,
    responses((status = 201, body = StaffSessionOut), (status = 401, body = ErrorBody, description = "invalid_credentials, totp_required"),
        (status = 423, body = ErrorBody, description = "account_locked (after 10 failures in a row, for 30 minutes; see Retry-After)")))]
/// Logs a staff member in: email, password and the TOTP code. Before the second factor is
/// enrolled, the answer is a short session that may only enrol it.
pub async fn staff_login(State(state): State<AppState>, body: JsonBody<StaffLoginIn>) -> ApiResult<Response> {
    let Json(b) = body?;
    let session = app::logins::staff_log_in(&state, &b.email, &b.password, b.totp.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(staff_session_out(session.issued, session.stage))).into_response())
}

#[utoipa::path(delete, path = "/admin/v1/sessions/current", tag = "staff", security(("session_token" = [])),
    responses((status = 204, description = "logged out"), (status = 401, body = ErrorBody)))]
/// Logs a staff member out.
pub async fn staff_logout(session: StaffSessionOf, State(state): State<AppState>) -> ApiResult<StatusCode> {
    app::logins::staff_log_out(&state, session.staff_id, session.id, session.expires_at).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A TOTP secret to add to an authenticator app.
#[derive(Serialize, ToSchema)]
pub struct TotpEnrolmentOut {
    /// Base32, as apps take it when typed.
    secret: String,
    /// `otpauth://totp/…`, usually shown as a QR code.
    otpauth_uri: String,
    algorithm: &'static str,
    digits: usize,
    period: i64,
}

#[utoipa::path(post, path = "/admin/v1/staff/me/totp", tag = "staff", security(("session_token" = [])),
    responses((status = 200, body = TotpEnrolmentOut), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody, description = "totp_already_enrolled")))]
/// Starts enrolling the TOTP second factor: a new secret, confirmed by a code
/// (`POST /admin/v1/staff/me/totp/confirm`). Calling it again replaces an unconfirmed secret.
pub async fn start_totp(session: StaffSessionOf, State(state): State<AppState>) -> ApiResult<Json<TotpEnrolmentOut>> {
    let enrolment = app::staff::start_totp(&state, session.staff_id).await?;
    Ok(Json(TotpEnrolmentOut {
        secret: enrolment.secret,
        otpauth_uri: enrolment.otpauth_uri,
        algorithm: "SHA1",
        digits: totp::DIGITS,
        period: totp::PERIOD,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirmIn {
    /// The current 6-digit code of the authenticator app.
    code: String,
}

#[utoipa::path(post, path = "/admin/v1/staff/me/totp/confirm", tag = "staff", request_body = TotpConfirmIn, security(("session_token" = [])),
    responses((status = 201, body = StaffSessionOut, description = "enrolled: a full session replaces the enrolment session"),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody, description = "totp_already_enrolled, totp_not_started"),
        (status = 422, body = ErrorBody, description = "invalid_totp_code")))]
/// Confirms the second factor with a code: it is enrolled, and the answer is a full session.
pub async fn confirm_totp(
    session: StaffSessionOf,
    State(state): State<AppState>,
    body: JsonBody<TotpConfirmIn>,
) -> ApiResult<Response> {
    let Json(b) = body?;
    let caller = CallerSession {
        id: session.id,
        staff_id: session.staff_id,
        stage: session.stage,
        expires_at: session.expires_at,
    };
    let issued = app::staff::confirm_totp(&state, &caller, &b.code).await?;
    Ok((StatusCode::CREATED, Json(staff_session_out(issued, StaffStage::Full))).into_response())
}
