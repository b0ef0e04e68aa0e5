//! Checkers of a history and the final state, in the manner of Jepsen's: each returns a
//! [`Verdict`] with what it checked and every violation with a minimal witness (the operations
//! and rows involved, nothing else).

mod bank;
mod idempotency;
mod outbox;
mod payments;
mod set;
mod states;

use serde::{Deserialize, Serialize};

use crate::history::Op;
use crate::state::FinalState;

/// One invariant broken, and what shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// What kind (`lost_acknowledged`, `double_charge`, `oversold`…): the counters of the
    /// summary are by kind.
    pub kind: String,
    /// One sentence.
    pub message: String,
    /// The operations involved, as the history has them.
    pub ops: Vec<Op>,
    /// The database rows or partner records involved, as text.
    pub facts: Vec<String>,
}

impl Violation {
    fn new(kind: &str, message: impl Into<String>) -> Self {
        Self { kind: kind.into(), message: message.into(), ops: Vec::new(), facts: Vec::new() }
    }

    fn ops<'a>(mut self, ops: impl IntoIterator<Item = &'a Op>) -> Self {
        self.ops.extend(ops.into_iter().cloned());
        self
    }

    fn fact(mut self, fact: impl Into<String>) -> Self {
        self.facts.push(fact.into());
        self
    }

    /// The witness as lines for a terminal or a report.
    pub fn witness(&self) -> Vec<String> {
        let mut lines = vec![format!("{}: {}", self.kind, self.message)];
        for op in &self.ops {
            lines.push(format!("  op {}", serde_json::to_string(op).unwrap_or_default()));
        }
        for fact in &self.facts {
            lines.push(format!("  row {fact}"));
        }
        lines
    }
}

/// A checker's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub checker: String,
    /// What the invariant is, for the report.
    pub invariant: String,
    /// How many things it looked at (orders, variants, keys…).
    pub checked: u64,
    pub violations: Vec<Violation>,
}

impl Verdict {
    fn new(checker: &str, invariant: &str) -> Self {
        Self { checker: checker.into(), invariant: invariant.into(), checked: 0, violations: Vec::new() }
    }

    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// Violations of `kind`.
    pub fn count(&self, kind: &str) -> usize {
        self.violations.iter().filter(|v| v.kind == kind).count()
    }
}

/// The operations that acknowledged `order`.
fn acked<'a>(history: &'a [Op], order: &str) -> Vec<&'a Op> {
    history.iter().filter(|op| op.acked_order() == Some(order)).collect()
}

/// The operations that acknowledged or showed `order` (or a return of it).
fn about<'a>(history: &'a [Op], order: &str) -> Vec<&'a Op> {
    use crate::history::Ack;
    history
        .iter()
        .filter(|op| match &op.ack {
            Some(Ack::Order { order: o, .. } | Ack::OrderSeen { order: o, .. } | Ack::Return { order: o, .. }) => {
                o == order
            }
            _ => false,
        })
        .collect()
}

/// Every checker on `history` and `state`.
pub fn check_all(history: &[Op], state: &FinalState) -> Vec<Verdict> {
    vec![
        set::check(history, state),
        bank::check(history, state),
        payments::check(history, state),
        states::check(history, state),
        outbox::check(history, state),
        idempotency::check(history, state),
    ]
}

/// How many violations of `kind` the verdicts hold.
pub fn count(verdicts: &[Verdict], kind: &str) -> usize {
    verdicts.iter().map(|v| v.count(kind)).sum()
}

/// How many violations in all.
pub fn total(verdicts: &[Verdict]) -> usize {
    verdicts.iter().map(|v| v.violations.len()).sum()
}

#[cfg(test)]
pub(crate) mod fixtures;
