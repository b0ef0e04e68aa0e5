//! Carts of shoppers and guests. A cart is reachable only by its owner: the shopper, or the
//! guest holding its token (stored as a SHA-256 hash); anyone else is told it does not exist.

use crate::Prepared;
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{CommerceError, Result};

/// Carts expire after this many days without a change.
pub const EXPIRY_DAYS: i64 = 30;
/// Most lines in a cart, and most units of one line.
pub const MAX_LINES: usize = 100;
pub const MAX_QUANTITY: i32 = 999;

/// Who a cart belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    User(Uuid),
    /// SHA-256 (hex) of the guest's cart token.
    Guest(String),
}

#[derive(Clone, Debug)]
pub struct Cart {
    pub id: Uuid,
    pub owner: Owner,
    pub market: String,
    pub language: String,
    pub region: String,
    pub coupons: Vec<String>,
    pub country: Option<String>,
    pub subdivision: Option<String>,
    /// The shipping option the shopper chose (`carrier:service`); none: the cheapest.
    pub shipping_option: Option<String>,
    pub status: String,
    pub lines: Vec<(Uuid, i32)>,
    pub expires_at: OffsetDateTime,
}

fn expiry() -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::days(EXPIRY_DAYS)
}

fn owner_columns(owner: &Owner) -> (Option<Uuid>, Option<String>) {
    match owner {
        Owner::User(id) => (Some(*id), None),
        Owner::Guest(hash) => (None, Some(hash.clone())),
    }
}

/// Creates an empty cart.
pub async fn create(
    tx: &impl GenericClient,
    market: &str,
    language: &str,
    region: &str,
    owner: &Owner,
) -> Result<Uuid> {
    let (user, token) = owner_columns(owner);
    let row = tx
        .query_one_cached(
            "INSERT INTO carts (user_id, token_hash, market, language, region, status, expires_at) \
             VALUES ($1, $2, $3, $4, $5, 'active', $6) RETURNING id",
            &[&user, &token, &market, &language, &region, &expiry()],
        )
        .await?;
    Ok(row.get(0))
}

/// The cart, if `owner` owns it (and it exists); `lock` takes it FOR UPDATE.
pub async fn load(client: &impl GenericClient, id: Uuid, owner: &Owner, lock: bool) -> Result<Option<Cart>> {
    let sql = format!(
        "SELECT id, user_id, token_hash, market, language, region, coupons, country, subdivision, \
         CASE WHEN status = 'active' AND expires_at < now() THEN 'expired' ELSE status END, expires_at, shipping_option \
         FROM carts WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    // The cart and its lines in one round trip (the lines are dropped if it is not the owner's).
    let lines_sql = "SELECT variant_id, quantity FROM cart_lines WHERE cart_id = $1 ORDER BY added_at, variant_id";
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&id];
    let (cart, lines) = futures::join!(client.query_opt_cached(&sql, &params), client.query_cached(lines_sql, &params));
    let (cart, lines) = match (cart, lines) {
        (Ok(cart), Ok(lines)) => (cart, lines),
        (Err(e), Err(other)) => {
            let (e, other) = (crate::StoreError::from(e), crate::StoreError::from(other));
            return Err(if other.is_serialization_failure() { other } else { e }.into());
        }
        (Err(e), _) | (_, Err(e)) => return Err(e.into()),
    };
    let Some(r) = cart else { return Ok(None) };
    let (user, token): (Option<Uuid>, Option<String>) = (r.get(1), r.get(2));
    let cart_owner = match (user, token) {
        (Some(u), _) => Owner::User(u),
        (None, Some(t)) => Owner::Guest(t),
        (None, None) => return Ok(None),
    };
    if cart_owner != *owner {
        return Ok(None);
    }
    let lines = lines.iter().map(|l| (l.get(0), l.get(1))).collect();
    Ok(Some(Cart {
        id: r.get(0),
        owner: cart_owner,
        market: r.get(3),
        language: r.get(4),
        region: r.get(5),
        coupons: r.get(6),
        country: r.get(7),
        subdivision: r.get(8),
        status: r.get(9),
        lines,
        expires_at: r.get(10),
        shipping_option: r.get(11),
    }))
}

