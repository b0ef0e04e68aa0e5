//! Staff members (checked by `core_domain::accounts::NewStaff`) and their TOTP second factor:
//! enrolment, confirmation, used time steps, reset.

use crate::Prepared;
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::{AccountError, AccountRejection, NewStaff, Role, email_conflict, revoke_staff_sessions};
use crate::StoreError;

/// A staff member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffMember {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub region: String,
    /// Whether the TOTP second factor is enrolled and confirmed.
    pub totp_enrolled: bool,
    pub created_at: OffsetDateTime,
}

fn staff_of(row: &Row) -> StaffMember {
    StaffMember {
        id: row.get(0),
        email: row.get(1),
        name: row.get(2),
        role: Role::parse(row.get(3)).unwrap_or(Role::Support),
        region: row.get(4),
        totp_enrolled: row.get(5),
        created_at: row.get(6),
    }
}

/// Creates a staff member, without a second factor yet.
pub async fn create_staff(
    client: &impl GenericClient,
    s: &NewStaff,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<StaffMember, AccountError> {
    let row = client
        .query_one_cached(
            "INSERT INTO staff (email, name, role, region, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             RETURNING id, email, name, role, region, totp_confirmed_at IS NOT NULL, created_at",
            &[&s.email, &s.name, &s.role.as_str(), &s.region, &password_hash, &now],
        )
        .await
        .map_err(email_conflict)?;
    Ok(staff_of(&row))
}

/// A staff member by id (disabled ones included).
pub async fn staff_member(client: &impl GenericClient, id: Uuid) -> Result<Option<StaffMember>, StoreError> {
    let row = client
        .query_opt_cached(
            "SELECT id, email, name, role, region, totp_confirmed_at IS NOT NULL, created_at FROM staff WHERE id = $1",
            &[&id],
        )
        .await?;
    Ok(row.as_ref().map(staff_of))
}

/// Starts (or restarts) TOTP enrolment with a new secret; refused once a secret is confirmed.
pub async fn start_totp_enrolment(
    client: &impl GenericClient,
    id: Uuid,
    secret: &str,
    now: OffsetDateTime,
) -> Result<(), AccountError> {
    let n = client
        .execute_cached(
            "UPDATE staff SET totp_secret = $2, totp_last_step = NULL, updated_at = $3 \
             WHERE id = $1 AND totp_confirmed_at IS NULL",
            &[&id, &secret, &now],
        )
        .await?;
    if n == 1 {
        return Ok(());
    }
    match staff_member(client, id).await? {
        None => Err(AccountError::NotFound("staff member")),
        Some(_) => Err(AccountRejection::TotpAlreadyEnrolled.into()),
    }
}

/// The secret of an enrolment in progress (not yet confirmed).
pub async fn pending_totp_secret(client: &impl GenericClient, id: Uuid) -> Result<Option<String>, StoreError> {
    let row = client
        .query_opt_cached("SELECT totp_secret FROM staff WHERE id = $1 AND totp_confirmed_at IS NULL", &[&id])
        .await?;
    Ok(row.and_then(|r| r.get(0)))
}

/// Confirms the enrolment with the time step of the code that proved it (that code is used).
pub async fn confirm_totp(
    client: &impl GenericClient,
    id: Uuid,
    step: i64,
    now: OffsetDateTime,
) -> Result<(), AccountError> {
    let n = client
        .execute_cached(
            "UPDATE staff SET totp_confirmed_at = $3, totp_last_step = $2, updated_at = $3 \
             WHERE id = $1 AND totp_secret IS NOT NULL AND totp_confirmed_at IS NULL",
            &[&id, &step, &now],
        )
        .await?;
    if n == 1 { Ok(()) } else { Err(AccountRejection::TotpNotStarted.into()) }
}

/// Marks a code's time step used; false when it (or a later one) was used already, so that no
/// code is accepted twice (RFC 6238 section 5.2).
pub async fn use_totp_step(client: &impl GenericClient, id: Uuid, step: i64) -> Result<bool, StoreError> {
    let n = client
        .execute_cached(
            "UPDATE staff SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            &[&id, &step],
        )
        .await?;
    Ok(n == 1)
}

/// Removes a staff member's second factor (a lost device) and revokes their sessions: their
/// next login goes through enrolment again.
pub async fn reset_totp(client: &impl GenericClient, id: Uuid, now: OffsetDateTime) -> Result<(), AccountError> {
    let n = client
        .execute_cached(
            "UPDATE staff SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = NULL, updated_at = $2 \
             WHERE id = $1",
            &[&id, &now],
        )
        .await?;
    if n == 0 {
        return Err(AccountError::NotFound("staff member"));
    }
    revoke_staff_sessions(client, id, now).await?;
    Ok(())
}
