//! The warehouse system's stock feed, applied to stock per warehouse: a full snapshot of counts
//! (CSV `sku,on_hand` lines) and deltas (`{"deltas": [{"id", "sku", "change"}]}`, each applied
//! once by its id), pushed by the system or staff tools, or pulled from the system. What a feed
//! holds that cannot be applied (an unknown SKU, a count below what unpaid orders reserve) is
//! recorded and answered, never dropped.

use core_partners::DeliveryError;
use core_store::commerce::fulfilment::{self as store, FeedReport, StockDelta, Warehouse};
use http::StatusCode;
use serde::Deserialize;

use crate::App;
use crate::error::{AppError, AppResult};

/// A warehouse of the regions' files (404 `warehouse_not_found`).
pub fn warehouse<'a>(app: &'a App, id: &str) -> AppResult<Warehouse<'a>> {
    let (region, w) =
        app.regions.warehouse(id).ok_or_else(|| AppError::not_found("warehouse_not_found", "no such warehouse"))?;
    Ok(Warehouse { id: &w.id, region: &region.id })
}

/// A snapshot's `sku,on_hand` lines (a header line is allowed); the first bad line is refused
/// (400 `invalid_feed`).
pub fn parse_snapshot(csv: &str) -> AppResult<Vec<(String, i64)>> {
    let mut counts = Vec::new();
    for (n, line) in csv.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || (n == 0 && line.eq_ignore_ascii_case("sku,on_hand")) {
            continue;
        }
        let bad = || AppError::bad_request("invalid_feed", format!("line {}: expected `sku,on_hand`", n + 1));
        let (sku, count) = line.split_once(',').ok_or_else(bad)?;
        let count: i64 = count.trim().parse().map_err(|_| bad())?;
        if sku.trim().is_empty() || count < 0 {
            return Err(bad());
        }
        counts.push((sku.trim().to_string(), count));
    }
    Ok(counts)
}

/// Stock changes of a warehouse, as its system sends them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeltasIn {
    deltas: Vec<DeltaIn>,
}

/// One stock change: `change` units of `sku`, applied once by `id`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeltaIn {
    id: String,
    sku: String,
    change: i64,
    /// The system's sequence number (not needed: `id` makes a delta apply once).
    #[serde(default)]
    #[allow(dead_code)]
    seq: Option<u64>,
    #[serde(default)]
    #[allow(dead_code)]
    reason: Option<String>,
}

impl DeltasIn {
    /// The changes, each with its id and SKU (400 `invalid_feed` otherwise).
    fn checked(self) -> AppResult<Vec<StockDelta>> {
        self.deltas
            .into_iter()
            .map(|d| {
                if d.id.is_empty() || d.sku.is_empty() {
                    return Err(AppError::bad_request("invalid_feed", "a delta needs an id and a sku"));
                }
                Ok(StockDelta { id: d.id, sku: d.sku, change: d.change })
            })
            .collect()
    }
}

/// Applies a full count of the warehouse (`reference` names it); applying it again leaves the
/// same stock.
pub async fn apply_snapshot(app: &App, w: Warehouse<'_>, reference: &str, csv: &str) -> AppResult<FeedReport> {
    let counts = parse_snapshot(csv)?;
    Ok(store::apply_snapshot(&app.store, w, reference, &counts).await?)
}

/// Applies stock changes of the warehouse, each once.
pub async fn apply_deltas(app: &App, w: Warehouse<'_>, deltas: DeltasIn) -> AppResult<FeedReport> {
    let deltas = deltas.checked()?;
    Ok(store::apply_deltas(&app.store, w, &deltas).await?)
}

/// What a pull from the warehouse system applied.
#[derive(Debug)]
pub struct Pulled {
    /// The system's sequence number of the snapshot.
    pub sequence: u64,
    pub snapshot: FeedReport,
    pub deltas: FeedReport,
}

fn unavailable(e: DeliveryError) -> AppError {
    AppError::new(StatusCode::SERVICE_UNAVAILABLE, "warehouse_unavailable", e.message)
}

/// Fetches the warehouse's snapshot from its system, then the deltas recorded after it, and
/// applies both (503 `warehouse_unavailable` when the system is not configured or does not
/// answer).
pub async fn pull(app: &App, w: Warehouse<'_>) -> AppResult<Pulled> {
    let client = app
        .warehouse
        .clone()
        .ok_or_else(|| AppError::new(StatusCode::SERVICE_UNAVAILABLE, "warehouse_unavailable", "not configured"))?;
    let (sequence, csv) = client.snapshot(w.id).await.map_err(unavailable)?;
    let snapshot =
        apply_snapshot(app, w, &format!("seq-{sequence}"), std::str::from_utf8(&csv).unwrap_or_default()).await?;
    let body = client.deltas_after(w.id, sequence).await.map_err(unavailable)?;
    let deltas: DeltasIn =
        serde_json::from_slice(&body).map_err(|e| unavailable(DeliveryError::transient(e.to_string())))?;
    let deltas = apply_deltas(app, w, deltas).await?;
    Ok(Pulled { sequence, snapshot, deltas })
}

/// What the warehouse's feeds could not apply, newest first (at most `limit`):
/// `(source, reference, sku, reason)`.
pub async fn issues(
    app: &App,
    w: Warehouse<'_>,
    after: Option<core_domain::pages::After>,
    limit: i64,
) -> AppResult<(Vec<store::RecordedIssue>, Option<core_domain::pages::After>)> {
    let client = app.store.client().await?;
    let issues = store::feed_issues(&client, w.id, after.and_then(crate::pages::key), limit + 1).await?;
    Ok(crate::pages::cut(issues, limit, |i| (i.created_at, i.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_parse_or_name_their_bad_line() {
        let ok = parse_snapshot("sku,on_hand\nA-1,3\n\n B-2 , 0 \n").unwrap();
        assert_eq!(ok, [("A-1".to_string(), 3), ("B-2".to_string(), 0)]);
        for bad in ["A-1", "A-1,x", "A-1,-1", ",4", "sku,on_hand\nA,1\nsku,on_hand"] {
            let e = parse_snapshot(bad).unwrap_err();
            assert_eq!(e.code, "invalid_feed", "{bad}");
        }
    }
}
