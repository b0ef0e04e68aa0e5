//! Partner events that verified but could not be applied: a payment for an order we do not know,
//! a shipment of an unknown order, a tracking event for a label that is not ours. The partner is
//! answered 200 (a 404 would make it retry for days) and the event is recorded once, counted and
//! listed for operators.

use core_store::partner_events::{self as store, Unapplied};

use crate::App;
use crate::error::AppResult;
use crate::metrics::METRICS;

/// Records an event of `partner` that could not be applied (once per event id, counted).
pub async fn record(
    app: &App,
    partner: &str,
    event_id: &str,
    kind: &str,
    reason: &'static str,
    reference: Option<String>,
) -> AppResult<()> {
    let event = Unapplied {
        id: uuid::Uuid::new_v4(),
        partner: partner.to_string(),
        event_id: event_id.chars().take(200).collect(),
        kind: kind.chars().take(100).collect(),
        reason: reason.to_string(),
        reference: reference.map(|r| r.chars().take(200).collect()),
        received_at: app.auth.clock.now(),
    };
    let client = app.store.client().await?;
    let first = store::record(&client, &event, &app.region).await?;
    if first {
        METRICS.partner_events_unapplied.with_label_values(&[partner, reason]).inc();
        tracing::warn!(partner, event_id = %event.event_id, kind = %event.kind, reason, "partner event acknowledged but not applied");
    }
    Ok(())
}

/// The events recorded, newest first (at most `limit`).
pub async fn unapplied(
    app: &App,
    after: Option<core_domain::pages::After>,
    limit: i64,
) -> AppResult<(Vec<Unapplied>, Option<core_domain::pages::After>)> {
    let client = app.store.client().await?;
    let events = store::list(&client, after.and_then(crate::pages::key), limit + 1).await?;
    Ok(crate::pages::cut(events, limit, |e| (e.received_at, e.id)))
}
