//! Shoppers' accounts: sign-up (checked by `core_domain::accounts::NewUser`), reads, and
//! profile changes.

use crate::Prepared;
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::{AccountError, AccountRejection, NewUser, UserPatch, email_conflict};
use crate::StoreError;

/// A shopper's account, as the shopper sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub market: String,
    /// Home region: where the shopper's rows live and their writes go.
    pub region: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

fn user_of(row: &Row) -> User {
    User {
        id: row.get(0),
        email: row.get(1),
        name: row.get(2),
        market: row.get(3),
        region: row.get(4),
        created_at: row.get(5),
        updated_at: row.get(6),
    }
}

/// Creates a shopper's account. A taken email is [`AccountRejection::EmailTaken`].
pub async fn create_user(
    client: &impl GenericClient,
    user: &NewUser,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<User, AccountError> {
    let row = client
        .query_one_cached(
            "INSERT INTO users (email, name, market, region, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             RETURNING id, email, name, market, region, created_at, updated_at",
            &[&user.email, &user.name, &user.market, &user.region, &password_hash, &now],
        )
        .await
        .map_err(email_conflict)?;
    Ok(user_of(&row))
}

/// What a sign-up did: the account it created, or the account that already had the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignUp {
    Created(User),
    /// The address belongs to this account already (id, market, home region); nothing was
    /// changed.
    Existing {
        id: Uuid,
        market: String,
        region: String,
    },
}

/// Creates a shopper's account unless one has the address (erased accounts never do: their
/// address is replaced). Run inside a transaction: two sign-ups with one address serialize, and
/// the second finds the first's account.
pub async fn sign_up(
    client: &impl GenericClient,
    user: &NewUser,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<SignUp, AccountError> {
    let existing = client
        .query_opt_cached("SELECT id, market, region FROM users WHERE email = $1", &[&user.email])
        .await
        .map_err(StoreError::from)?;
    if let Some(row) = existing {
        return Ok(SignUp::Existing { id: row.get(0), market: row.get(1), region: row.get(2) });
    }
    create_user(client, user, password_hash, now).await.map(SignUp::Created)
}

/// A shopper's account; `None` when unknown or erased.
pub async fn user(client: &impl GenericClient, id: Uuid) -> Result<Option<User>, StoreError> {
    let row = client
        .query_opt_cached(
            "SELECT id, email, name, market, region, created_at, updated_at FROM users \
             WHERE id = $1 AND erased_at IS NULL",
            &[&id],
        )
        .await?;
    Ok(row.as_ref().map(user_of))
}

/// The password hash of a (non-erased) shopper, to check a current password.
pub async fn user_password_hash(client: &impl GenericClient, id: Uuid) -> Result<Option<String>, StoreError> {
    let row =
        client.query_opt_cached("SELECT password_hash FROM users WHERE id = $1 AND erased_at IS NULL", &[&id]).await?;
    Ok(row.and_then(|r| r.get(0)))
}

/// Applies a checked patch. A market must exist and be served from the account's home region.
pub async fn update_user(
    client: &impl GenericClient,
    regions: &regions::Catalog,
    id: Uuid,
    patch: &UserPatch,
    now: OffsetDateTime,
) -> Result<User, AccountError> {
    let current = user(client, id).await?.ok_or(AccountError::NotFound("account"))?;
    let market = match patch.market.as_deref() {
        None => None,
        Some(m) => {
            let market = regions
                .market(m)
                .ok_or_else(|| AccountRejection::UnknownMarket { market: m.chars().take(64).collect() })?;
            if market.region != current.region {
                return Err(AccountRejection::MarketInOtherRegion { market: market.id.to_string() }.into());
            }
            Some(market.id.to_string())
        }
    };
    let row = client
        .query_opt_cached(
            "UPDATE users SET name = COALESCE($2, name), market = COALESCE($3, market), \
             email = COALESCE($4, email), password_hash = COALESCE($5, password_hash), updated_at = $6 \
             WHERE id = $1 AND erased_at IS NULL \
             RETURNING id, email, name, market, region, created_at, updated_at",
            &[&id, &patch.name, &market, &patch.email, &patch.password_hash, &now],
        )
        .await
        .map_err(email_conflict)?;
    row.as_ref().map(user_of).ok_or(AccountError::NotFound("account"))
}
