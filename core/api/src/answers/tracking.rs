//! An order's parcels as the API answers them: its labels and its tracking timeline. What we
//! paid the carrier for a label is ours, not the shopper's: it is not in the answer.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::state::AppState;
use core_app::clock::rfc3339;

/// An order's labels and tracking timeline, as the shopper sees them.
#[derive(Serialize, ToSchema, PartialEq)]
pub struct TrackingDto {
    order_id: Uuid,
    labels: Vec<ParcelDto>,
    /// Every parcel's events, by carrier time.
    timeline: Vec<TrackingEventDto>,
}

/// One parcel: its carrier, service and tracking number, its status and expected delivery.
#[derive(Serialize, ToSchema, PartialEq)]
pub struct ParcelDto {
    carrier: String,
    service: String,
    tracking_number: String,
    label_url: String,
    /// The parcel's canonical status (`label_created`, `in_transit`, `delivered`…).
    status: String,
    /// Expected delivery day (`YYYY-MM-DD`), when the carrier gave one.
    eta: Option<String>,
}

#[derive(Serialize, ToSchema, PartialEq)]
pub struct TrackingEventDto {
    tracking_number: String,
    status: String,
    /// RFC 3339, the carrier's time.
    occurred_at: String,
}

/// An order's labels and tracking timeline.
pub async fn of_order(state: &AppState, order: Uuid) -> ApiResult<TrackingDto> {
    // Labels and timeline from one snapshot (a webhook committing between two reads would
    // show a timeline its label's status and ETA do not match).
    let (labels, timeline) = core_app::orders::tracking(state, order).await?;
    Ok(TrackingDto {
        order_id: order,
        labels: labels
            .into_iter()
            .map(|l| ParcelDto {
                carrier: l.carrier,
                service: l.service,
                tracking_number: l.tracking_number,
                label_url: l.label_url,
                status: l.status,
                eta: l.eta.map(|d| d.to_string()),
            })
            .collect(),
        timeline: timeline
            .into_iter()
            .map(|e| TrackingEventDto {
                tracking_number: e.tracking_number,
                status: e.status,
                occurred_at: rfc3339(e.occurred_at),
            })
            .collect(),
    })
}

impl TrackingDto {
    /// Whether the timeline has an event yet.
    pub fn has_events(&self) -> bool {
        !self.timeline.is_empty()
    }
}