/// Loads an active cart for a change, locked; a closed or expired one is refused.
pub async fn open_for_change(tx: &impl GenericClient, id: Uuid, owner: &Owner) -> Result<Cart> {
    let cart = load(tx, id, owner, true).await?.ok_or(CommerceError::NotFound("cart"))?;
    if cart.status != "active" {
        return Err(CommerceError::CartClosed { status: cart.status });
    }
    Ok(cart)
}

async fn touch(tx: &impl GenericClient, id: Uuid) -> Result<()> {
    tx.execute_cached("UPDATE carts SET updated_at = now(), expires_at = $2 WHERE id = $1", &[&id, &expiry()]).await?;
    Ok(())
}

/// Sets the quantity of a variant in the cart (0 removes it).
pub async fn set_quantity(
    tx: &impl GenericClient,
    id: Uuid,
    owner: &Owner,
    variant: Uuid,
    quantity: i32,
) -> Result<()> {
    let cart = open_for_change(tx, id, owner).await?;
    if !(0..=MAX_QUANTITY).contains(&quantity) {
        return Err(CommerceError::Rejected(
            format!("quantity must be between 0 and {MAX_QUANTITY}"),
            "invalid_quantity",
        ));
    }
    if quantity == 0 {
        tx.execute_cached("DELETE FROM cart_lines WHERE cart_id = $1 AND variant_id = $2", &[&id, &variant]).await?;
    } else {
        let exists = cart.lines.iter().any(|(v, _)| *v == variant);
        if !exists && cart.lines.len() >= MAX_LINES {
            return Err(CommerceError::Rejected(format!("at most {MAX_LINES} lines"), "too_many_lines"));
        }
        let known = tx.query_opt_cached("SELECT 1 FROM variants WHERE id = $1", &[&variant]).await?.is_some();
        if !known {
            return Err(CommerceError::NotFound("variant"));
        }
        tx.execute_cached(
            "INSERT INTO cart_lines (cart_id, variant_id, quantity, region) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = excluded.quantity",
            &[&id, &variant, &quantity, &cart.region],
        )
        .await?;
    }
    touch(tx, id).await
}

/// Replaces the cart's coupon codes (checked when quoted).
pub async fn set_coupons(tx: &impl GenericClient, id: Uuid, owner: &Owner, codes: &[String]) -> Result<()> {
    open_for_change(tx, id, owner).await?;
    tx.execute_cached("UPDATE carts SET coupons = $2 WHERE id = $1", &[&id, &codes]).await?;
    touch(tx, id).await
}

/// Sets where the cart ships (for its tax).
pub async fn set_destination(
    tx: &impl GenericClient,
    id: Uuid,
    owner: &Owner,
    country: &str,
    subdivision: Option<&str>,
) -> Result<()> {
    open_for_change(tx, id, owner).await?;
    tx.execute_cached("UPDATE carts SET country = $2, subdivision = $3 WHERE id = $1", &[&id, &country, &subdivision])
        .await?;
    touch(tx, id).await
}

/// Sets the shipping option the cart is charged (checked against the market's by the caller).
pub async fn set_shipping_option(tx: &impl GenericClient, id: Uuid, owner: &Owner, option: &str) -> Result<()> {
    open_for_change(tx, id, owner).await?;
    tx.execute_cached("UPDATE carts SET shipping_option = $2 WHERE id = $1", &[&id, &option]).await?;
    touch(tx, id).await
}

/// The shopper's active cart in a market, if any.
pub async fn active_cart_of(client: &impl GenericClient, user: Uuid, market: &str) -> Result<Option<Uuid>> {
    Ok(client
        .query_opt_cached(
            "SELECT id FROM carts WHERE user_id = $1 AND market = $2 AND status = 'active' AND expires_at > now() \
             ORDER BY updated_at DESC LIMIT 1",
            &[&user, &market],
        )
        .await?
        .map(|r| r.get(0)))
}

