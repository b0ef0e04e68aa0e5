//! The merchandiser's promotions: creating, changing and archiving them (each one
//! SERIALIZABLE transaction, the definition checked as a whole), their coupon codes (explicit,
//! or generated in batches), and reading them back. Which promotions a cart gets is
//! [`crate::quote`]'s. A change of a promotion the catalog shows records in its transaction the
//! pages it changes (its targets' in its markets) for the edges to purge.

use core_domain::cache_tags::{self, Purge};
use core_store::changes::{self, NewChange};
use core_store::promotions::{
    self as store, CouponBatch, CouponQuery, CouponRecord, CouponSource, PromotionInput, PromotionPatch,
    PromotionQuery, PromotionRecord,
};
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, AppResult};

/// 404 `promotion_not_found`.
pub fn not_found() -> AppError {
    AppError::not_found("promotion_not_found", "no such promotion")
}

/// A promotion, and how many orders redeemed it.
pub async fn view(app: &App, id: Uuid) -> AppResult<(PromotionRecord, i64)> {
    let client = app.store.client().await?;
    let record = store::get_promotion(&client, id).await?.ok_or_else(not_found)?;
    let redemptions = store::redemption_count(&client, id).await?;
    Ok((record, redemptions))
}

/// Creates a promotion; answers its id.
pub async fn create(app: &App, input: &PromotionInput) -> AppResult<Uuid> {
    app.write(input, |tx, regions, input| {
        Box::pin(async move {
            let id = store::create_promotion(tx, &regions, &input).await?;
            let created = store::get_promotion(tx, id).await?.map(|r| cache_tags::promotion(&r.promotion));
            changed(tx, created.unwrap_or(Purge::Everything)).await?;
            Ok::<_, store::PromotionError>(id)
        })
    })
    .await
}

/// Changes a promotion; the result is checked as a whole. A total or per-customer limit set
/// where there was none counts the redemptions already made.
pub async fn update(app: &App, id: Uuid, patch: &PromotionPatch) -> AppResult<()> {
    app.write(patch, |tx, regions, patch| {
        Box::pin(async move {
            // The pages it showed on, and those it shows on now.
            let before = store::get_promotion(tx, id).await?.map(|r| cache_tags::promotion(&r.promotion));
            store::update_promotion(tx, &regions, id, &patch).await?;
            let after = store::get_promotion(tx, id).await?.map(|r| cache_tags::promotion(&r.promotion));
            let purge = before.zip(after).map_or(Purge::Everything, |(before, after)| before.merge(after));
            Ok::<_, store::PromotionError>(changed(tx, purge).await?)
        })
    })
    .await?;
    Ok(())
}

/// Archives a promotion: it stops applying at once and its codes stop working. Archiving
/// again changes nothing.
pub async fn archive(app: &App, id: Uuid) -> AppResult<()> {
    app.write(&(), |tx, _, ()| {
        Box::pin(async move {
            let archived = store::archive_promotion(tx, id).await?;
            Ok::<_, store::PromotionError>(changed(tx, cache_tags::promotion(&archived.promotion)).await?)
        })
    })
    .await?;
    Ok(())
}

/// Records in the writing transaction the pages a promotion's change makes obsolete.
async fn changed(tx: &core_store::Transaction<'_>, purge: Purge) -> Result<(), core_store::StoreError> {
    changes::record(tx, &NewChange { subject: "promotion", product: None, purge, metadata: false }).await
}

/// A page of promotions, newest first.
pub async fn list(app: &App, query: &PromotionQuery<'_>) -> AppResult<Vec<PromotionRecord>> {
    let client = app.store.client().await?;
    Ok(store::list_promotions(&client, query).await?)
}

/// Adds coupon codes to a promotion that requires one: explicit codes (all or none), or a
/// batch of unique random codes; `usage_limit` is each code's own limit.
pub async fn add_coupons(
    app: &App,
    id: Uuid,
    source: &CouponSource,
    usage_limit: Option<i64>,
) -> AppResult<CouponBatch> {
    app.write(source, |tx, _, source| Box::pin(async move { store::add_coupons(tx, id, &source, usage_limit).await }))
        .await
}

/// A page of a promotion's coupon codes, in code order.
pub async fn coupons(app: &App, query: &CouponQuery<'_>) -> AppResult<Vec<CouponRecord>> {
    let client = app.store.client().await?;
    Ok(store::list_coupons(&client, query).await?)
}
