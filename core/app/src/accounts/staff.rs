//! Staff members: created by admins (or, for the first administrator of an installation, from
//! the server's console), and their TOTP second factor: enrolled at their first login with a
//! new secret confirmed by a code, reset by an admin when a device is lost.

use core_store::accounts::{self as store, AccountError, AccountRejection, NewStaff, StaffMember, StaffStage};
use core_store::audit::{Actor, Entry};
use http::StatusCode;
use time::OffsetDateTime;
use uuid::Uuid;

use super::staff_not_found;
use crate::App;
use crate::auth::{Issued, TokenKind, totp};
use crate::error::{AppError, AppResult};

/// A new staff member as an admin asks for it.
#[derive(Clone, Debug)]
pub struct NewMember {
    pub email: String,
    pub name: String,
    /// At least 12 characters.
    pub password: String,
    /// `admin`, `merchandiser` or `support`.
    pub role: String,
    /// Home region; `None`: this core's.
    pub region: Option<String>,
}

/// A staff session of either stage, as its holder presented it.
#[derive(Clone, Debug)]
pub struct CallerSession {
    pub id: Uuid,
    pub staff_id: Uuid,
    pub stage: StaffStage,
    pub expires_at: OffsetDateTime,
}

/// A TOTP secret to add to an authenticator app.
#[derive(Clone, Debug)]
pub struct TotpEnrolment {
    /// Base32, as apps take it when typed.
    pub secret: String,
    /// `otpauth://totp/…`, usually shown as a QR code.
    pub otpauth_uri: String,
}

/// A staff member.
pub async fn member(app: &App, id: Uuid) -> AppResult<StaffMember> {
    let client = app.store.client().await?;
    store::staff_member(&client, id).await?.ok_or_else(staff_not_found)
}

/// Creates a staff member (they log in with the password, then enrol the second factor).
pub async fn create(app: &App, new: &NewMember) -> AppResult<StaffMember> {
    let region = new.region.as_deref().unwrap_or(&app.region);
    let created =
        insert(app, NewStaff::check(&app.regions, &new.email, &new.name, &new.role, region)?, &new.password).await?;
    tracing::info!(staff_id = %created.id, role = %created.role, "staff member created");
    Ok(created)
}

/// Creates an administrator from the server's console (`core-server create-admin`): the first
/// staff member of a new installation, where no one can log in yet. Written to the audit log.
pub async fn create_admin(app: &App, email: &str, name: &str, password: &str) -> AppResult<Uuid> {
    let created = insert(app, NewStaff::check(&app.regions, email, name, "admin", &app.region)?, password).await?;
    let entry = Entry {
        id: Uuid::new_v4(),
        at: app.auth.clock.now(),
        actor: Actor::Console,
        method: "CREATE-ADMIN".into(),
        route: "core-server create-admin".into(),
        target: format!("staff/{}", created.id),
        status: 201,
        client: "console".into(),
        request_id: Uuid::new_v4().to_string(),
    };
    crate::audit::record(app, &entry).await?;
    tracing::info!(staff_id = %created.id, "administrator created from the console");
    Ok(created.id)
}

/// Writes a checked new member with the hash of `password`.
async fn insert(app: &App, new: NewStaff, password: &str) -> AppResult<StaffMember> {
    store::check_password(password)?;
    let hash = app.auth.hash_password(password).await?;
    let now = app.auth.clock.now();
    app.write(&(new, hash), |tx, _, (new, hash)| {
        Box::pin(async move { store::create_staff(tx, &new, &hash, now).await })
    })
    .await
}

/// Removes a staff member's second factor (a lost device) and ends their sessions; their next
/// login goes through enrolment again.
pub async fn reset_totp(app: &App, id: Uuid) -> AppResult<StaffMember> {
    let now = app.auth.clock.now();
    app.store.transaction(|tx| Box::pin(async move { store::reset_totp(tx, id, now).await })).await?;
    let member = member(app, id).await?;
    tracing::info!(staff_id = %id, "second factor reset");
    Ok(member)
}

/// Starts enrolling the second factor: a new secret, to confirm with a code. Starting again
/// replaces an unconfirmed secret.
pub async fn start_totp(app: &App, staff_id: Uuid) -> AppResult<TotpEnrolment> {
    let mut bytes = [0u8; totp::SECRET_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let secret = totp::base32(&bytes);
    let now = app.auth.clock.now();
    let member = app
        .write(&secret, |tx, _, secret| {
            Box::pin(async move {
                store::start_totp_enrolment(tx, staff_id, &secret, now).await?;
                store::staff_member(tx, staff_id).await?.ok_or(AccountError::NotFound("staff member"))
            })
        })
        .await?;
    let otpauth_uri = totp::uri(&app.auth.totp_issuer, &member.email, &secret);
    Ok(TotpEnrolment { secret, otpauth_uri })
}

/// Confirms the second factor with a code from the enrolment session `session`: it is
/// enrolled, and a full session replaces the enrolment session.
pub async fn confirm_totp(app: &App, session: &CallerSession, code: &str) -> AppResult<Issued> {
    if session.stage == StaffStage::Full {
        return Err(AccountRejection::TotpAlreadyEnrolled.into());
    }
    let client = app.store.client().await?;
    let secret =
        store::pending_totp_secret(&client, session.staff_id).await?.ok_or(AccountRejection::TotpNotStarted)?;
    let member = store::staff_member(&client, session.staff_id).await?.ok_or_else(staff_not_found)?;
    drop(client);
    let secret = totp::from_base32(&secret).ok_or_else(|| AppError::internal("bad TOTP secret"))?;
    let now = app.auth.clock.now();
    let step = totp::check(&secret, code, now.unix_timestamp()).ok_or_else(|| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_totp_code",
            "the code does not match; check the device's clock",
        )
    })?;
    let issued = app.auth.issue(TokenKind::Staff, member.id, &member.region, app.auth.staff_ttl);
    let enrolment = session.id;
    app.store
        .transaction(|tx| {
            let new = issued.session.clone();
            Box::pin(async move {
                store::confirm_totp(tx, new.subject, step, now).await?;
                store::revoke_staff_session(tx, new.subject, enrolment, now).await?;
                store::create_staff_session(tx, &new, StaffStage::Full).await?;
                Ok::<_, AccountError>(())
            })
        })
        .await?;
    app.auth.note_revoked(enrolment, session.expires_at);
    tracing::info!(staff_id = %member.id, "second factor enrolled");
    Ok(issued)
}
