//! Fulfilment with the warehouse system: what to pick for an order, the shipments it reports,
//! and its stock feed (a full snapshot of counts, and deltas) applied idempotently to stock per
//! warehouse. What a feed holds that cannot be applied (an unknown SKU, a count below what is
//! reserved for unpaid orders) is recorded in `stock_feed_issues` and answered, never dropped.

use crate::Prepared;
use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{CommerceError, Result, inventory};
use crate::Store;

/// What one warehouse must pick for an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pick {
    pub warehouse: String,
    /// `(sku, quantity)`, by SKU.
    pub lines: Vec<(String, i64)>,
}

/// An order's number and what each warehouse holds for it, from its reservations.
pub async fn picks(client: &impl GenericClient, order: Uuid) -> Result<Option<(String, Vec<Pick>)>> {
    let Some(row) = client.query_opt_cached("SELECT number FROM orders WHERE id = $1", &[&order]).await? else {
        return Ok(None);
    };
    let rows = client
        .query_cached(
            "SELECT r.warehouse, v.sku, sum(r.quantity)::INT8 FROM reservations r JOIN variants v ON v.id = r.variant_id \
             WHERE r.order_id = $1 AND r.state IN ('held', 'committed') GROUP BY r.warehouse, v.sku \
             ORDER BY r.warehouse, v.sku",
            &[&order],
        )
        .await?;
    let mut picks: Vec<Pick> = Vec::new();
    for r in &rows {
        let warehouse: String = r.get(0);
        if picks.last().is_none_or(|p| p.warehouse != warehouse) {
            picks.push(Pick { warehouse, lines: Vec::new() });
        }
        if let Some(last) = picks.last_mut() {
            last.lines.push((r.get(1), r.get(2)));
        }
    }
    Ok(Some((row.get(0), picks)))
}

/// A shipment the warehouse system reported.
#[derive(Clone, Debug)]
pub struct Shipment {
    pub order_id: Uuid,
    pub warehouse: String,
    /// The warehouse system's shipment id.
    pub reference: String,
    pub parcels: Value,
    pub weight_grams: i64,
}

/// Records a shipment once (by its reference); returns whether it was new. Then whether every
/// warehouse holding stock for the order has shipped.
pub async fn record_shipment(tx: &impl GenericClient, s: &Shipment) -> Result<(bool, bool)> {
    let region: String = tx
        .query_opt_cached("SELECT region FROM orders WHERE id = $1", &[&s.order_id])
        .await?
        .ok_or(CommerceError::NotFound("order"))?
        .get(0);
    let new = tx
        .execute_cached(
            "INSERT INTO shipments (order_id, warehouse, reference, parcels, weight_grams, region) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (reference) DO NOTHING",
            &[&s.order_id, &s.warehouse, &s.reference, &s.parcels, &s.weight_grams, &region],
        )
        .await?
        == 1;
    let missing: i64 = tx
        .query_one_cached(
            "SELECT count(DISTINCT r.warehouse)::INT8 FROM reservations r WHERE r.order_id = $1 \
             AND r.state IN ('held', 'committed') \
             AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = r.order_id AND s.warehouse = r.warehouse)",
            &[&s.order_id],
        )
        .await?
        .get(0);
    Ok((new, missing == 0))
}

/// An order's shipments, oldest first.
pub async fn shipments(client: &impl GenericClient, order: Uuid) -> Result<Vec<Shipment>> {
    let rows = client
        .query_cached(
            "SELECT order_id, warehouse, reference, parcels, weight_grams FROM shipments WHERE order_id = $1 \
             ORDER BY created_at, reference",
            &[&order],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Shipment {
            order_id: r.get(0),
            warehouse: r.get(1),
            reference: r.get(2),
            parcels: r.get(3),
            weight_grams: r.get(4),
        })
        .collect())
}

/// One change of a stock feed.
#[derive(Clone, Debug)]
pub struct StockDelta {
    /// The warehouse system's id of the delta (what makes it apply once).
    pub id: String,
    pub sku: String,
    pub change: i64,
}

/// What a feed item could not do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedIssue {
    pub reference: String,
    pub sku: String,
    /// `unknown_sku` or `below_reserved`.
    pub reason: &'static str,
}

/// What applying a feed did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedReport {
    /// Items applied (counts set, deltas added).
    pub applied: u32,
    /// Deltas already applied before, skipped.
    pub duplicates: u32,
    pub issues: Vec<FeedIssue>,
}

/// A warehouse and its region, as the regions folder has them.
#[derive(Clone, Copy, Debug)]
pub struct Warehouse<'a> {
    pub id: &'a str,
    pub region: &'a str,
}

async fn variants_by_sku(tx: &impl GenericClient, skus: &[String]) -> Result<HashMap<String, Uuid>> {
    let rows = tx.query_cached("SELECT sku, id FROM variants WHERE sku = ANY($1)", &[&skus]).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

async fn report_issue(tx: &impl GenericClient, w: Warehouse<'_>, source: &str, issue: &FeedIssue) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO stock_feed_issues (warehouse, source, reference, sku, reason, region) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (warehouse, source, reference, sku) DO NOTHING",
        &[&w.id, &source, &issue.reference, &issue.sku, &issue.reason, &w.region],
    )
    .await?;
    Ok(())
}

