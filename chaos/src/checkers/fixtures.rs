//! Small histories and states for the checkers' tests: one good run, that each test then
//! breaks on purpose.

use crate::history::{Ack, Journey, Line, Op, Outcome};
use crate::state::*;

/// An operation of `step` in `journey`, ok, with no acknowledgement.
pub fn op(id: u64, journey: Journey, step: &str, start_ms: u64) -> Op {
    Op {
        id,
        shopper: 1,
        journey,
        step: step.into(),
        region: "eu-west".into(),
        edge: "eu-west".into(),
        start_ms,
        end_ms: start_ms + 20,
        status: Some(200),
        outcome: Outcome::Ok,
        available: true,
        error: None,
        key: None,
        body_hash: None,
        ack: Some(Ack::Done),
    }
}

/// A checkout acknowledged as order `order` of cart `cart` (2 units of `v-1`, 5998 EUR).
pub fn checkout(id: u64, order: &str, cart: &str, key: &str, start_ms: u64) -> Op {
    Op {
        status: Some(201),
        key: Some(key.into()),
        body_hash: Some(format!("body-of-{cart}")),
        ack: Some(Ack::Order {
            order: order.into(),
            number: format!("FR-{order}"),
            cart: cart.into(),
            total_minor: 5998,
            currency: "EUR".into(),
            status: "confirmed".into(),
            payment_status: "authorized".into(),
            lines: vec![Line { variant: "v-1".into(), quantity: 2 }],
        }),
        ..op(id, Journey::Checkout, "checkout", start_ms)
    }
}

/// One guest's order of 2 units of `v-1` (10 on hand before), paid, shipped and captured:
/// a history and a state that every checker passes.
pub fn one_paid_order() -> (Vec<Op>, FinalState) {
    let history = vec![checkout(1, "o-1", "c-1", "k-1", 1_000)];
    let state = FinalState {
        orders: vec![OrderRow {
            id: "o-1".into(),
            cart: "c-1".into(),
            checkout_key: "k-1".into(),
            status: "shipped".into(),
            total_minor: 5998,
            currency: "EUR".into(),
        }],
        payments: vec![PaymentRow {
            order: "o-1".into(),
            status: "captured".into(),
            amount_minor: 5998,
            captured_minor: 5998,
            refunded_minor: 0,
        }],
        transitions: vec![
            transition("order", "o-1", None, "pending_payment"),
            transition("payment", "o-1", None, "pending"),
            transition("payment", "o-1", Some("pending"), "authorized"),
            transition("order", "o-1", Some("pending_payment"), "confirmed"),
            transition("order", "o-1", Some("confirmed"), "shipped"),
            transition("payment", "o-1", Some("authorized"), "captured"),
        ],
        stock_before: [("v-1".to_string(), Units { on_hand: 10, reserved: 0 })].into(),
        stock_after: [("v-1".to_string(), Units { on_hand: 8, reserved: 0 })].into(),
        reservations: [("v-1".to_string(), Reserved { held: 0, committed: 2, released: 0 })].into(),
        restocked: Default::default(),
        outbox: vec![OutboxEvent {
            id: "e-1".into(),
            topic: "order.confirmed".into(),
            aggregate: "o-1".into(),
            status: "delivered".into(),
            attempts: 1,
        }],
        authorizations: vec![Authorization {
            id: "auth-1".into(),
            reference: "o-1".into(),
            status: "captured".into(),
            amount_minor: 5998,
            captured_minor: 5998,
            refunded_minor: 0,
        }],
        provider_double_charges: Vec::new(),
        picks: vec![Pick { id: "p-1".into(), order: "o-1".into(), warehouse: "eu-par".into(), requests: 1 }],
        warehouse_applied_twice: 0,
        shipments: vec![Shipment { order: "o-1".into(), reference: "s-1".into() }],
    };
    (history, state)
}

pub fn transition(entity: &str, id: &str, from: Option<&str>, to: &str) -> Transition {
    Transition {
        entity: entity.into(),
        entity_id: id.into(),
        from: from.map(Into::into),
        to: to.into(),
        reason: "test".into(),
    }
}