/// Merges a guest's cart into the shopper's active cart of the same market (created if
/// needed): quantities add up (capped), coupons are kept. Returns the shopper's cart.
pub async fn merge(tx: &impl GenericClient, guest_cart: Uuid, guest: &Owner, user: Uuid) -> Result<Uuid> {
    let from = open_for_change(tx, guest_cart, guest).await?;
    let owner = Owner::User(user);
    let into = match active_cart_of(tx, user, &from.market).await? {
        Some(id) => id,
        None => create(tx, &from.market, &from.language, &from.region, &owner).await?,
    };
    let target = open_for_change(tx, into, &owner).await?;
    for (variant, quantity) in &from.lines {
        let current = target.lines.iter().find(|(v, _)| v == variant).map_or(0, |(_, q)| *q);
        let merged = (current + quantity).min(MAX_QUANTITY);
        tx.execute_cached(
            "INSERT INTO cart_lines (cart_id, variant_id, quantity, region) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = excluded.quantity",
            &[&into, variant, &merged, &target.region],
        )
        .await?;
    }
    let mut coupons = target.coupons.clone();
    for c in from.coupons {
        if !coupons.contains(&c) {
            coupons.push(c);
        }
    }
    tx.execute_cached("UPDATE carts SET coupons = $2 WHERE id = $1", &[&into, &coupons]).await?;
    tx.execute_cached("UPDATE carts SET status = 'merged', updated_at = now() WHERE id = $1", &[&guest_cart]).await?;
    touch(tx, into).await?;
    Ok(into)
}

/// Closes a cart that became an order.
pub async fn close(tx: &impl GenericClient, id: Uuid) -> Result<()> {
    tx.execute_cached("UPDATE carts SET status = 'checked_out', updated_at = now() WHERE id = $1", &[&id]).await?;
    Ok(())
}

/// Opens again the cart that became `order` when the order's payment failed, so that the
/// shopper can pay it with another card; unless the shopper has started another cart in the
/// market since (a shopper has one active cart per market).
pub async fn reopen_for_order(tx: &impl GenericClient, order: Uuid) -> Result<()> {
    tx.execute_cached(
        "UPDATE carts SET status = 'active', updated_at = now(), expires_at = $2 \
         WHERE id = (SELECT cart_id FROM orders WHERE id = $1) AND status = 'checked_out' \
         AND NOT EXISTS (SELECT 1 FROM carts other WHERE other.user_id = carts.user_id \
                         AND other.market = carts.market AND other.status = 'active')",
        &[&order, &expiry()],
    )
    .await?;
    Ok(())
}

/// One cart of a shopper's GDPR export (the `carts` section).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedCart {
    pub id: Uuid,
    pub market: String,
    pub status: String,
    pub coupons: Vec<String>,
    pub country: Option<String>,
    pub subdivision: Option<String>,
    pub created_at: OffsetDateTime,
    /// (variant, quantity), in the order they were added.
    pub lines: Vec<(Uuid, i32)>,
}

/// A shopper's carts with their lines (GDPR export), oldest first.
pub async fn export_for_user(client: &impl GenericClient, user: Uuid) -> Result<Vec<ExportedCart>> {
    let rows = client
        .query_cached(
            "SELECT c.id, c.market, c.status, c.coupons, c.country, c.subdivision, c.created_at, \
             coalesce(array_agg(l.variant_id ORDER BY l.added_at) FILTER (WHERE l.variant_id IS NOT NULL), '{}'), \
             coalesce(array_agg(l.quantity ORDER BY l.added_at) FILTER (WHERE l.variant_id IS NOT NULL), '{}') \
             FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id WHERE c.user_id = $1 \
             GROUP BY c.id, c.market, c.status, c.coupons, c.country, c.subdivision, c.created_at ORDER BY c.created_at",
            &[&user],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let variants: Vec<Uuid> = r.get(7);
            let quantities: Vec<i32> = r.get(8);
            ExportedCart {
                id: r.get(0),
                market: r.get(1),
                status: r.get(2),
                coupons: r.get(3),
                country: r.get(4),
                subdivision: r.get(5),
                created_at: r.get(6),
                lines: variants.into_iter().zip(quantities).collect(),
            }
        })
        .collect())
}

/// Deletes a shopper's carts and their lines (GDPR erasure).
pub async fn delete_for_user(tx: &impl GenericClient, user: Uuid) -> Result<u64> {
    tx.execute_cached("DELETE FROM cart_lines WHERE cart_id IN (SELECT id FROM carts WHERE user_id = $1)", &[&user])
        .await?;
    Ok(tx.execute_cached("DELETE FROM carts WHERE user_id = $1", &[&user]).await?)
}