/// Sets a variant's count in a warehouse, keeping its safety stock and buckets; `false` when
/// the count is below what is reserved for unpaid orders (nothing changes then).
async fn set_count(tx: &impl GenericClient, w: Warehouse<'_>, variant: Uuid, on_hand: i64) -> Result<bool> {
    let row = tx
        .query_one_cached(
            "SELECT COALESCE(sum(reserved), 0)::INT8, COALESCE(max(safety_stock), 0)::INT8, count(*)::INT8 \
             FROM stock WHERE warehouse = $1 AND variant_id = $2",
            &[&w.id, &variant],
        )
        .await?;
    let (reserved, safety, buckets): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    if on_hand < reserved.max(0) {
        return Ok(false);
    }
    inventory::set_stock(tx, w.id, w.region, variant, on_hand, safety, buckets.clamp(1, 64) as u16).await?;
    Ok(true)
}

async fn on_hand(tx: &impl GenericClient, w: Warehouse<'_>, variant: Uuid) -> Result<i64> {
    Ok(tx
        .query_one_cached(
            "SELECT COALESCE(sum(on_hand), 0)::INT8 FROM stock WHERE warehouse = $1 AND variant_id = $2",
            &[&w.id, &variant],
        )
        .await?
        .get(0))
}

/// Applies a full snapshot (`reference` names it, e.g. its feed sequence): each known SKU's
/// count is set. Applying it again leaves the same stock.
pub async fn apply_snapshot(
    store: &Store,
    w: Warehouse<'_>,
    reference: &str,
    counts: &[(String, i64)],
) -> Result<FeedReport> {
    let (id, region, reference) = (w.id.to_string(), w.region.to_string(), reference.to_string());
    store
        .transaction(|tx| {
            let (id, region, reference, counts) = (id.clone(), region.clone(), reference.clone(), counts.to_vec());
            Box::pin(async move {
                let w = Warehouse { id: &id, region: &region };
                let skus: Vec<String> = counts.iter().map(|(s, _)| s.clone()).collect();
                let known = variants_by_sku(tx, &skus).await?;
                let mut report = FeedReport::default();
                for (sku, count) in &counts {
                    let reason = match known.get(sku) {
                        None => "unknown_sku",
                        Some(&variant) if set_count(tx, w, variant, *count).await? => {
                            report.applied += 1;
                            continue;
                        }
                        Some(_) => "below_reserved",
                    };
                    let issue = FeedIssue { reference: reference.clone(), sku: sku.clone(), reason };
                    report_issue(tx, w, "snapshot", &issue).await?;
                    report.issues.push(issue);
                }
                Ok::<_, CommerceError>(report)
            })
        })
        .await
}

/// Applies deltas, each once by its id: a delta seen before is skipped (counted in
/// `duplicates`), so a feed applied twice leaves the same stock.
pub async fn apply_deltas(store: &Store, w: Warehouse<'_>, deltas: &[StockDelta]) -> Result<FeedReport> {
    let (id, region) = (w.id.to_string(), w.region.to_string());
    store
        .transaction(|tx| {
            let (id, region, deltas) = (id.clone(), region.clone(), deltas.to_vec());
            Box::pin(async move {
                let w = Warehouse { id: &id, region: &region };
                let skus: Vec<String> = deltas.iter().map(|d| d.sku.clone()).collect();
                let known = variants_by_sku(tx, &skus).await?;
                let mut report = FeedReport::default();
                for d in &deltas {
                    let first = tx
                        .execute_cached(
                            "INSERT INTO stock_feed_deltas (warehouse, delta_id, region, change) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (warehouse, delta_id) DO NOTHING",
                            &[&w.id, &d.id, &w.region, &d.change],
                        )
                        .await?
                        == 1;
                    if !first {
                        report.duplicates += 1;
                        continue;
                    }
                    let reason = match known.get(&d.sku) {
                        None => "unknown_sku",
                        Some(&variant) => {
                            let count = on_hand(tx, w, variant).await? + d.change;
                            if count >= 0 && set_count(tx, w, variant, count).await? {
                                report.applied += 1;
                                continue;
                            }
                            "below_reserved"
                        }
                    };
                    let issue = FeedIssue { reference: d.id.clone(), sku: d.sku.clone(), reason };
                    report_issue(tx, w, "delta", &issue).await?;
                    report.issues.push(issue);
                }
                Ok::<_, CommerceError>(report)
            })
        })
        .await
}

/// Feed issues of a warehouse, newest first (by time, then id), after `after`, at most `limit`.
pub async fn feed_issues(
    client: &impl GenericClient,
    warehouse: &str,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<RecordedIssue>> {
    let (at, id) = (after.map(|a| a.0), after.map(|a| a.1));
    let rows = client
        .query_cached(
            "SELECT source, reference, sku, reason, created_at, id FROM stock_feed_issues WHERE warehouse = $1 \
             AND ($2::TIMESTAMPTZ IS NULL OR (created_at, id) < ($2, $3::UUID)) \
             ORDER BY created_at DESC, id DESC LIMIT $4",
            &[&warehouse, &at, &id, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| RecordedIssue {
            source: r.get(0),
            reference: r.get(1),
            sku: r.get(2),
            reason: r.get(3),
            created_at: r.get(4),
            id: r.get(5),
        })
        .collect())
}

/// A feed issue as recorded, for staff to resolve.
#[derive(Clone, Debug)]
pub struct RecordedIssue {
    /// `snapshot` or `delta`.
    pub source: String,
    /// The snapshot's or the delta's id.
    pub reference: String,
    pub sku: String,
    pub reason: String,
    pub created_at: OffsetDateTime,
    pub id: Uuid,
}
