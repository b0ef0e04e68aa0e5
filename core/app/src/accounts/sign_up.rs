//! Sign-up: a new shopper account, unless the address has one; then nothing changes and its
//! owner is told by e-mail. Either way the caller hears the same, and the password is hashed,
//! so that neither the answer nor its time tells whether the address has an account.

use core_store::accounts::{self as store, AccountError, NewUser, SignUp};
use core_store::commerce::outbox;

use crate::App;
use crate::error::AppResult;
use crate::mail::{ACCOUNT_CREATED, MailEvent, SIGN_UP_WITH_EXISTING_ADDRESS};
use crate::metrics::METRICS;

/// A new shopper account as asked for.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub email: String,
    /// At least 12 characters.
    pub password: String,
    pub name: String,
    /// The shopper's market: its region becomes the shopper's home region.
    pub market: String,
}

/// Creates the account, or tells the address's owner of the attempt: the e-mail is written to
/// the outbox in the same transaction.
pub async fn sign_up(app: &App, account: &NewAccount) -> AppResult<()> {
    let user = NewUser::check(&app.regions, &account.email, &account.name, &account.market)?;
    store::check_password(&account.password)?;
    let hash = app.auth.hash_password(&account.password).await?;
    let now = app.auth.clock.now();
    let signed = app
        .store
        .transaction(|tx| {
            let (user, hash) = (user.clone(), hash.clone());
            Box::pin(async move {
                let signed = store::sign_up(tx, &user, &hash, now).await?;
                let (topic, aggregate, region, mail) = match &signed {
                    SignUp::Created(u) => (
                        ACCOUNT_CREATED,
                        u.id,
                        u.region.clone(),
                        MailEvent { to: u.email.clone(), name: Some(u.name.clone()), market: u.market.clone() },
                    ),
                    SignUp::Existing { id, market, region } => (
                        SIGN_UP_WITH_EXISTING_ADDRESS,
                        *id,
                        region.clone(),
                        MailEvent { to: user.email.clone(), name: None, market: market.clone() },
                    ),
                };
                let payload = serde_json::to_value(&mail).unwrap_or_default();
                outbox::publish(tx, topic, aggregate, &region, &payload)
                    .await
                    .map_err(|e| AccountError::Store(e.into()))?;
                Ok::<_, AccountError>(signed)
            })
        })
        .await?;
    let address = if matches!(signed, SignUp::Created(_)) { "new" } else { "existing" };
    METRICS.sign_ups.with_label_values(&[address]).inc();
    Ok(())
}
