//! The shopper's GDPR rights: the export of everything the platform holds on them (access and
//! portability), and erasure: personal data removed, sessions ended and login impossible from
//! then on, in one transaction; orders stay, anonymized, as tax evidence.

use core_store::gdpr::{self as store, PersonalData};
use uuid::Uuid;

use super::account_not_found;
use crate::App;
use crate::error::AppResult;

/// Erases the shopper; `session_id`, the session asking, is refused on this core at once.
pub async fn erase(app: &App, user_id: Uuid, session_id: Uuid) -> AppResult<()> {
    let now = app.auth.clock.now();
    let erased = app.store.transaction(|tx| Box::pin(async move { store::erase(tx, user_id, now).await })).await?;
    if !erased {
        return Err(account_not_found());
    }
    app.auth.note_revoked(session_id, now + app.auth.customer_ttl);
    tracing::info!(user_id = %user_id, "account erased");
    Ok(())
}

/// Everything held on the shopper, read from one snapshot.
pub async fn export(app: &App, user_id: Uuid) -> AppResult<PersonalData> {
    app.store
        .transaction(|tx| Box::pin(async move { store::export(tx, user_id).await }))
        .await?
        .ok_or_else(account_not_found)
}
