//! Idempotency keys: every answer that created or found something for one key names the same
//! thing (the same order for a checkout key), and a request reusing a key with another body is
//! refused.

use std::collections::BTreeMap;

use super::{Verdict, Violation};
use crate::history::{Ack, Op, Outcome};
use crate::state::FinalState;

/// What an answer for a key named.
fn named(op: &Op) -> Option<String> {
    match &op.ack {
        Some(Ack::Order { order, total_minor, .. }) => Some(format!("order {order} of {total_minor}")),
        Some(Ack::Return { return_id, refund_minor, .. }) => Some(format!("return {return_id} of {refund_minor}")),
        _ => None,
    }
}

pub fn check(history: &[Op], _state: &FinalState) -> Verdict {
    let mut verdict = Verdict::new(
        "idempotency",
        "answers for one Idempotency-Key name one result; the key with another body is refused",
    );
    let mut by_key: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for op in history {
        if let Some(key) = &op.key {
            by_key.entry(key.as_str()).or_default().push(op);
        }
    }
    verdict.checked = by_key.len() as u64;
    for (key, ops) in &by_key {
        let first_body = ops.iter().find(|op| op.outcome == Outcome::Ok).and_then(|op| op.body_hash.as_deref());
        let ok: Vec<&&Op> = ops.iter().filter(|op| op.outcome == Outcome::Ok && named(op).is_some()).collect();
        let answers: std::collections::BTreeSet<String> = ok.iter().filter_map(|op| named(op)).collect();
        if answers.len() > 1 {
            verdict.violations.push(
                Violation::new(
                    "idempotency_broken",
                    format!("key {key} was answered with {} different results", answers.len()),
                )
                .ops(ok.iter().map(|op| **op))
                .fact(answers.into_iter().collect::<Vec<_>>().join("; ")),
            );
        }
        // Another body with a key that already has a result must not succeed.
        if let Some(first) = first_body {
            for op in ops {
                if op.body_hash.as_deref() != Some(first) && op.outcome == Outcome::Ok {
                    verdict.violations.push(
                        Violation::new("key_reused_accepted", format!("key {key} was accepted with another body"))
                            .ops(ops.iter().copied().filter(|o| o.outcome == Outcome::Ok)),
                    );
                    break;
                }
            }
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn a_replay_answered_with_another_order_is_caught() {
        let (mut history, state) = one_paid_order();
        let mut replay = checkout(2, "o-1", "c-1", "k-1", 2_000);
        replay.status = Some(200);
        history.push(replay);
        assert!(check(&history, &state).passed());
        history.push(checkout(3, "o-2", "c-1", "k-1", 3_000));
        let verdict = check(&history, &state);
        assert_eq!(verdict.count("idempotency_broken"), 1);
        assert_eq!(verdict.violations[0].ops.len(), 3);
    }

    #[test]
    fn another_body_under_a_used_key_must_be_refused() {
        let (mut history, state) = one_paid_order();
        let mut other = checkout(2, "o-1", "c-1", "k-1", 2_000);
        other.body_hash = Some("another".into());
        other.outcome = Outcome::Fail;
        other.status = Some(422);
        history.push(other.clone());
        assert!(check(&history, &state).passed());
        history.last_mut().unwrap().outcome = Outcome::Ok;
        assert_eq!(check(&history, &state).count("key_reused_accepted"), 1);
    }
}
