//! Logins and logouts of shoppers and staff. A login names an unknown e-mail and a wrong
//! password alike (401 `invalid_credentials`, in similar time); every attempt counts as a failure
//! until its password checks, and 10 failures in a row lock the account for 30 minutes (423
//! `account_locked`, with the seconds left). Staff give the code of their second factor too,
//! each code accepted once; before it is enrolled, a staff login opens a short session that may
//! only enrol it.

use core_store::StoreError;
use core_store::accounts::{self as store, Credentials, LoginAttempt, Principal, StaffStage, TotpState};
use http::StatusCode;
use time::OffsetDateTime;
use uuid::Uuid;

use super::invalid_credentials;
use crate::App;
use crate::auth::{Issued, TokenKind, totp};
use crate::error::{AppError, AppResult};

/// A shopper's new session.
#[derive(Debug)]
pub struct ShopperSession {
    pub issued: Issued,
    pub user_id: Uuid,
    /// Where the shopper's writes go.
    pub home_region: String,
}

/// A staff member's new session, and what it may do.
#[derive(Debug)]
pub struct StaffSession {
    pub issued: Issued,
    /// `Full` (the admin API) or `Enrolment` (only enrolling the second factor).
    pub stage: StaffStage,
}

/// Starts a login: counts the attempt and answers the account's credentials; an unknown
/// account is refused after as long as a password check, a locked one with the time left.
pub(super) async fn begin(
    app: &App,
    principal: Principal,
    email: &str,
    password: &str,
    now: OffsetDateTime,
) -> AppResult<Credentials> {
    let attempt = match store::normalize_email(email) {
        Err(_) => LoginAttempt::Unknown,
        Ok(email) => {
            let policy = app.auth.lock;
            app.store
                .transaction(|tx| {
                    let email = email.clone();
                    Box::pin(async move { store::begin_login(tx, principal, &email, now, policy).await })
                })
                .await?
        }
    };
    match attempt {
        LoginAttempt::Unknown => {
            if password.len() <= store::MAX_PASSWORD_BYTES {
                app.auth.waste_password_check(password).await?;
            }
            Err(invalid_credentials())
        }
        LoginAttempt::Locked { until } => {
            let left = until - now;
            Err(AppError::locked(left.whole_seconds().max(1) + i64::from(left.subsec_nanoseconds() > 0)))
        }
        LoginAttempt::Proceed(credentials) => Ok(credentials),
    }
}

/// Checks the password of a counted attempt (a failure stays counted).
pub(super) async fn check_password(app: &App, credentials: &Credentials, password: &str) -> AppResult<()> {
    if password.len() <= store::MAX_PASSWORD_BYTES
        && app.auth.verify_password(password, &credentials.password_hash).await?
    {
        Ok(())
    } else {
        Err(invalid_credentials())
    }
}

/// Logs a shopper in: a new session, recorded with the login's success.
pub async fn log_in(app: &App, email: &str, password: &str) -> AppResult<ShopperSession> {
    let now = app.auth.clock.now();
    let credentials = begin(app, Principal::Shopper, email, password, now).await?;
    check_password(app, &credentials, password).await?;
    let issued = app.auth.issue(TokenKind::Customer, credentials.id, &credentials.region, app.auth.customer_ttl);
    app.store
        .transaction(|tx| {
            let session = issued.session.clone();
            Box::pin(async move {
                store::login_succeeded(tx, Principal::Shopper, session.subject).await?;
                store::create_session(tx, &session).await
            })
        })
        .await?;
    Ok(ShopperSession { issued, user_id: credentials.id, home_region: credentials.region })
}

/// Ends a shopper's session: its token stops working at once.
pub async fn log_out(app: &App, user_id: Uuid, session_id: Uuid) -> AppResult<()> {
    let now = app.auth.clock.now();
    let client = app.store.client().await?;
    store::revoke_session(&client, user_id, session_id, now).await?;
    app.auth.note_revoked(session_id, now + app.auth.customer_ttl);
    Ok(())
}

/// Ends every session of a shopper (a lost device), `current` included.
pub async fn end_every_session(app: &App, user_id: Uuid, current: Uuid) -> AppResult<()> {
    let now = app.auth.clock.now();
    let client = app.store.client().await?;
    let n = store::revoke_sessions(&client, user_id, None, now).await?;
    app.auth.note_revoked(current, now + app.auth.customer_ttl);
    tracing::info!(user_id = %user_id, sessions = n, "sessions revoked");
    Ok(())
}

/// Logs a staff member in with their password and, once enrolled, the current code of their
/// second factor (401 `totp_required` without it).
pub async fn staff_log_in(app: &App, email: &str, password: &str, code: Option<&str>) -> AppResult<StaffSession> {
    let now = app.auth.clock.now();
    let credentials = begin(app, Principal::Staff, email, password, now).await?;
    check_password(app, &credentials, password).await?;
    let factor = credentials.totp.clone().unwrap_or(TotpState { secret: None, confirmed: false, last_step: None });
    let (stage, ttl, step) = if factor.confirmed {
        let Some(code) = code else {
            return Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                "totp_required",
                "give the code of your authenticator",
            ));
        };
        let secret = factor
            .secret
            .as_deref()
            .and_then(totp::from_base32)
            .ok_or_else(|| AppError::internal("bad TOTP secret"))?;
        let step = totp::check(&secret, code, now.unix_timestamp()).ok_or_else(invalid_credentials)?;
        (StaffStage::Full, app.auth.staff_ttl, Some(step))
    } else {
        (StaffStage::Enrolment, app.auth.enrolment_ttl, None)
    };
    let issued = app.auth.issue(TokenKind::Staff, credentials.id, &credentials.region, ttl);
    let accepted = app
        .store
        .transaction(|tx| {
            let session = issued.session.clone();
            Box::pin(async move {
                if let Some(step) = step
                    && !store::use_totp_step(tx, session.subject, step).await?
                {
                    // A code is accepted once only.
                    return Ok::<_, StoreError>(false);
                }
                store::login_succeeded(tx, Principal::Staff, session.subject).await?;
                store::create_staff_session(tx, &session, stage).await?;
                Ok(true)
            })
        })
        .await?;
    if !accepted {
        return Err(invalid_credentials());
    }
    tracing::info!(staff_id = %credentials.id, stage = ?stage, "staff session started");
    Ok(StaffSession { issued, stage })
}

/// Ends a staff session (`expires_at`: when it would have ended).
pub async fn staff_log_out(app: &App, staff_id: Uuid, session_id: Uuid, expires_at: OffsetDateTime) -> AppResult<()> {
    let now = app.auth.clock.now();
    let client = app.store.client().await?;
    store::revoke_staff_session(&client, staff_id, session_id, now).await?;
    app.auth.note_revoked(session_id, expires_at);
    Ok(())
}
