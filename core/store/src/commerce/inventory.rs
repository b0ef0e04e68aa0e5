//! Stock per warehouse, and reservations. Available to promise is `on_hand − reserved −
//! safety_stock`; a reservation is one conditional update of `reserved`, which holds under any
//! concurrency: two checkouts can never be promised the same unit.

use crate::Prepared;
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{CommerceError, Result};

/// How long stock stays held for an order that is not paid.
pub const HOLD_MINUTES: i64 = 30;

/// The most rows one variant's stock in one warehouse may be spread over.
pub const MAX_BUCKETS: u16 = 64;

/// Sets a variant's stock in a warehouse (the warehouse system's figure), spread over
/// `buckets` rows: as many checkouts can then reserve it at the same moment (for a flash sale;
/// 1 otherwise). What each bucket holds for unpaid orders stays in it; the free units are
/// shared out evenly; the safety stock sits in bucket 0.
pub async fn set_stock(
    tx: &impl GenericClient,
    warehouse: &str,
    region: &str,
    variant: Uuid,
    on_hand: i64,
    safety_stock: i64,
    buckets: u16,
) -> Result<()> {
    if on_hand < 0 || safety_stock < 0 {
        return Err(CommerceError::Rejected("stock figures must not be negative".into(), "validation_failed"));
    }
    if !(1..=MAX_BUCKETS).contains(&buckets) {
        return Err(CommerceError::Rejected(format!("buckets must be 1 to {MAX_BUCKETS}"), "validation_failed"));
    }
    let held: Vec<(i16, i64)> = tx
        .query_cached(
            "SELECT bucket, reserved FROM stock WHERE warehouse = $1 AND variant_id = $2 ORDER BY bucket FOR UPDATE",
            &[&warehouse, &variant],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let reserved: i64 = held.iter().map(|(_, r)| r).sum();
    if reserved > on_hand {
        return Err(CommerceError::Rejected(
            "on hand would fall below what is reserved for unpaid orders".into(),
            "stock_below_reserved",
        ));
    }
    // Buckets still holding units for unpaid orders are kept, whatever the new count.
    let in_use = held.iter().filter(|(_, r)| *r > 0).map(|(b, _)| i64::from(*b) + 1).max().unwrap_or(0);
    let count = i64::from(buckets).max(in_use);
    let free = on_hand - reserved;
    for bucket in 0..count {
        let mine = held.iter().find(|(b, _)| i64::from(*b) == bucket).map_or(0, |(_, r)| *r);
        let share = mine + free / count + i64::from(bucket < free % count);
        let (bucket, safety) = (bucket as i16, if bucket == 0 { safety_stock } else { 0 });
        tx.execute_cached(
            "INSERT INTO stock (warehouse, variant_id, bucket, region, on_hand, safety_stock) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (warehouse, variant_id, bucket) DO UPDATE SET on_hand = excluded.on_hand, \
             safety_stock = excluded.safety_stock, updated_at = now()",
            &[&warehouse, &variant, &bucket, &region, &share, &safety],
        )
        .await
        .map_err(|e| match crate::StoreError::from(e) {
            crate::StoreError::MissingReference { .. } => CommerceError::NotFound("variant"),
            other => other.into(),
        })?;
    }
    let count = count as i16;
    tx.execute_cached(
        "DELETE FROM stock WHERE warehouse = $1 AND variant_id = $2 AND bucket >= $3 AND reserved = 0",
        &[&warehouse, &variant, &count],
    )
    .await?;
    Ok(())
}

/// Available to promise per variant across `warehouses`.
pub async fn available(tx: &impl GenericClient, warehouses: &[String], variants: &[Uuid]) -> Result<Vec<(Uuid, i64)>> {
    let rows = tx
        .query_cached(
            "SELECT variant_id, sum(GREATEST(on_hand - reserved - safety_stock, 0))::INT8 FROM stock \
             WHERE warehouse = ANY($1) AND variant_id = ANY($2) GROUP BY variant_id",
            &[&warehouses, &variants],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Available to promise of each variant of `product` across `warehouses` (0 where it has no
/// stock there).
pub async fn product_availability(
    client: &impl GenericClient,
    product: Uuid,
    warehouses: &[String],
) -> Result<Vec<(Uuid, i64)>> {
    let rows = client
        .query_cached(
            "SELECT v.id, COALESCE(sum(GREATEST(s.on_hand - s.reserved - s.safety_stock, 0)), 0)::INT8 \
             FROM variants v LEFT JOIN stock s ON s.variant_id = v.id AND s.warehouse = ANY($2) \
             WHERE v.product_id = $1 GROUP BY v.id, v.position, v.sku ORDER BY v.position, v.sku",
            &[&product, &warehouses],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Reserves `quantity` of a variant for an order: in `prefer` (a warehouse and bucket that had
/// the units a moment ago) when it still has them, else in the first of `warehouses` (in order)
/// with a bucket that can ship it all. Each attempt is one conditional update.
#[allow(clippy::too_many_arguments)]
pub async fn reserve(
    tx: &impl GenericClient,
    order: Uuid,
    sku: &str,
    variant: Uuid,
    quantity: i64,
    warehouses: &[String],
    prefer: Option<(&str, i16)>,
    now: OffsetDateTime,
) -> Result<String> {
    let mut held = None;
    if let Some((warehouse, bucket)) = prefer.filter(|(w, _)| warehouses.iter().any(|x| x == w)) {
        held = tx
            .query_opt_cached(
                "UPDATE stock SET reserved = reserved + $3, updated_at = now() \
                 WHERE warehouse = $1 AND variant_id = $2 AND bucket = $4 AND on_hand - reserved - safety_stock >= $3 \
                 RETURNING warehouse, bucket, region",
                &[&warehouse, &variant, &quantity, &bucket],
            )
            .await?;
    }
    for warehouse in warehouses {
        if held.is_some() {
            break;
        }
        held = tx
            .query_opt_cached(
                "UPDATE stock SET reserved = reserved + $3, updated_at = now() \
                 WHERE warehouse = $1 AND variant_id = $2 AND on_hand - reserved - safety_stock >= $3 \
                   AND bucket = (SELECT bucket FROM stock WHERE warehouse = $1 AND variant_id = $2 \
                                 AND on_hand - reserved - safety_stock >= $3 ORDER BY bucket LIMIT 1) \
                 RETURNING warehouse, bucket, region",
                &[warehouse, &variant, &quantity],
            )
            .await?;
    }
    let Some(row) = held else { return Err(CommerceError::OutOfStock { sku: sku.to_string() }) };
    let (warehouse, bucket, region): (String, i16, String) = (row.get(0), row.get(1), row.get(2));
    tx.execute_cached(
        "INSERT INTO reservations (order_id, warehouse, variant_id, bucket, quantity, state, region, expires_at) \
         VALUES ($1, $2, $3, $4, $5, 'held', $6, $7)",
        &[&order, &warehouse, &variant, &bucket, &quantity, &region, &(now + time::Duration::minutes(HOLD_MINUTES))],
    )
    .await?;
    Ok(warehouse)
}

/// Gives back the stock an order holds (payment failed, cancelled, expired). Idempotent.
pub async fn release(tx: &impl GenericClient, order: Uuid) -> Result<u64> {
    settle(
        tx,
        order,
        "UPDATE reservations SET state = 'released' WHERE order_id = $1 AND state = 'held' \
         RETURNING warehouse, variant_id, quantity, bucket",
        "UPDATE stock SET reserved = reserved - $3, updated_at = now() \
         WHERE warehouse = $1 AND variant_id = $2 AND bucket = $4",
    )
    .await
}

/// Takes an order's held stock off the shelves (it shipped). Idempotent.
pub async fn commit(tx: &impl GenericClient, order: Uuid) -> Result<()> {
    settle(
        tx,
        order,
        "UPDATE reservations SET state = 'committed' WHERE order_id = $1 AND state = 'held' \
         RETURNING warehouse, variant_id, quantity, bucket",
        "UPDATE stock SET reserved = reserved - $3, on_hand = on_hand - $3, updated_at = now() \
         WHERE warehouse = $1 AND variant_id = $2 AND bucket = $4",
    )
    .await?;
    Ok(())
}

/// Moves an order's held reservations out of `held` (`reservations` returns each one's
/// warehouse, variant, quantity and bucket), then applies `stock` to the stock row of each
/// (`$1` warehouse, `$2` variant, `$3` quantity, `$4` bucket). Returns how many there were.
async fn settle(tx: &impl GenericClient, order: Uuid, reservations: &str, stock: &str) -> Result<u64> {
    let held = tx.query_cached(reservations, &[&order]).await?;
    for r in &held {
        let (warehouse, variant, quantity, bucket): (String, Uuid, i64, i16) = (r.get(0), r.get(1), r.get(2), r.get(3));
        tx.execute_cached(stock, &[&warehouse, &variant, &quantity, &bucket]).await?;
    }
    Ok(held.len() as u64)
}

/// Puts returned units back on the shelves of the warehouse that shipped them.
pub async fn restock(tx: &impl GenericClient, order: Uuid, variant: Uuid, quantity: i64) -> Result<()> {
    let shipped_from: Option<(String, i16)> = tx
        .query_opt_cached(
            "SELECT warehouse, bucket FROM reservations WHERE order_id = $1 AND variant_id = $2 AND state = 'committed' LIMIT 1",
            &[&order, &variant],
        )
        .await?
        .map(|r| (r.get(0), r.get(1)));
    if let Some((warehouse, bucket)) = shipped_from {
        tx.execute_cached(
            "UPDATE stock SET on_hand = on_hand + $3, updated_at = now() WHERE warehouse = $1 AND variant_id = $2 AND bucket = $4",
            &[&warehouse, &variant, &quantity, &bucket],
        )
        .await?;
    }
    Ok(())
}

/// Orders still awaiting payment whose held stock has expired. (A paid order keeps its hold
/// until it ships, however long that takes.)
pub async fn expired_holds(client: &impl GenericClient, limit: i64) -> Result<Vec<Uuid>> {
    let rows = client
        .query_cached(
            "SELECT DISTINCT r.order_id FROM reservations r JOIN orders o ON o.id = r.order_id \
             WHERE r.state = 'held' AND r.expires_at < now() AND o.status = 'pending_payment' LIMIT $1",
            &[&limit],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// A cart's lines with the stock available to promise for each in every warehouse (and bucket)
/// that holds it, in one statement. None when
/// the cart is not `owner`'s.
pub async fn cart_availability(
    client: &impl GenericClient,
    cart: Uuid,
    owner: &super::carts::Owner,
) -> Result<Option<(String, Vec<CartLineStock>)>> {
    let (user, guest) = match owner {
        super::carts::Owner::User(u) => (Some(*u), None),
        super::carts::Owner::Guest(h) => (None, Some(h.as_str())),
    };
    let rows = client
        .query_cached(
            "SELECT c.market, l.variant_id, l.quantity, s.warehouse, s.bucket, GREATEST(s.on_hand - s.reserved - s.safety_stock, 0)::INT8 \
             FROM carts c JOIN cart_lines l ON l.cart_id = c.id LEFT JOIN stock s ON s.variant_id = l.variant_id \
             WHERE c.id = $1 AND (c.user_id = $2 OR c.token_hash = $3)",
            &[&cart, &user, &guest],
        )
        .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let market: String = first.get(0);
    let mut lines: Vec<CartLineStock> = Vec::new();
    for r in &rows {
        let (variant, quantity): (Uuid, i32) = (r.get(1), r.get(2));
        let at: Option<(String, i16, i64)> = r.get::<_, Option<String>>(3).map(|w| (w, r.get(4), r.get(5)));
        match lines.iter_mut().find(|l| l.variant == variant) {
            Some(line) => line.stock.extend(at),
            None => lines.push(CartLineStock { variant, quantity, stock: at.into_iter().collect() }),
        }
    }
    Ok(Some((market, lines)))
}

/// One cart line and what each warehouse's buckets can promise of it.
#[derive(Debug, Clone)]
pub struct CartLineStock {
    pub variant: Uuid,
    pub quantity: i32,
    /// (warehouse, bucket, available to promise).
    pub stock: Vec<(String, i16, i64)>,
}
