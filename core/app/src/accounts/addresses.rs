//! The shopper's addresses (at most 50, one of them the default). An address that is not the
//! caller's does not exist (404 `address_not_found`).

use core_store::accounts::{self as store, Address, AddressInput};
use uuid::Uuid;

use crate::App;
use crate::error::AppResult;

/// The shopper's addresses: the default first, then oldest first.
pub async fn list(app: &App, user_id: Uuid) -> AppResult<Vec<Address>> {
    let client = app.store.client().await?;
    Ok(store::addresses(&client, user_id).await?)
}

/// Adds an address, checked.
pub async fn add(app: &App, user_id: Uuid, input: AddressInput) -> AppResult<Address> {
    save(app, user_id, None, input).await
}

/// Replaces one of the shopper's addresses, checked.
pub async fn replace(app: &App, user_id: Uuid, id: Uuid, input: AddressInput) -> AppResult<Address> {
    save(app, user_id, Some(id), input).await
}

/// Adds an address, or replaces the address `id`.
async fn save(app: &App, user_id: Uuid, id: Option<Uuid>, input: AddressInput) -> AppResult<Address> {
    let input = input.check()?;
    let now = app.auth.clock.now();
    app.write(&input, |tx, _, input| {
        Box::pin(async move {
            match id {
                None => store::add_address(tx, user_id, &input, now).await,
                Some(id) => store::replace_address(tx, user_id, id, &input, now).await,
            }
        })
    })
    .await
}

/// Deletes one of the shopper's addresses.
pub async fn delete(app: &App, user_id: Uuid, id: Uuid) -> AppResult<()> {
    let client = app.store.client().await?;
    Ok(store::delete_address(&client, user_id, id).await?)
}
