//! An amount of money as every answer shows it: an integer in minor units of an ISO 4217
//! currency (cents; yen for JPY; fils for KWD), never a float.

use serde::Serialize;
use utoipa::ToSchema;

/// An amount: `{"amount_minor": 1999, "currency": "EUR"}` is 19.99 euros.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"amount_minor": 1999, "currency": "EUR"}))]
pub struct MoneyDto {
    /// Integer amount in minor units of the currency (the currency's ISO 4217 exponent).
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl MoneyDto {
    pub fn new(amount_minor: i64, currency: &str) -> Self {
        Self { amount_minor, currency: currency.to_string() }
    }
}

/// Amounts of one currency: `money(amount)` for each.
pub fn in_currency(currency: &str) -> impl Fn(i64) -> MoneyDto + '_ {
    move |amount| MoneyDto::new(amount, currency)
}
