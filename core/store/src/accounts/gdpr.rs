//! The accounts' part of a shopper's GDPR export (typed sections, serialized by the API) and
//! of their erasure. [`crate::gdpr`] puts every module's parts together.

use crate::Prepared;
use deadpool_postgres::GenericClient;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{addresses, user, user_sessions};
use crate::StoreError;
use crate::gdpr::{rfc3339, rfc3339_opt};

/// The `account` section of the export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportedAccount {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub market: String,
    pub home_region: String,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// One address of the `addresses` section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportedAddress {
    pub id: Uuid,
    pub name: String,
    pub lines: Vec<String>,
    pub city: String,
    pub postal_code: Option<String>,
    pub subdivision: Option<String>,
    pub country: String,
    pub phone: Option<String>,
    pub is_default: bool,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// One session of the `sessions` section: metadata only (tokens are never stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportedSession {
    pub id: Uuid,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(serialize_with = "rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(serialize_with = "rfc3339_opt")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// The personal data the accounts module holds on a shopper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountData {
    pub account: ExportedAccount,
    /// The default first, then oldest first.
    pub addresses: Vec<ExportedAddress>,
    /// Newest first.
    pub sessions: Vec<ExportedSession>,
}

/// The personal data the accounts module holds on a shopper, as sections of the export:
/// `account`, `addresses` and `sessions`. `None` when the account is unknown or erased.
pub async fn export(client: &impl GenericClient, user_id: Uuid) -> Result<Option<AccountData>, StoreError> {
    let Some(u) = user(client, user_id).await? else { return Ok(None) };
    let account = ExportedAccount {
        id: u.id,
        email: u.email,
        name: u.name,
        market: u.market,
        home_region: u.region,
        created_at: u.created_at,
        updated_at: u.updated_at,
    };
    let addresses = addresses(client, user_id)
        .await?
        .into_iter()
        .map(|a| {
            let x = a.address;
            ExportedAddress {
                id: a.id,
                name: x.name,
                lines: x.lines,
                city: x.city,
                postal_code: x.postal_code,
                subdivision: x.subdivision,
                country: x.country,
                phone: x.phone,
                is_default: x.is_default,
                created_at: a.created_at,
                updated_at: a.updated_at,
            }
        })
        .collect();
    let sessions = user_sessions(client, user_id)
        .await?
        .into_iter()
        .map(|s| ExportedSession {
            id: s.id,
            created_at: s.created_at,
            expires_at: s.expires_at,
            revoked_at: s.revoked_at,
        })
        .collect();
    Ok(Some(AccountData { account, addresses, sessions }))
}

/// Erases the accounts' personal data of a shopper: addresses deleted, sessions revoked, the
/// name emptied, the email replaced by a random placeholder (nothing derived from it, so it
/// cannot be reversed), the password hash removed, the account marked erased. The row stays,
/// so that orders kept for tax evidence still reference an (anonymous) account. Returns false
/// when the account is unknown or already erased. Part of [`crate::gdpr::erase`], which runs
/// every module's part in one transaction.
pub async fn erase(client: &impl GenericClient, user_id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
    let placeholder = format!("erased-{}@erased.invalid", Uuid::new_v4().simple());
    let n = client
        .execute_cached(
            "UPDATE users SET email = $2, name = '', password_hash = NULL, failed_logins = 0, locked_until = NULL, \
             erased_at = $3, updated_at = $3 WHERE id = $1 AND erased_at IS NULL",
            &[&user_id, &placeholder, &now],
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    client.execute_cached("DELETE FROM addresses WHERE user_id = $1", &[&user_id]).await?;
    client
        .execute_cached(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            &[&user_id, &now],
        )
        .await?;
    Ok(true)
}
