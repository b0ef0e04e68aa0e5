//! The document of the GDPR export (`GET /v1/accounts/me/export`), from the store's records
//! ([`core_store::gdpr::PersonalData`]): `exported_at`, then one section per kind of data. The
//! account and its addresses have the shapes of their own answers; times are RFC 3339.

use core_store::accounts::Session;
use core_store::commerce::carts::ExportedCart;
use core_store::commerce::orders::ExportedOrder;
use core_store::gdpr::PersonalData;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::accounts::{AccountOut, AddressOut};
use super::money::MoneyDto;
use core_app::clock::rfc3339 as format_time;

/// Everything the platform holds on a shopper.
#[derive(Serialize)]
pub(crate) struct PersonalDataOut {
    exported_at: String,
    account: AccountOut,
    addresses: Vec<AddressOut>,
    sessions: Vec<SessionOut>,
    orders: Vec<OrderOut>,
    carts: Vec<CartOut>,
}

impl PersonalDataOut {
    pub(crate) fn new(data: PersonalData, exported_at: OffsetDateTime) -> Self {
        Self {
            exported_at: format_time(exported_at),
            account: data.account.into(),
            addresses: data.addresses.into_iter().map(AddressOut::from).collect(),
            sessions: data.sessions.into_iter().map(SessionOut::from).collect(),
            orders: data.orders.into_iter().map(OrderOut::from).collect(),
            carts: data.carts.into_iter().map(CartOut::from).collect(),
        }
    }
}

/// A session: metadata only (tokens are never stored).
#[derive(Serialize)]
struct SessionOut {
    id: Uuid,
    created_at: String,
    expires_at: String,
    revoked_at: Option<String>,
}

impl From<Session> for SessionOut {
    fn from(s: Session) -> Self {
        Self {
            id: s.id,
            created_at: format_time(s.created_at),
            expires_at: format_time(s.expires_at),
            revoked_at: s.revoked_at.map(format_time),
        }
    }
}

#[derive(Serialize)]
struct OrderOut {
    id: Uuid,
    number: String,
    market: String,
    status: String,
    total: MoneyDto,
    email: Option<String>,
    ship_to: Option<Value>,
    created_at: String,
}

impl From<ExportedOrder> for OrderOut {
    fn from(o: ExportedOrder) -> Self {
        let ExportedOrder { id, number, market, status, currency, total_minor, email, ship_to, created_at } = o;
        let total = MoneyDto::new(total_minor, &currency);
        Self { id, number, market, status, total, email, ship_to, created_at: format_time(created_at) }
    }
}

#[derive(Serialize)]
struct CartOut {
    id: Uuid,
    market: String,
    status: String,
    coupons: Vec<String>,
    country: Option<String>,
    subdivision: Option<String>,
    created_at: String,
    lines: Vec<CartLineOut>,
}

#[derive(Serialize)]
struct CartLineOut {
    variant_id: Uuid,
    quantity: i32,
}

impl From<ExportedCart> for CartOut {
    fn from(c: ExportedCart) -> Self {
        let ExportedCart { id, market, status, coupons, country, subdivision, created_at, lines } = c;
        let lines = lines.into_iter().map(|(variant_id, quantity)| CartLineOut { variant_id, quantity }).collect();
        Self { id, market, status, coupons, country, subdivision, created_at: format_time(created_at), lines }
    }
}
