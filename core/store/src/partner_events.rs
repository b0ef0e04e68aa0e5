//! Partner events that verified but could not be applied (an order, shipment or label we do not
//! know): kept once per partner event id for operators, so that the partner can be answered
//! 200 and stop retrying.

use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Prepared, StoreError};

/// An event a partner sent that we could not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unapplied {
    pub id: Uuid,
    /// `payments`, `warehouse`, or `carrier:<code>`.
    pub partner: String,
    pub event_id: String,
    pub kind: String,
    /// Why it was not applied, a stable word (`unknown_order`, `unknown_label`…).
    pub reason: String,
    /// What the event named that we did not know (an order id, a tracking number), if anything.
    pub reference: Option<String>,
    pub received_at: OffsetDateTime,
}

/// Records `event` (received by the core of `region`); false when it was already recorded.
pub async fn record(client: &impl GenericClient, event: &Unapplied, region: &str) -> Result<bool, StoreError> {
    let n = client
        .execute_cached(
            "INSERT INTO partner_events_unapplied (partner, event_id, kind, reason, reference, region, received_at, id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (partner, event_id) DO NOTHING",
            &[
                &event.partner,
                &event.event_id,
                &event.kind,
                &event.reason,
                &event.reference,
                &region,
                &event.received_at,
                &event.id,
            ],
        )
        .await?;
    Ok(n == 1)
}

/// Unapplied events, newest first, after `after` (received at, id), at most `limit`.
pub async fn list(
    client: &impl GenericClient,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<Unapplied>, StoreError> {
    let (at, id) = (after.map(|a| a.0), after.map(|a| a.1));
    let rows = client
        .query_cached(
            "SELECT partner, event_id, kind, reason, reference, received_at, id FROM partner_events_unapplied \
             WHERE ($1::TIMESTAMPTZ IS NULL OR (received_at, id) < ($1, $2::UUID)) \
             ORDER BY received_at DESC, id DESC LIMIT $3",
            &[&at, &id, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Unapplied {
            partner: r.get(0),
            event_id: r.get(1),
            kind: r.get(2),
            reason: r.get(3),
            reference: r.get(4),
            received_at: r.get(5),
            id: r.get(6),
        })
        .collect())
}
