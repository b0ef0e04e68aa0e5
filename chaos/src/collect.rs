//! Reads the final state of a run: the database's orders, payments, state changes, stock,
//! reservations, returns and outbox, and the partners' audits.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use tokio_postgres::{Client as Sql, NoTls};

use crate::client::Client;
use crate::state::*;

/// A connection to the run's database.
pub async fn connect(url: &str) -> Result<Sql> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.context("connecting to the run's database")?;
    tokio::spawn(conn);
    Ok(client)
}

/// Stock per variant, summed over warehouses and buckets.
pub async fn stock(sql: &Sql) -> Result<BTreeMap<String, Units>> {
    let rows = sql
        .query("SELECT variant_id::text, sum(on_hand)::int8, sum(reserved)::int8 FROM stock GROUP BY variant_id", &[])
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), Units { on_hand: r.get(1), reserved: r.get(2) })).collect())
}

/// Where the partners are, and the key to their audits.
#[derive(Clone, Copy, Debug)]
pub struct Partners<'a> {
    pub payments: SocketAddr,
    pub payments_key: &'a str,
    pub warehouse: SocketAddr,
    pub warehouse_key: &'a str,
}

/// Everything but `stock_before`, which the run reads before its load.
pub async fn final_state(sql: &Sql, partners: Partners<'_>) -> Result<FinalState> {
    let mut state = FinalState::default();
    for r in sql
        .query("SELECT id::text, cart_id::text, checkout_key, status, total_minor, currency FROM orders", &[])
        .await?
    {
        state.orders.push(OrderRow {
            id: r.get(0),
            cart: r.get(1),
            checkout_key: r.get(2),
            status: r.get(3),
            total_minor: r.get(4),
            currency: r.get(5),
        });
    }
    for r in sql
        .query("SELECT order_id::text, status, amount_minor, captured_minor, refunded_minor FROM payments", &[])
        .await?
    {
        state.payments.push(PaymentRow {
            order: r.get(0),
            status: r.get(1),
            amount_minor: r.get(2),
            captured_minor: r.get(3),
            refunded_minor: r.get(4),
        });
    }
    for r in sql
        .query(
            "SELECT entity, entity_id::text, from_state, to_state, reason FROM state_transitions ORDER BY at, id",
            &[],
        )
        .await?
    {
        state.transitions.push(Transition {
            entity: r.get(0),
            entity_id: r.get(1),
            from: r.get(2),
            to: r.get(3),
            reason: r.get(4),
        });
    }
    state.stock_after = stock(sql).await?;
    for r in sql
        .query("SELECT variant_id::text, state, sum(quantity)::int8 FROM reservations GROUP BY variant_id, state", &[])
        .await?
    {
        let (variant, st, units): (String, String, i64) = (r.get(0), r.get(1), r.get(2));
        let e = state.reservations.entry(variant).or_default();
        match st.as_str() {
            "held" => e.held += units,
            "committed" => e.committed += units,
            _ => e.released += units,
        }
    }
    // Returns refunded were received: their units went back on the shelves.
    for r in sql
        .query(
            "SELECT l.variant_id::text, sum(l.quantity)::int8 FROM return_lines l JOIN returns r ON r.id = l.return_id \
             WHERE r.status = 'refunded' GROUP BY l.variant_id",
            &[],
        )
        .await?
    {
        state.restocked.insert(r.get(0), r.get(1));
    }
    for r in sql.query("SELECT id::text, topic, aggregate_id::text, status, attempts FROM outbox", &[]).await? {
        state.outbox.push(OutboxEvent {
            id: r.get(0),
            topic: r.get(1),
            aggregate: r.get(2),
            status: r.get(3),
            attempts: r.get(4),
        });
    }
    for r in sql.query("SELECT order_id::text, reference FROM shipments", &[]).await? {
        state.shipments.push(Shipment { order: r.get(0), reference: r.get(1) });
    }

    let http = Client::new(Duration::from_secs(30));
    let auth = format!("Bearer {}", partners.payments_key);
    let audit = http.call(partners.payments, "GET", "/_audit", &[("authorization", &auth)], None).await;
    let audit = audit.body().filter(|_| audit.status() == Some(200)).context("the payment provider's audit")?;
    for a in audit["authorizations"].as_array().into_iter().flatten() {
        state.authorizations.push(Authorization {
            id: text(&a["id"]),
            reference: text(&a["reference"]),
            status: text(&a["status"]),
            amount_minor: a["amount_minor"].as_i64().unwrap_or(0),
            captured_minor: a["captured_minor"].as_i64().unwrap_or(0),
            refunded_minor: a["refunded_minor"].as_i64().unwrap_or(0),
        });
    }
    state.provider_double_charges =
        audit["double_charges"].as_array().into_iter().flatten().map(|d| text(&d["reference"])).collect();
    let auth = format!("Bearer {}", partners.warehouse_key);
    let audit = http.call(partners.warehouse, "GET", "/_audit", &[("authorization", &auth)], None).await;
    let audit = audit.body().filter(|_| audit.status() == Some(200)).context("the warehouse system's audit")?;
    state.warehouse_applied_twice = audit["events"]["applied_twice"].as_u64().unwrap_or(0);
    for p in audit["picks"].as_array().into_iter().flatten() {
        state.picks.push(Pick {
            id: text(&p["id"]),
            order: text(&p["order_id"]),
            warehouse: text(&p["warehouse"]),
            requests: p["requests"].as_u64().unwrap_or(0) as u32,
        });
    }
    Ok(state)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}
