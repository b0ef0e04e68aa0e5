//! The transactional outbox: an event is written in the same transaction as the change it
//! describes, so that it exists exactly when the change does. A dispatcher delivers them at
//! least once; consumers dedupe by id.

use deadpool_postgres::GenericClient;
use serde_json::Value;
use uuid::Uuid;

use super::Result;

pub async fn publish(
    tx: &impl GenericClient,
    topic: &str,
    aggregate: Uuid,
    region: &str,
    payload: &Value,
) -> Result<Uuid> {
    let row = tx
        .query_one(
            "INSERT INTO outbox (topic, aggregate_id, payload, region) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&topic, &aggregate, payload, &region],
        )
        .await?;
    Ok(row.get(0))
}
