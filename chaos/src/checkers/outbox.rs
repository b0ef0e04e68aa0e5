//! The outbox: every event is delivered (or skipped: no partner wants it), none left pending or
//! dead once the run has recovered; the warehouse system applied none twice; each order's pick
//! request in a warehouse is one pick (a redelivery is the same pick, never a second one), and
//! each paid order reached the warehouse.

use std::collections::{BTreeMap, BTreeSet};

use super::{Verdict, Violation};
use crate::history::Op;
use crate::state::FinalState;

pub fn check(history: &[Op], state: &FinalState) -> Verdict {
    let mut verdict = Verdict::new(
        "outbox",
        "every event delivered, applied once; one pick per order and warehouse; every paid order picked",
    );
    verdict.checked = state.outbox.len() as u64;
    let ops_of = |order: &str| super::acked(history, order);
    for e in &state.outbox {
        if e.status != "delivered" && e.status != "skipped" {
            verdict.violations.push(
                Violation::new("undelivered_event", format!("{} event {} is {}", e.topic, e.id, e.status))
                    .ops(ops_of(&e.aggregate))
                    .fact(format!("{e:?}")),
            );
        }
    }
    if state.warehouse_applied_twice > 0 {
        verdict.violations.push(Violation::new(
            "applied_twice",
            format!("the warehouse system applied {} events twice", state.warehouse_applied_twice),
        ));
    }
    let mut picks: BTreeMap<(&str, &str), Vec<&crate::state::Pick>> = BTreeMap::new();
    for p in &state.picks {
        picks.entry((p.order.as_str(), p.warehouse.as_str())).or_default().push(p);
    }
    for ((order, warehouse), ps) in picks.iter().filter(|(_, ps)| ps.len() > 1) {
        let mut v =
            Violation::new("picked_twice", format!("order {order} is {} picks in warehouse {warehouse}", ps.len()))
                .ops(ops_of(order));
        for p in ps {
            v = v.fact(format!("{p:?}"));
        }
        verdict.violations.push(v);
    }
    let picked: BTreeSet<&str> = state.picks.iter().map(|p| p.order.as_str()).collect();
    for o in &state.orders {
        if (o.status == "confirmed" || o.status == "shipped") && !picked.contains(o.id.as_str()) {
            verdict.violations.push(
                Violation::new(
                    "never_picked",
                    format!("order {} is {} and the warehouse never got it", o.id, o.status),
                )
                .ops(ops_of(&o.id))
                .fact(format!("{o:?}")),
            );
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn an_event_left_undelivered_or_a_second_pick_is_caught() {
        let (history, mut state) = one_paid_order();
        assert!(check(&history, &state).passed());
        state.outbox[0].status = "dead".into();
        assert_eq!(check(&history, &state).count("undelivered_event"), 1);

        let (history, mut state) = one_paid_order();
        let mut second = state.picks[0].clone();
        second.id = "p-2".into();
        state.picks.push(second);
        let verdict = check(&history, &state);
        assert_eq!(verdict.count("picked_twice"), 1);
        assert_eq!(verdict.violations[0].ops, history);

        let (history, mut state) = one_paid_order();
        state.picks.clear();
        assert_eq!(check(&history, &state).count("never_picked"), 1);
        state.warehouse_applied_twice = 1;
        assert_eq!(check(&history, &state).count("applied_twice"), 1);
    }
}
