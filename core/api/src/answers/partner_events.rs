//! The answer to a partner's signed event that could not be applied: acknowledged, so that the
//! partner stops sending it, and recorded for operators.

use axum::Json;
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::state::AppState;

/// Records the event (see `core_app::partner_events`) and answers 200 with
/// `{"id", "received": true, "applied": false, "reason"}`.
pub async fn acknowledge(
    state: &AppState,
    partner: &str,
    event_id: &str,
    kind: &str,
    reason: &'static str,
    reference: Option<String>,
) -> ApiResult<Json<Value>> {
    core_app::partner_events::record(state, partner, event_id, kind, reason, reference).await?;
    let id: String = event_id.chars().take(200).collect();
    Ok(Json(json!({"id": id, "received": true, "applied": false, "reason": reason})))
}
