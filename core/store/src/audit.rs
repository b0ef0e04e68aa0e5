//! The staff audit log: one row per request on the staff listener, only ever inserted (PCI DSS
//! 10.2: who did what, when, from where). Read back by admins, newest first.

use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Prepared, StoreError};

/// Who made a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A staff member through their own session (with the second factor, or enrolling it).
    Staff { staff_id: Uuid, session_id: Uuid },
    /// The service token, which only exists in development.
    ServiceToken,
    /// An operator at the server's console (`core-server create-admin`).
    Console,
    /// Nobody yet: a login, or credentials that did not verify.
    Anonymous,
}

impl Actor {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Staff { .. } => "staff",
            Self::ServiceToken => "service_token",
            Self::Console => "console",
            Self::Anonymous => "anonymous",
        }
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: Uuid,
    pub at: OffsetDateTime,
    pub actor: Actor,
    pub method: String,
    /// The route template (`/admin/v1/products/{id}`), or `other` for no route.
    pub route: String,
    /// The path and query as logs may show them (ids and words kept, values never).
    pub target: String,
    pub status: u16,
    /// The client's address as the staff listener saw it.
    pub client: String,
    pub request_id: String,
}

/// Appends `entry`, recorded by the core of `region`.
pub async fn record(client: &impl GenericClient, entry: &Entry, region: &str) -> Result<(), StoreError> {
    let (staff_id, session_id) = match entry.actor {
        Actor::Staff { staff_id, session_id } => (Some(staff_id), Some(session_id)),
        _ => (None, None),
    };
    client
        .execute_cached(
            "INSERT INTO staff_audit (at, region, actor, staff_id, session_id, method, route, target, status, client, \
             request_id, id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &entry.at,
                &region,
                &entry.actor.as_str(),
                &staff_id,
                &session_id,
                &entry.method,
                &entry.route,
                &entry.target,
                &i32::from(entry.status),
                &entry.client,
                &entry.request_id,
                &entry.id,
            ],
        )
        .await?;
    Ok(())
}

/// The newest entries (at most `limit`) before `before`, of one staff member when given.
pub async fn list(
    client: &impl GenericClient,
    staff_id: Option<Uuid>,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    let (at, id) = (after.map(|a| a.0), after.map(|a| a.1));
    let rows = client
        .query_cached(
            "SELECT at, actor, staff_id, session_id, method, route, target, status, client, request_id, id \
             FROM staff_audit WHERE ($1::UUID IS NULL OR staff_id = $1) \
             AND ($2::TIMESTAMPTZ IS NULL OR (at, id) < ($2, $3::UUID)) \
             ORDER BY at DESC, id DESC LIMIT $4",
            &[&staff_id, &at, &id, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let actor = match (r.get::<_, &str>(1), r.get::<_, Option<Uuid>>(2), r.get::<_, Option<Uuid>>(3)) {
                ("staff", Some(staff_id), Some(session_id)) => Actor::Staff { staff_id, session_id },
                ("service_token", _, _) => Actor::ServiceToken,
                ("console", _, _) => Actor::Console,
                _ => Actor::Anonymous,
            };
            Entry {
                id: r.get(10),
                at: r.get(0),
                actor,
                method: r.get(4),
                route: r.get(5),
                target: r.get(6),
                status: u16::try_from(r.get::<_, i32>(7)).unwrap_or(0),
                client: r.get(8),
                request_id: r.get(9),
            }
        })
        .collect())
}
