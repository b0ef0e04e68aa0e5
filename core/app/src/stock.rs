//! Stock as staff set it: a variant's count in a warehouse (what the warehouse system counts).

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
