//! GDPR: a shopper's data export and erasure across modules. Each module holding personal data
//! about shoppers adds its part here: a section of the export, and statements of the erasure.
//! The accounts module's parts come first ([`crate::accounts::export`],
//! [`crate::accounts::erase`]).
//!
//! The export is typed records ([`PersonalData`]); the API serializes them (one JSON section
//! per field, times in RFC 3339).
//!
//! Erasure runs in one transaction (the caller's [`crate::Store::transaction`]): either every
//! module's personal data is gone, or nothing changed. Orders stay, anonymized, as tax evidence.

use deadpool_postgres::GenericClient;
use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::accounts::{AccountData, ExportedAccount, ExportedAddress, ExportedSession};
use crate::commerce::carts::ExportedCart;
use crate::commerce::orders::ExportedOrder;
use crate::{StoreError, accounts, commerce};

/// Everything the platform holds on a shopper, one section per kind of data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonalData {
    pub account: ExportedAccount,
    pub addresses: Vec<ExportedAddress>,
    pub sessions: Vec<ExportedSession>,
    /// Oldest first.
    pub orders: Vec<ExportedOrder>,
    /// Oldest first.
    pub carts: Vec<ExportedCart>,
}

/// Everything the platform holds on a shopper. `None` when the account is unknown or erased.
/// Run it in a transaction so the sections agree with each other.
pub async fn export(client: &impl GenericClient, user_id: Uuid) -> Result<Option<PersonalData>, StoreError> {
    let Some(AccountData { account, addresses, sessions }) = accounts::export(client, user_id).await? else {
        return Ok(None);
    };
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

/// Serializes a time of the export as RFC 3339 (an unrepresentable time as an empty string).
pub(crate) fn rfc3339<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.format(&Rfc3339).unwrap_or_default())
}

/// [`rfc3339`], or `null`.
pub(crate) fn rfc3339_opt<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}
