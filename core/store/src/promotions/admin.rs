//! The merchandiser's promotions: creating, changing and archiving them (each checked as a
//! whole, by the domain's rules and against the catalog), reading one, and listing them.

use std::collections::HashSet;

use core_domain::promotions::{
    KindName, KindParts, PromotionInput, PromotionKind, PromotionRejection, Target, build_kind,
};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::PromotionError;
use super::records::{PromotionRecord, definition_json, now_timestamp, optional_timestamp, record};
use crate::{Prepared, StoreError};

/// Changes to a promotion; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct PromotionPatch {
    pub name: Option<String>,
    pub priority: Option<i32>,
    pub exclusive: Option<bool>,
    /// A new kind, defined by `parts` alone. Without it, `parts` change the current definition.
    pub kind: Option<KindName>,
    pub parts: KindParts,
    pub currency: Option<Option<String>>,
    pub markets: Option<Vec<String>>,
    pub starts_at: Option<Option<i64>>,
    pub ends_at: Option<Option<i64>>,
    pub requires_coupon: Option<bool>,
    pub usage_limit: Option<Option<i64>>,
    pub per_customer_limit: Option<Option<i32>>,
}

/// Checks a whole definition against the domain rules, the markets
/// ([`PromotionInput::check`]) and the catalog (every targeted product or category exists);
/// returns the normalized markets (sorted, deduplicated) and currency.
async fn check(
    client: &impl GenericClient,
    regions: &regions::Catalog,
    input: &PromotionInput,
    currency_given: bool,
) -> Result<(Vec<String>, Option<String>), PromotionError> {
    let scope = input.check(regions, currency_given)?;
    check_target(client, &input.kind).await?;
    Ok((scope.markets, scope.currency))
}

/// Every product or category a definition targets exists.
async fn check_target(client: &impl GenericClient, kind: &PromotionKind) -> Result<(), PromotionError> {
    let target = match kind {
        PromotionKind::Catalog { target, .. }
        | PromotionKind::Order { target, .. }
        | PromotionKind::BuyXGetY { target, .. } => target,
        PromotionKind::FreeShipping { .. } => return Ok(()),
    };
    let (ids, sql) = match target {
        Target::All => return Ok(()),
        Target::Products(ids) => (ids, "SELECT id FROM products WHERE id = ANY($1)"),
        Target::Categories(ids) => (ids, "SELECT id FROM categories WHERE id = ANY($1)"),
    };
    let wanted: Vec<Uuid> = ids.iter().copied().collect();
    let found: HashSet<Uuid> = client.query_cached(sql, &[&wanted]).await?.iter().map(|r| r.get(0)).collect();
    match wanted.into_iter().find(|id| !found.contains(id)) {
        None => Ok(()),
        Some(id) if matches!(target, Target::Products(_)) => Err(PromotionRejection::UnknownProduct { id }.into()),
        Some(id) => Err(PromotionRejection::UnknownCategory { id }.into()),
    }
}

/// Creates a promotion; returns its id.
pub async fn create_promotion(
    client: &impl GenericClient,
    regions: &regions::Catalog,
    input: &PromotionInput,
) -> Result<Uuid, PromotionError> {
    let (markets, currency) = check(client, regions, input, true).await?;
    let id = Uuid::new_v4();
    write_promotion(client, id, input, &currency, &markets, Write::Insert).await?;
    Ok(id)
}

enum Write {
    Insert,
    Update,
}

