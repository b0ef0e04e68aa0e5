//! The history of a run: every operation a shopper started, when it ended, how it ended and
//! what the platform acknowledged, one JSON object per line (`history.jsonl`).
//!
//! Outcomes follow Jepsen's: `ok` (the platform answered and did it), `fail` (it answered that
//! it did not: a 4xx, or nothing was sent), `unknown` (no answer: it may or may not have
//! happened; a timeout after the request left). Checkers read acknowledgements only from `ok`
//! operations and allow `unknown` ones either way.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The user journey an operation belongs to: the unit of the SLO verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Journey {
    /// Product pages and categories.
    Browse,
    /// Carts: creating one, setting lines.
    Cart,
    /// `POST /v1/carts/{id}/checkout`.
    Checkout,
    /// An order's page and its parcel tracking.
    Tracking,
    /// A shopper asking to return an order.
    Returns,
    /// Steps that are not ours to serve (card tokens at the provider, staff actions): recorded,
    /// never counted in an SLO.
    Other,
}

impl Journey {
    /// The journeys with an SLO, in report order.
    pub const SLO: [Journey; 5] =
        [Journey::Browse, Journey::Cart, Journey::Checkout, Journey::Tracking, Journey::Returns];

    pub fn as_str(self) -> &'static str {
        match self {
            Journey::Browse => "browse",
            Journey::Cart => "cart",
            Journey::Checkout => "checkout",
            Journey::Tracking => "tracking",
            Journey::Returns => "returns",
            Journey::Other => "other",
        }
    }
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered and done.
    Ok,
    /// Answered that it was not done, or never sent.
    Fail,
    /// No answer: it may have been done.
    Unknown,
}

/// A line of an order as the shopper put it in the cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub variant: String,
    pub quantity: i64,
}

/// What an `ok` operation acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ack {
    /// A checkout's order.
    Order {
        order: String,
        number: String,
        cart: String,
        total_minor: i64,
        currency: String,
        status: String,
        payment_status: String,
        lines: Vec<Line>,
    },
    /// An order as a read showed it.
    OrderSeen { order: String, status: String, payment_status: String },
    /// A return the shopper asked for.
    Return { order: String, return_id: String, refund_minor: i64 },
    /// Anything else done (a cart, a line, a page): nothing for a checker.
    Done,
}

/// One operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// Unique in the history, in start order within one load process.
    pub id: u64,
    /// The shopper (one journey's run) it belongs to.
    pub shopper: u64,
    pub journey: Journey,
    /// The step (`product`, `cart_create`, `checkout`, `checkout_replay`…).
    pub step: String,
    /// The shopper's home region.
    pub region: String,
    /// The region whose edge answered (another one after a failover).
    pub edge: String,
    /// Unix milliseconds.
    pub start_ms: u64,
    pub end_ms: u64,
    /// HTTP status, when an answer came.
    pub status: Option<u16>,
    pub outcome: Outcome,
    /// Whether the operation counts as served for the availability SLO: an answer below 500
    /// other than 429 (a refusal by business rule is a served request).
    pub available: bool,
    /// The error code of the answer, or the transport error.
    pub error: Option<String>,
    /// The `Idempotency-Key` sent, for writes.
    pub key: Option<String>,
    /// A fingerprint of the request body, for writes: the same key with another body must be
    /// refused.
    pub body_hash: Option<String>,
    pub ack: Option<Ack>,
}

impl Op {
    pub fn latency_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.start_ms)
    }

    /// The order this operation acknowledged, if any.
    pub fn acked_order(&self) -> Option<&str> {
        match (&self.outcome, &self.ack) {
            (Outcome::Ok, Some(Ack::Order { order, .. })) => Some(order),
            _ => None,
        }
    }
}

/// Appends operations to a history file, one JSON line each.
pub struct Writer {
    out: BufWriter<std::fs::File>,
}

impl Writer {
    pub fn create(path: &Path) -> Result<Self> {
        let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { out: BufWriter::new(file) })
    }

    pub fn write(&mut self, op: &Op) -> Result<()> {
        serde_json::to_writer(&mut self.out, op)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    pub fn finish(mut self) -> Result<()> {
        self.out.flush()?;
        Ok(())
    }
}

/// Reads a history file.
pub fn read(path: &Path) -> Result<Vec<Op>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut ops = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        ops.push(serde_json::from_str(&line).with_context(|| format!("{} line {}", path.display(), n + 1))?);
    }
    Ok(ops)
}

/// Writes a whole history.
pub fn write_all(path: &Path, ops: &[Op]) -> Result<()> {
    let mut w = Writer::create(path)?;
    for op in ops {
        w.write(op)?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let op = Op {
            id: 1,
            shopper: 7,
            journey: Journey::Checkout,
            step: "checkout".into(),
            region: "eu-west".into(),
            edge: "us-east".into(),
            start_ms: 10,
            end_ms: 25,
            status: Some(201),
            outcome: Outcome::Ok,
            available: true,
            error: None,
            key: Some("k-1".into()),
            body_hash: Some("abc".into()),
            ack: Some(Ack::Order {
                order: "o-1".into(),
                number: "FR-X".into(),
                cart: "c-1".into(),
                total_minor: 2999,
                currency: "EUR".into(),
                status: "confirmed".into(),
                payment_status: "authorized".into(),
                lines: vec![Line { variant: "v-1".into(), quantity: 2 }],
            }),
        };
        write_all(&path, std::slice::from_ref(&op)).unwrap();
        assert_eq!(read(&path).unwrap(), vec![op.clone()]);
        assert_eq!(op.latency_ms(), 15);
        assert_eq!(op.acked_order(), Some("o-1"));
    }
}
