//! The accounts' part of a shopper's GDPR erasure. (Their part of the export is the account,
//! its addresses and its sessions, read by [`crate::gdpr::export`].) [`crate::gdpr`] puts every
//! module's parts together.

use crate::Prepared;
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

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
