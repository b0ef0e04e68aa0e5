//! Sessions: shoppers' and staff members' (with the stage of a staff session), their reads
//! and revocations.

use crate::Prepared;
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::Role;
use crate::StoreError;

/// A session to record. `subject` is the shopper (`users.id`) or the staff member (`staff.id`).
#[derive(Clone, Debug)]
pub struct NewSession {
    pub id: Uuid,
    pub subject: Uuid,
    pub region: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// What a staff session may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffStage {
    /// The admin API, within the member's role.
    Full,
    /// Only enrolling the TOTP second factor.
    Enrolment,
}

impl StaffStage {
    fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Enrolment => "enrolment",
        }
    }
}

/// A session as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub subject: Uuid,
    pub region: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

fn session_of(row: &Row) -> Session {
    Session {
        id: row.get(0),
        subject: row.get(1),
        region: row.get(2),
        created_at: row.get(3),
        expires_at: row.get(4),
        revoked_at: row.get(5),
    }
}

/// Records a shopper's session.
pub async fn create_session(client: &impl GenericClient, s: &NewSession) -> Result<(), StoreError> {
    client
        .execute_cached(
            "INSERT INTO sessions (id, user_id, region, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&s.id, &s.subject, &s.region, &s.created_at, &s.expires_at],
        )
        .await?;
    Ok(())
}

/// A shopper's session by id. `region` is the home region the token names: on CockroachDB the
/// lookup goes straight to that region's rows.
pub async fn session(client: &impl GenericClient, id: Uuid, region: &str) -> Result<Option<Session>, StoreError> {
    let row = client
        .query_opt_cached(
            "SELECT id, user_id, region, created_at, expires_at, revoked_at FROM sessions \
             WHERE id = $1 AND region = $2",
            &[&id, &region],
        )
        .await?;
    Ok(row.as_ref().map(session_of))
}

/// A shopper's sessions, newest first (for the GDPR export).
pub async fn user_sessions(client: &impl GenericClient, user_id: Uuid) -> Result<Vec<Session>, StoreError> {
    let rows = client
        .query_cached(
            "SELECT id, user_id, region, created_at, expires_at, revoked_at FROM sessions \
             WHERE user_id = $1 ORDER BY created_at DESC, id",
            &[&user_id],
        )
        .await?;
    Ok(rows.iter().map(session_of).collect())
}

/// Revokes one of a shopper's sessions; false when it is not theirs or already revoked.
pub async fn revoke_session(
    client: &impl GenericClient,
    user_id: Uuid,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let n = client
        .execute_cached(
            "UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
            &[&id, &user_id, &now],
        )
        .await?;
    Ok(n == 1)
}

/// Revokes every live session of a shopper, except `keep` when given; returns how many.
pub async fn revoke_sessions(
    client: &impl GenericClient,
    user_id: Uuid,
    keep: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    Ok(client
        .execute_cached(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL \
             AND expires_at > $2 AND ($3::UUID IS NULL OR id <> $3)",
            &[&user_id, &now, &keep],
        )
        .await?)
}

/// A staff session with what the admin API needs of its member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffSession {
    pub session: Session,
    pub stage: StaffStage,
    pub role: Role,
    /// The member was disabled: the session no longer counts.
    pub disabled: bool,
}

/// Records a staff session.
pub async fn create_staff_session(
    client: &impl GenericClient,
    s: &NewSession,
    stage: StaffStage,
) -> Result<(), StoreError> {
    client
        .execute_cached(
            "INSERT INTO staff_sessions (id, staff_id, region, stage, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&s.id, &s.subject, &s.region, &stage.as_str(), &s.created_at, &s.expires_at],
        )
        .await?;
    Ok(())
}

/// A staff session by id, with its member's current role (a role change applies at once).
pub async fn staff_session(
    client: &impl GenericClient,
    id: Uuid,
    region: &str,
) -> Result<Option<StaffSession>, StoreError> {
    let row = client
        .query_opt_cached(
            "SELECT s.id, s.staff_id, s.region, s.created_at, s.expires_at, s.revoked_at, s.stage, m.role, \
             m.disabled_at IS NOT NULL \
             FROM staff_sessions s JOIN staff m ON m.id = s.staff_id WHERE s.id = $1 AND s.region = $2",
            &[&id, &region],
        )
        .await?;
    Ok(row.map(|row| StaffSession {
        session: session_of(&row),
        stage: if row.get::<_, &str>(6) == "full" { StaffStage::Full } else { StaffStage::Enrolment },
        role: Role::parse(row.get(7)).unwrap_or(Role::Support),
        disabled: row.get(8),
    }))
}

/// Revokes one staff session; false when it is not the member's or already revoked.
pub async fn revoke_staff_session(
    client: &impl GenericClient,
    staff_id: Uuid,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let n = client
        .execute_cached(
            "UPDATE staff_sessions SET revoked_at = $3 WHERE id = $1 AND staff_id = $2 AND revoked_at IS NULL",
            &[&id, &staff_id, &now],
        )
        .await?;
    Ok(n == 1)
}

/// Revokes every live session of a staff member; returns how many.
pub async fn revoke_staff_sessions(
    client: &impl GenericClient,
    staff_id: Uuid,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    Ok(client
        .execute_cached(
            "UPDATE staff_sessions SET revoked_at = $2 WHERE staff_id = $1 AND revoked_at IS NULL AND expires_at > $2",
            &[&staff_id, &now],
        )
        .await?)
}
