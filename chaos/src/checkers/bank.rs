//! Jepsen's bank, for stock: per variant, what was on hand before the run plus what returns
//! put back equals what is on hand now plus what shipped (committed reservations); what is
//! reserved now is what held reservations say; and no more units were sold (held or shipped)
//! than there were.

use std::collections::BTreeSet;

use super::{Verdict, Violation};
use crate::history::{Ack, Op};
use crate::state::FinalState;

pub fn check(history: &[Op], state: &FinalState) -> Verdict {
    let mut verdict = Verdict::new(
        "stock",
        "on hand before + restocked = on hand now + shipped; reserved = held; sold never above what there was",
    );
    let variants: BTreeSet<&String> =
        state.stock_before.keys().chain(state.stock_after.keys()).chain(state.reservations.keys()).collect();
    verdict.checked = variants.len() as u64;
    for variant in variants {
        let before = state.stock_before.get(variant).copied().unwrap_or_default();
        let after = state.stock_after.get(variant).copied().unwrap_or_default();
        let r = state.reservations.get(variant).copied().unwrap_or_default();
        let restocked = state.restocked.get(variant).copied().unwrap_or(0);
        // Orders of this variant in the history: the witness of whatever is wrong with it.
        let ops = || {
            history.iter().filter(|op| match &op.ack {
                Some(Ack::Order { lines, .. }) => {
                    op.acked_order().is_some() && lines.iter().any(|l| &l.variant == variant)
                }
                _ => false,
            })
        };
        let facts =
            format!("variant {variant}: before {before:?}, after {after:?}, reservations {r:?}, restocked {restocked}");
        // A run starts on a fresh stack: no reservation predates it.
        let there = before.on_hand + restocked;
        let sold = r.held + r.committed;
        if sold > there {
            verdict.violations.push(
                Violation::new("oversold", format!("variant {variant}: {sold} units sold, {there} there were"))
                    .ops(ops())
                    .fact(facts.clone()),
            );
        }
        if before.on_hand + restocked != after.on_hand + r.committed {
            verdict.violations.push(
                Violation::new(
                    "stock_not_conserved",
                    format!(
                        "variant {variant}: {} on hand before + {restocked} restocked != {} on hand now + {} shipped",
                        before.on_hand, after.on_hand, r.committed
                    ),
                )
                .ops(ops())
                .fact(facts.clone()),
            );
        }
        if after.reserved != r.held {
            verdict.violations.push(
                Violation::new(
                    "reserved_not_held",
                    format!("variant {variant}: {} reserved, {} held by reservations", after.reserved, r.held),
                )
                .ops(ops())
                .fact(facts),
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
    fn units_that_vanished_or_were_sold_twice_are_caught() {
        let (history, mut state) = one_paid_order();
        assert!(check(&history, &state).passed(), "{:?}", check(&history, &state));
        state.stock_after.get_mut("v-1").unwrap().on_hand = 7;
        let verdict = check(&history, &state);
        assert_eq!(verdict.count("stock_not_conserved"), 1);
        assert_eq!(verdict.violations[0].ops, history, "the witness is the order of that variant");

        let (history, mut state) = one_paid_order();
        state.reservations.get_mut("v-1").unwrap().held = 9;
        state.stock_after.get_mut("v-1").unwrap().reserved = 9;
        let verdict = check(&history, &state);
        assert_eq!(verdict.count("oversold"), 1, "{verdict:?}");
    }

    #[test]
    fn a_return_restocked_keeps_the_books_balanced() {
        let (history, mut state) = one_paid_order();
        state.restocked.insert("v-1".into(), 1);
        state.stock_after.get_mut("v-1").unwrap().on_hand = 9;
        assert!(check(&history, &state).passed());
        state.reservations.get_mut("v-1").unwrap().held = 1;
        assert_eq!(check(&history, &state).count("reserved_not_held"), 1);
    }
}
