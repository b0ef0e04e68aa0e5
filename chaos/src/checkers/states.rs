//! States only move forward: every recorded transition of an order, payment or return is one
//! its state machine allows, the transitions of each chain from its creation with none left
//! over, and what shoppers saw of an order never went back (a read that began after another
//! ended shows the same state or one reachable from it).

use std::collections::BTreeMap;

use core_domain::orders::{OrderStatus, PaymentStatus, ReturnStatus};

use super::{Verdict, Violation};
use crate::history::{Ack, Op};
use crate::state::{FinalState, Transition};

/// Whether `entity` may go from `from` to `to` in one step; `None` for an unknown state.
fn allowed(entity: &str, from: &str, to: &str) -> Option<bool> {
    Some(match entity {
        "order" => OrderStatus::parse(from)?.can_become(OrderStatus::parse(to)?),
        "payment" => PaymentStatus::parse(from)?.can_become(PaymentStatus::parse(to)?),
        "return" => ReturnStatus::parse(from)?.can_become(ReturnStatus::parse(to)?),
        _ => return None,
    })
}

/// The state an entity is created in.
fn initial(entity: &str) -> Option<&'static str> {
    match entity {
        "order" => Some(OrderStatus::PendingPayment.as_str()),
        "payment" => Some(PaymentStatus::Pending.as_str()),
        "return" => Some(ReturnStatus::Requested.as_str()),
        _ => None,
    }
}

/// Whether `to` can be reached from `from` in any number of allowed steps (zero included).
fn reachable(entity: &str, from: &str, to: &str) -> bool {
    let mut seen = vec![from.to_string()];
    let mut next = 0;
    while next < seen.len() {
        let here = seen[next].clone();
        next += 1;
        if here == to {
            return true;
        }
        let states: &[&str] = match entity {
            "order" => &["pending_payment", "confirmed", "payment_failed", "cancelled", "shipped", "delivered"],
            _ => &[
                "pending",
                "requires_action",
                "authorized",
                "declined",
                "voided",
                "captured",
                "partially_refunded",
                "refunded",
            ],
        };
        for s in states {
            if allowed(entity, &here, s) == Some(true) && !seen.iter().any(|x| x == s) {
                seen.push(s.to_string());
            }
        }
    }
    false
}

pub fn check(history: &[Op], state: &FinalState) -> Verdict {
    let mut verdict =
        Verdict::new("states", "every state change is allowed and chains from creation; reads never go back");
    let mut by_entity: BTreeMap<(&str, &str), Vec<&Transition>> = BTreeMap::new();
    for t in &state.transitions {
        by_entity.entry((t.entity.as_str(), t.entity_id.as_str())).or_default().push(t);
    }
    verdict.checked = by_entity.len() as u64;
    let order_ops = |id: &str| super::about(history, id);
    for ((entity, id), transitions) in &by_entity {
        let facts = || transitions.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>();
        // Rebuild the path: from creation, take each time a transition leaving the current
        // state (in recorded order; one transaction's rows may share a timestamp).
        let mut left: Vec<&Transition> = transitions.clone();
        let mut current: Option<String> = None;
        let mut broken = None;
        while !left.is_empty() {
            let Some(i) = left.iter().position(|t| t.from == current) else {
                broken = Some(format!("no recorded change leaves {}", current.as_deref().unwrap_or("creation")));
                break;
            };
            let t = left.remove(i);
            let ok = match &t.from {
                None => initial(entity) == Some(t.to.as_str()),
                Some(from) => allowed(entity, from, &t.to) == Some(true),
            };
            if !ok {
                broken = Some(format!("{} -> {} is not allowed", t.from.as_deref().unwrap_or("creation"), t.to));
                break;
            }
            current = Some(t.to.clone());
        }
        if let Some(why) = broken {
            let mut v = Violation::new("state_went_wrong", format!("{entity} {id}: {why}")).ops(order_ops(id));
            for f in facts() {
                v = v.fact(f);
            }
            verdict.violations.push(v);
        }
    }
    // What shoppers saw.
    let mut seen: BTreeMap<&str, Vec<(&Op, &str, &str)>> = BTreeMap::new();
    for op in history.iter().filter(|op| op.outcome == crate::history::Outcome::Ok) {
        match &op.ack {
            Some(Ack::Order { order, status, payment_status, .. })
            | Some(Ack::OrderSeen { order, status, payment_status }) => {
                seen.entry(order.as_str()).or_default().push((op, status.as_str(), payment_status.as_str()))
            }
            _ => {}
        }
    }
    for (order, reads) in &seen {
        'pairs: for (a, a_status, a_pay) in reads {
            for (b, b_status, b_pay) in reads {
                if a.end_ms < b.start_ms
                    && (!reachable("order", a_status, b_status) || !reachable("payment", a_pay, b_pay))
                {
                    verdict.violations.push(
                        Violation::new(
                            "state_went_back",
                            format!(
                                "order {order} was seen {a_status}/{a_pay}, then {b_status}/{b_pay} by a later read"
                            ),
                        )
                        .ops([*a, *b]),
                    );
                    break 'pairs;
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
    use crate::history::Journey;

    #[test]
    fn a_transition_the_machine_forbids_is_caught() {
        let (history, mut state) = one_paid_order();
        assert!(check(&history, &state).passed(), "{:?}", check(&history, &state));
        state.transitions.push(transition("order", "o-1", Some("shipped"), "confirmed"));
        let verdict = check(&history, &state);
        assert_eq!(verdict.count("state_went_wrong"), 1, "{verdict:?}");
    }

    #[test]
    fn transitions_recorded_with_one_timestamp_chain_in_any_order() {
        let (history, mut state) = one_paid_order();
        state.transitions.reverse();
        assert!(check(&history, &state).passed());
    }

    #[test]
    fn a_later_read_showing_an_earlier_state_is_caught() {
        let (mut history, state) = one_paid_order();
        let mut read = op(2, Journey::Tracking, "order", 5_000);
        read.ack =
            Some(Ack::OrderSeen { order: "o-1".into(), status: "shipped".into(), payment_status: "captured".into() });
        history.push(read.clone());
        assert!(check(&history, &state).passed());
        let mut back = op(3, Journey::Tracking, "order", 6_000);
        back.ack =
            Some(Ack::OrderSeen { order: "o-1".into(), status: "confirmed".into(), payment_status: "captured".into() });
        history.push(back.clone());
        let verdict = check(&history, &state);
        assert_eq!(verdict.count("state_went_back"), 1);
        assert_eq!(verdict.violations[0].ops, vec![read, back]);
    }
}
