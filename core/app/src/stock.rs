//! Stock as staff set it: a variant's count in a warehouse (what the warehouse system counts);
//! and what a market can sell of it: the stock of the warehouses that serve the market.

use core_store::commerce::inventory;
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, AppResult};

/// A variant's stock in a warehouse.
#[derive(Clone, Copy, Debug)]
pub struct StockLevel {
    pub on_hand: i64,
    pub safety_stock: i64,
    /// Spread over this many rows (1 to 64), so that as many checkouts can reserve it at the
    /// same moment: for a flash sale.
    pub buckets: u16,
}

/// The warehouses that serve `market`, in order of priority.
fn serving(app: &App, market: &str) -> Vec<String> {
    app.regions.warehouses_for(market).into_iter().map(|(_, w)| w.id.clone()).collect()
}

/// Units of each variant of `product` the market can sell now (0: out of stock there).
pub async fn product_availability(app: &App, market: &str, product: Uuid) -> AppResult<Vec<(Uuid, i64)>> {
    let client = app.store.client().await?;
    Ok(inventory::product_availability(&client, product, &serving(app, market)).await?)
}

/// Units of `variant` the market can sell now.
pub async fn available(app: &App, market: &str, variant: Uuid) -> AppResult<i64> {
    let client = app.store.client().await?;
    let found = inventory::available(&client, &serving(app, market), &[variant]).await?;
    Ok(found.first().map_or(0, |(_, units)| *units))
}

/// Sets a variant's stock in a warehouse of the regions' files.
pub async fn set(app: &App, warehouse: &str, variant: Uuid, level: StockLevel) -> AppResult<()> {
    let (region, w) = app
        .regions
        .warehouse(warehouse)
        .ok_or_else(|| AppError::not_found("warehouse_not_found", "no such warehouse"))?;
    let (warehouse, region) = (w.id.clone(), region.id.clone());
    app.store
        .transaction(|tx| {
            let (warehouse, region) = (warehouse.clone(), region.clone());
            Box::pin(async move {
                inventory::set_stock(tx, &warehouse, &region, variant, level.on_hand, level.safety_stock, level.buckets)
                    .await
            })
        })
        .await?;
    Ok(())
}
