//! What the checkers compare the history with: the database's rows and the partners' audits
//! at the end of a run (after the recovery window), and the stock before any load. Plain data:
//! [`collect`](crate::collect) reads it; tests build it by hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An order row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRow {
    pub id: String,
    pub cart: String,
    pub checkout_key: String,
    pub status: String,
    pub total_minor: i64,
    pub currency: String,
}

/// A payment row (one per order).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRow {
    pub order: String,
    pub status: String,
    pub amount_minor: i64,
    pub captured_minor: i64,
    pub refunded_minor: i64,
}

/// A recorded state change, in the order they were made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// `order`, `payment` or `return`.
    pub entity: String,
    pub entity_id: String,
    pub from: Option<String>,
    pub to: String,
    pub reason: String,
}

/// Units of one variant, summed over warehouses and buckets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Units {
    pub on_hand: i64,
    pub reserved: i64,
}

/// Reservations of one variant by state, in units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reserved {
    pub held: i64,
    pub committed: i64,
    pub released: i64,
}

/// An authorization at the payment provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    pub id: String,
    /// The order it pays for.
    pub reference: String,
    pub status: String,
    pub amount_minor: i64,
    pub captured_minor: i64,
    pub refunded_minor: i64,
}

/// An outbox event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEvent {
    pub id: String,
    pub topic: String,
    pub aggregate: String,
    pub status: String,
    pub attempts: i32,
}

/// A pick request the warehouse system received.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub id: String,
    pub order: String,
    pub warehouse: String,
    /// Requests received with this id (the platform may send one again: at least once).
    pub requests: u32,
}

/// A shipment the platform recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub order: String,
    pub reference: String,
}

/// Everything the checkers read besides the history.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FinalState {
    pub orders: Vec<OrderRow>,
    pub payments: Vec<PaymentRow>,
    pub transitions: Vec<Transition>,
    /// Stock per variant before the first operation of the run.
    pub stock_before: BTreeMap<String, Units>,
    /// Stock per variant now.
    pub stock_after: BTreeMap<String, Units>,
    /// Reservations per variant now.
    pub reservations: BTreeMap<String, Reserved>,
    /// Units put back on the shelves by received returns, per variant.
    pub restocked: BTreeMap<String, i64>,
    pub outbox: Vec<OutboxEvent>,
    pub authorizations: Vec<Authorization>,
    /// References the provider itself counts as charged twice.
    pub provider_double_charges: Vec<String>,
    pub picks: Vec<Pick>,
    /// Events the warehouse system's inbox applied more than once.
    pub warehouse_applied_twice: u64,
    pub shipments: Vec<Shipment>,
}
