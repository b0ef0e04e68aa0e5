//! GDPR: a shopper's data export and erasure across modules. Each module holding personal data
//! about shoppers adds its part here: a section of the export, and statements of the erasure.
//! The accounts module's parts come first ([`crate::accounts::export`],
//! [`crate::accounts::erase`]).
//!
//! Erasure runs in one transaction (the caller's [`crate::Store::transaction`]): either every
//! module's personal data is gone, or nothing changed. Orders stay, anonymized, as tax evidence.

use deadpool_postgres::GenericClient;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{StoreError, accounts, commerce};

/// Everything the platform holds on a shopper, one JSON section per kind of data (`account`,
/// `addresses`, `sessions`, …). `None` when the account is unknown or erased. Run it in a
/// transaction so the sections agree with each other.
pub async fn export(client: &impl GenericClient, user_id: Uuid) -> Result<Option<Map<String, Value>>, StoreError> {
    let Some(mut sections) = accounts::export(client, user_id).await? else { return Ok(None) };
    other_sections(client, user_id, &mut sections).await?;
    Ok(Some(sections))
}

/// The sections of the modules other than accounts, each under its own key.
async fn other_sections(
    client: &impl GenericClient,
    user_id: Uuid,
    sections: &mut Map<String, Value>,
) -> Result<(), StoreError> {
    let orders = commerce::orders::export_for_user(client, user_id).await.map_err(StoreError::from)?;
    sections.insert("orders".into(), Value::Array(orders));
    let carts = commerce::carts::export_for_user(client, user_id).await.map_err(StoreError::from)?;
    sections.insert("carts".into(), Value::Array(carts));
    Ok(())
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
