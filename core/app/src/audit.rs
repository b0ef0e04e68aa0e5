//! The staff audit log (PCI DSS 10.2): who did what on the staff listener, when and from where.
//! Written for every request there (by `core-api`'s middleware) and for the console's
//! `create-admin`; read by admins.

use core_store::audit::{self as store, Entry};
use uuid::Uuid;

use crate::App;
use crate::error::AppResult;

/// Writes an entry in this core's region.
pub async fn record(app: &App, entry: &Entry) -> AppResult<()> {
    let client = app.store.client().await?;
    Ok(store::record(&client, entry, &app.region).await?)
}

/// Entries, newest first: of one staff member when given, before a time when given, at most
/// `limit`.
pub async fn list(
    app: &App,
    staff_id: Option<Uuid>,
    after: Option<core_domain::pages::After>,
    limit: i64,
) -> AppResult<(Vec<Entry>, Option<core_domain::pages::After>)> {
    let client = app.store.client().await?;
    let entries = store::list(&client, staff_id, after.and_then(crate::pages::key), limit + 1).await?;
    Ok(crate::pages::cut(entries, limit, |e| (e.at, e.id)))
}
