//! A shopper's account and addresses as the API answers them (also in the GDPR export).

use core_store::accounts::{Address, User};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A shopper's account.
#[derive(Serialize, ToSchema)]
pub struct AccountOut {
    id: Uuid,
    email: String,
    name: String,
    market: String,
    /// Where the shopper's data lives and their writes go.
    home_region: String,
    created_at: String,
    updated_at: String,
}

impl From<User> for AccountOut {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            market: u.market,
            home_region: u.region,
            created_at: core_app::clock::rfc3339(u.created_at),
            updated_at: core_app::clock::rfc3339(u.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AddressOut {
    id: Uuid,
    name: String,
    lines: Vec<String>,
    city: String,
    postal_code: Option<String>,
    subdivision: Option<String>,
    country: String,
    phone: Option<String>,
    is_default: bool,
    created_at: String,
    updated_at: String,
}

impl From<Address> for AddressOut {
    fn from(a: Address) -> Self {
        let x = a.address;
        Self {
            id: a.id,
            name: x.name,
            lines: x.lines,
            city: x.city,
            postal_code: x.postal_code,
            subdivision: x.subdivision,
            country: x.country,
            phone: x.phone,
            is_default: x.is_default,
            created_at: core_app::clock::rfc3339(a.created_at),
            updated_at: core_app::clock::rfc3339(a.updated_at),
        }
    }
}
