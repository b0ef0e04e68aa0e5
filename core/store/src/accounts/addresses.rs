//! A shopper's addresses (checked by `core_domain::accounts::AddressInput`): reads, adds,
//! replacements, deletions, and the one default address.

use crate::Prepared;
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::{AccountError, AccountRejection, AddressInput, MAX_ADDRESSES};
use crate::StoreError;

/// A stored address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub id: Uuid,
    pub address: AddressInput,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

fn address_of(row: &Row) -> Address {
    Address {
        id: row.get(0),
        address: AddressInput {
            name: row.get(1),
            lines: row.get(2),
            city: row.get(3),
            postal_code: row.get(4),
            subdivision: row.get(5),
            country: row.get(6),
            phone: row.get(7),
            is_default: row.get(8),
        },
        created_at: row.get(9),
        updated_at: row.get(10),
    }
}

/// A shopper's addresses, the default first, then oldest first.
pub async fn addresses(client: &impl GenericClient, user_id: Uuid) -> Result<Vec<Address>, StoreError> {
    let rows = client
        .query_cached(
            "SELECT id, name, lines, city, postal_code, subdivision, country, phone, is_default, created_at, \
             updated_at FROM addresses WHERE user_id = $1 ORDER BY is_default DESC, created_at, id",
            &[&user_id],
        )
        .await?;
    Ok(rows.iter().map(address_of).collect())
}

/// One of a shopper's addresses; `None` when unknown or another shopper's.
pub async fn address(client: &impl GenericClient, user_id: Uuid, id: Uuid) -> Result<Option<Address>, StoreError> {
    let row = client
        .query_opt_cached(
            "SELECT id, name, lines, city, postal_code, subdivision, country, phone, is_default, created_at, \
             updated_at FROM addresses WHERE id = $1 AND user_id = $2",
            &[&id, &user_id],
        )
        .await?;
    Ok(row.as_ref().map(address_of))
}

/// Clears the default flag of the shopper's other addresses.
async fn clear_default(client: &impl GenericClient, user_id: Uuid, except: Uuid) -> Result<(), StoreError> {
    client
        .execute_cached(
            "UPDATE addresses SET is_default = false WHERE user_id = $1 AND is_default AND id <> $2",
            &[&user_id, &except],
        )
        .await?;
    Ok(())
}

/// Adds a checked address to a shopper's (in their home region). A default address takes the
/// flag from the previous one.
pub async fn add_address(
    client: &impl GenericClient,
    user_id: Uuid,
    a: &AddressInput,
    now: OffsetDateTime,
) -> Result<Address, AccountError> {
    let count: i64 =
        client.query_one_cached("SELECT count(*) FROM addresses WHERE user_id = $1", &[&user_id]).await?.get(0);
    if count >= MAX_ADDRESSES {
        return Err(AccountRejection::TooManyAddresses.into());
    }
    if a.is_default {
        clear_default(client, user_id, Uuid::nil()).await?;
    }
    let row = client
        .query_opt_cached(
            "INSERT INTO addresses (user_id, region, name, lines, city, postal_code, subdivision, country, phone, \
             is_default, created_at, updated_at) \
             SELECT id, region, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10 FROM users WHERE id = $1 AND erased_at IS NULL \
             RETURNING id, name, lines, city, postal_code, subdivision, country, phone, is_default, created_at, \
             updated_at",
            &[&user_id, &a.name, &a.lines, &a.city, &a.postal_code, &a.subdivision, &a.country, &a.phone, &a.is_default, &now],
        )
        .await?;
    row.as_ref().map(address_of).ok_or(AccountError::NotFound("account"))
}

/// Replaces one of a shopper's addresses with a checked one.
pub async fn replace_address(
    client: &impl GenericClient,
    user_id: Uuid,
    id: Uuid,
    a: &AddressInput,
    now: OffsetDateTime,
) -> Result<Address, AccountError> {
    if a.is_default {
        clear_default(client, user_id, id).await?;
    }
    let row = client
        .query_opt_cached(
            "UPDATE addresses SET name = $3, lines = $4, city = $5, postal_code = $6, subdivision = $7, \
             country = $8, phone = $9, is_default = $10, updated_at = $11 WHERE id = $1 AND user_id = $2 \
             RETURNING id, name, lines, city, postal_code, subdivision, country, phone, is_default, created_at, \
             updated_at",
            &[
                &id,
                &user_id,
                &a.name,
                &a.lines,
                &a.city,
                &a.postal_code,
                &a.subdivision,
                &a.country,
                &a.phone,
                &a.is_default,
                &now,
            ],
        )
        .await?;
    row.as_ref().map(address_of).ok_or(AccountError::NotFound("address"))
}

/// Deletes one of a shopper's addresses.
pub async fn delete_address(client: &impl GenericClient, user_id: Uuid, id: Uuid) -> Result<(), AccountError> {
    let n = client.execute_cached("DELETE FROM addresses WHERE id = $1 AND user_id = $2", &[&id, &user_id]).await?;
    if n == 1 { Ok(()) } else { Err(AccountError::NotFound("address")) }
}
