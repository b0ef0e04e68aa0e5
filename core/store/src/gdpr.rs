//! GDPR: a shopper's data export and erasure across modules. Each module holding personal data
//! about shoppers adds its part here: records of the export, and statements of the erasure.
//! The accounts module's parts come first (the account, its addresses and sessions;
//! [`crate::accounts::erase`]).
//!
//! The export is typed records ([`PersonalData`]); the API turns them into the JSON the
//! shopper downloads.
//!
//! Erasure runs in one transaction (the caller's [`crate::Store::transaction`]): either every
//! module's personal data is gone, or nothing changed. Orders stay, anonymized, as tax evidence.

use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::accounts::{Address, Session, User};
use crate::commerce::carts::ExportedCart;
use crate::commerce::orders::ExportedOrder;
use crate::{StoreError, accounts, commerce};

/// Everything the platform holds on a shopper, one field per kind of data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonalData {
    pub account: User,
    /// The default first, then oldest first.
    pub addresses: Vec<Address>,
    /// Metadata only (tokens are never stored), newest first.
    pub sessions: Vec<Session>,
    /// Oldest first.
    pub orders: Vec<ExportedOrder>,
    /// Oldest first.
    pub carts: Vec<ExportedCart>,
}

/// Everything the platform holds on a shopper. `None` when the account is unknown or erased.
/// Run it in a transaction so the sections agree with each other.
pub async fn export(client: &impl GenericClient, user_id: Uuid) -> Result<Option<PersonalData>, StoreError> {
    let Some(account) = accounts::user(client, user_id).await? else { return Ok(None) };
    let addresses = accounts::addresses(client, user_id).await?;
    let sessions = accounts::user_sessions(client, user_id).await?;
    let orders = commerce::orders::export_for_user(client, user_id).await.map_err(StoreError::from)?;
    let carts = commerce::carts::export_for_user(client, user_id).await.map_err(StoreError::from)?;
    Ok(Some(PersonalData { account, addresses, sessions, orders, carts }))
}

/// Erases a shopper: the accounts' personal data (see [`accounts::erase`]), then every other
/// module's. Returns false, changing nothing, when the account is unknown or already erased.
/// Run it inside [`crate::Store::transaction`].
pub async fn erase(client: &impl GenericClient, user_id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
    if !accounts::erase(client, user_id, now).await? {
        return Ok(false);
    }
    anonymize_other_modules(client, user_id, now).await?;
    Ok(true)
}

/// The other modules' part of an erasure, in the same transaction. Orders are kept for tax
/// evidence, unlinked from the account and with their personal fields emptied (amounts, tax
/// lines, market and destination country stay); carts are deleted.
async fn anonymize_other_modules(
    client: &impl GenericClient,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let _ = now;
    commerce::orders::anonymize_for_user(client, user_id).await.map_err(StoreError::from)?;
    commerce::carts::delete_for_user(client, user_id).await.map_err(StoreError::from)?;
    Ok(())
}
