//! The shopper's account: reading it, and changing their name, market, e-mail or password.
//! Changing the e-mail or the password needs the current password (checked like a login,
//! failures counting towards the lock) and ends the shopper's other sessions.

use core_store::accounts::{self as store, AccountError, AccountRejection, Principal, User, UserPatch};
use uuid::Uuid;

use super::account_not_found;
use super::logins::{begin, check_password};
use crate::App;
use crate::error::AppResult;

/// Changes to an account; absent fields stay.
#[derive(Clone, Debug, Default)]
pub struct ProfileChange {
    pub name: Option<String>,
    /// Another market of the same region.
    pub market: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    /// Needed to change the e-mail or the password.
    pub current_password: Option<String>,
}

/// The shopper's account.
pub async fn account(app: &App, user_id: Uuid) -> AppResult<User> {
    let client = app.store.client().await?;
    store::user(&client, user_id).await?.ok_or_else(account_not_found)
}

/// Changes the shopper's account from their session `session_id` (the one kept when the
/// others end).
pub async fn change(app: &App, user_id: Uuid, session_id: Uuid, change: ProfileChange) -> AppResult<User> {
    let mut patch =
        UserPatch { name: change.name, market: change.market, email: change.email, password_hash: None }.check()?;
    if let Some(p) = &change.password {
        store::check_password(p)?;
    }
    let sensitive = patch.email.is_some() || change.password.is_some();
    if sensitive {
        let Some(current) = change.current_password.as_deref() else {
            return Err(AccountRejection::Invalid {
                field: "current_password".into(),
                reason: "is required to change the email or the password".into(),
            }
            .into());
        };
        // The same bookkeeping as a login: failures count towards the lock.
        let user = account(app, user_id).await?;
        let now = app.auth.clock.now();
        let credentials = match begin(app, Principal::Shopper, &user.email, current, now).await {
            Ok(c) => c,
            Err(e) if e.code == "invalid_credentials" => return Err(AccountRejection::WrongCurrentPassword.into()),
            Err(e) => return Err(e),
        };
        if check_password(app, &credentials, current).await.is_err() {
            return Err(AccountRejection::WrongCurrentPassword.into());
        }
        if let Some(p) = &change.password {
            patch.password_hash = Some(app.auth.hash_password(p).await?);
        }
    }
    let now = app.auth.clock.now();
    let regions = app.regions.clone();
    let user = app
        .store
        .transaction(|tx| {
            let (patch, regions) = (patch.clone(), regions.clone());
            Box::pin(async move {
                let user = store::update_user(tx, &regions, user_id, &patch, now).await?;
                if sensitive {
                    store::login_succeeded(tx, Principal::Shopper, user_id).await?;
                    store::revoke_sessions(tx, user_id, Some(session_id), now).await?;
                }
                Ok::<_, AccountError>(user)
            })
        })
        .await?;
    Ok(user)
}