/// Stores every field of a checked promotion, as a new row or over the existing one.
async fn write_promotion(
    client: &impl GenericClient,
    id: Uuid,
    input: &PromotionInput,
    currency: &Option<String>,
    markets: &[String],
    how: Write,
) -> Result<(), PromotionError> {
    let sql = match how {
        Write::Insert => {
            "INSERT INTO promotions (id, name, priority, exclusive, kind, definition, currency, markets, starts_at, \
             ends_at, requires_coupon, usage_limit, per_customer_limit) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        }
        Write::Update => {
            "UPDATE promotions SET name = $2, priority = $3, exclusive = $4, kind = $5, definition = $6, \
             currency = $7, markets = $8, starts_at = $9, ends_at = $10, requires_coupon = $11, usage_limit = $12, \
             per_customer_limit = $13, updated_at = now() WHERE id = $1"
        }
    };
    client
        .execute_cached(
            sql,
            &[
                &id,
                &input.name,
                &input.priority,
                &input.exclusive,
                &KindName::of(&input.kind).as_str(),
                &definition_json(&input.kind),
                currency,
                &markets,
                &optional_timestamp("starts_at", input.starts_at)?,
                &optional_timestamp("ends_at", input.ends_at)?,
                &input.requires_coupon,
                &input.usage_limit,
                &input.per_customer_limit,
            ],
        )
        .await?;
    Ok(())
}

/// A promotion by id.
pub async fn get_promotion(client: &impl GenericClient, id: Uuid) -> Result<Option<PromotionRecord>, StoreError> {
    let row = client
        .query_opt_cached(concat!("SELECT ", promotion_columns!(), " FROM promotions p WHERE p.id = $1"), &[&id])
        .await?;
    row.as_ref().map(record).transpose()
}

/// A promotion by id, read for an update in this transaction.
async fn promotion_for_update(client: &impl GenericClient, id: Uuid) -> Result<PromotionRecord, PromotionError> {
    let row = client
        .query_opt_cached(
            concat!("SELECT ", promotion_columns!(), " FROM promotions p WHERE p.id = $1 FOR UPDATE"),
            &[&id],
        )
        .await?
        .ok_or(PromotionError::NotFound)?;
    Ok(record(&row)?)
}

/// Changes an active promotion. The result is checked as a whole, as on creation. Setting a
/// total or per-customer limit where there was none counts the past redemptions against it.
pub async fn update_promotion(
    client: &impl GenericClient,
    regions: &regions::Catalog,
    id: Uuid,
    patch: &PromotionPatch,
) -> Result<PromotionRecord, PromotionError> {
    let current = promotion_for_update(client, id).await?;
    if current.is_archived() {
        return Err(PromotionRejection::Archived.into());
    }
    let p = &current.promotion;
    let kind = match patch.kind {
        Some(name) => build_kind(name, patch.parts.clone())?,
        None if patch.parts.is_empty() => p.kind.clone(),
        None => build_kind(KindName::of(&p.kind), KindParts::of(&p.kind).overlay(&patch.parts))?,
    };
    let input = PromotionInput {
        name: patch.name.clone().unwrap_or_else(|| p.name.clone()),
        priority: patch.priority.unwrap_or(p.priority),
        exclusive: patch.exclusive.unwrap_or(p.exclusive),
        kind,
        currency: patch.currency.clone().unwrap_or_else(|| current.currency.clone()),
        markets: patch.markets.clone().unwrap_or_else(|| p.markets.clone()),
        starts_at: patch.starts_at.unwrap_or(p.starts_at),
        ends_at: patch.ends_at.unwrap_or(p.ends_at),
        requires_coupon: patch.requires_coupon.unwrap_or(p.requires_coupon),
        usage_limit: patch.usage_limit.unwrap_or(current.usage_limit),
        per_customer_limit: patch.per_customer_limit.unwrap_or(current.per_customer_limit),
    };
    let (markets, currency) = check(client, regions, &input, patch.currency.is_some()).await?;
    write_promotion(client, id, &input, &currency, &markets, Write::Update).await?;
    if current.usage_limit.is_none() && input.usage_limit.is_some() {
        client
            .execute_cached(
                "UPDATE promotions SET uses = (SELECT count(*) FROM promotion_redemptions WHERE promotion_id = $1) \
                 WHERE id = $1",
                &[&id],
            )
            .await?;
    }
    if current.per_customer_limit.is_none() && input.per_customer_limit.is_some() {
        client.execute_cached("DELETE FROM promotion_customer_uses WHERE promotion_id = $1", &[&id]).await?;
        client
            .execute_cached(
                "INSERT INTO promotion_customer_uses (promotion_id, customer_id, region, uses) \
                 SELECT promotion_id, customer_id, min(region), count(*)::INT4 FROM promotion_redemptions \
                 WHERE promotion_id = $1 AND customer_id IS NOT NULL GROUP BY promotion_id, customer_id",
                &[&id],
            )
            .await?;
    }
    promotion_for_update(client, id).await
}

/// Archives a promotion: it stops applying at once, and its codes stop resolving. Archiving
/// an archived promotion changes nothing.
pub async fn archive_promotion(client: &impl GenericClient, id: Uuid) -> Result<PromotionRecord, PromotionError> {
    client
        .execute_cached(
            "UPDATE promotions SET archived_at = now(), updated_at = now() WHERE id = $1 AND archived_at IS NULL",
            &[&id],
        )
        .await?;
    get_promotion(client, id).await?.ok_or(PromotionError::NotFound)
}

/// Which promotions a listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Not archived.
    #[default]
    Active,
    Archived,
    All,
}

impl StatusFilter {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => Self::Active,
            "archived" => Self::Archived,
            "all" => Self::All,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Archived => "archived",
            Self::All => "all",
        }
    }
}

/// A page of the admin listing, newest first.
#[derive(Clone, Debug)]
pub struct PromotionQuery<'a> {
    /// Only promotions that run in this market (including those of every market).
    pub market: Option<&'a str>,
    pub status: StatusFilter,
    /// Strictly after this (created_at in microseconds, id).
    pub after: Option<(i64, Uuid)>,
    pub limit: u32,
}

/// Promotions, newest first, keyset-paginated on `(created_at, id)`.
pub async fn list_promotions(
    client: &impl GenericClient,
    query: &PromotionQuery<'_>,
) -> Result<Vec<PromotionRecord>, StoreError> {
    // The first page starts before the end of time.
    let (at, id) = match query.after {
        Some((at, id)) => (now_timestamp(at)?, id),
        None => (time::macros::datetime!(9999-12-31 0:00 UTC), Uuid::max()),
    };
    let rows = client
        .query_cached(
            concat!(
                "SELECT ",
                promotion_columns!(),
                " FROM promotions p WHERE (p.created_at, p.id) < ($1, $2) \
                 AND ($3 = 'all' OR ($3 = 'archived') = (p.archived_at IS NOT NULL)) \
                 AND ($4::TEXT IS NULL OR cardinality(p.markets) = 0 OR $4::TEXT = ANY(p.markets)) \
                 ORDER BY p.created_at DESC, p.id DESC LIMIT $5"
            ),
            &[&at, &id, &query.status.as_str(), &query.market, &i64::from(query.limit)],
        )
        .await?;
    rows.iter().map(record).collect()
}
