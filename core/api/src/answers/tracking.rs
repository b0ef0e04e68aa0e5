//! An order's parcels as the API answers them: its labels and its tracking timeline.

use serde_json::{Value, json};
use time::Date;

use crate::error::ApiResult;
use crate::state::AppState;
use core_app::clock::rfc3339;

/// An order's labels and tracking timeline, as the shopper sees them.
pub async fn of_order(state: &AppState, order: uuid::Uuid) -> ApiResult<Value> {
    // Labels and timeline from one snapshot (a webhook committing between two reads would
    // show a timeline its label's status and ETA do not match).
    let (labels, timeline) = core_app::orders::tracking(state, order).await?;
    let date = |d: Option<Date>| d.map(|d| d.to_string());
    let labels: Vec<Value> = labels
        .iter()
        .map(|l| {
            json!({"carrier": l.carrier, "service": l.service, "tracking_number": l.tracking_number,
                "label_url": l.label_url, "status": l.status, "eta": date(l.eta),
                "amount_minor": l.amount_minor, "currency": l.currency})
        })
        .collect();
    let timeline: Vec<Value> = timeline
        .iter()
        .map(|e| {
            let at = rfc3339(e.occurred_at);
            json!({"tracking_number": e.tracking_number, "status": e.status, "occurred_at": at})
        })
        .collect();
    Ok(json!({"order_id": order, "labels": labels, "timeline": timeline}))
}
