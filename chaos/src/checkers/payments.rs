//! Money: at most one charge per order (one authorization that is authorized or captured per
//! reference, and none the provider counts twice), captures never above the authorization,
//! refunds never above the capture (in our rows and at the provider), and nobody charged for
//! an order that failed or was cancelled.

use std::collections::BTreeMap;

use super::{Verdict, Violation};
use crate::history::Op;
use crate::state::FinalState;

/// Provider statuses in which the shopper's money is taken or held.
const CHARGED: &[&str] = &["authorized", "captured", "partially_refunded", "refunded"];

pub fn check(history: &[Op], state: &FinalState) -> Verdict {
    let mut verdict = Verdict::new(
        "payments",
        "at most one charge per order; captured <= authorized; refunded <= captured; no charge without an order",
    );
    let ops_of = |order: &str| super::acked(history, order);
    let mut charges: BTreeMap<&str, Vec<&crate::state::Authorization>> = BTreeMap::new();
    for a in &state.authorizations {
        if CHARGED.contains(&a.status.as_str()) {
            charges.entry(a.reference.as_str()).or_default().push(a);
        }
        if a.captured_minor > a.amount_minor || a.refunded_minor > a.captured_minor {
            verdict.violations.push(
                Violation::new("over_refund", format!("authorization {} captured or refunded more than it may", a.id))
                    .ops(ops_of(&a.reference))
                    .fact(format!("{a:?}")),
            );
        }
    }
    verdict.checked = (state.payments.len() + state.authorizations.len()) as u64;
    for (order, auths) in &charges {
        if auths.len() > 1 {
            let mut v = Violation::new("double_charge", format!("order {order} is charged {} times", auths.len()))
                .ops(ops_of(order));
            for a in auths {
                v = v.fact(format!("{a:?}"));
            }
            verdict.violations.push(v);
        }
    }
    for reference in &state.provider_double_charges {
        if charges.get(reference.as_str()).is_none_or(|a| a.len() < 2) {
            verdict.violations.push(
                Violation::new("double_charge", format!("the provider counts {reference} as charged twice"))
                    .ops(ops_of(reference)),
            );
        }
    }
    for p in &state.payments {
        if p.captured_minor > p.amount_minor || p.refunded_minor > p.captured_minor {
            verdict.violations.push(
                Violation::new("over_refund", format!("payment of order {} captured or refunded too much", p.order))
                    .ops(ops_of(&p.order))
                    .fact(format!("{p:?}")),
            );
        }
    }
    let orders: BTreeMap<&str, &crate::state::OrderRow> = state.orders.iter().map(|o| (o.id.as_str(), o)).collect();
    for (order, auths) in &charges {
        let held = auths.iter().any(|a| a.status == "authorized" || a.captured_minor > a.refunded_minor);
        match orders.get(order) {
            Some(row) if held && (row.status == "payment_failed" || row.status == "cancelled") => {
                verdict.violations.push(
                    Violation::new("charged_without_order", format!("order {order} is {} but charged", row.status))
                        .ops(ops_of(order))
                        .fact(format!("{row:?}"))
                        .fact(format!("{auths:?}")),
                );
            }
            _ => {}
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn a_double_capture_is_caught_with_the_order_s_checkout() {
        let (history, mut state) = one_paid_order();
        assert!(check(&history, &state).passed());
        let mut again = state.authorizations[0].clone();
        again.id = "auth-2".into();
        state.authorizations.push(again);
        let verdict = check(&history, &state);
        assert_eq!(verdict.count("double_charge"), 1, "{verdict:?}");
        assert_eq!(verdict.violations[0].ops, history);
        assert_eq!(verdict.violations[0].facts.len(), 2, "both authorizations are shown");
    }

    #[test]
    fn refunds_above_the_capture_are_caught() {
        let (history, mut state) = one_paid_order();
        state.payments[0].refunded_minor = 6000;
        assert_eq!(check(&history, &state).count("over_refund"), 1);
        let (history, mut state) = one_paid_order();
        state.authorizations[0].refunded_minor = 6000;
        assert_eq!(check(&history, &state).count("over_refund"), 1);
    }

    #[test]
    fn money_kept_for_a_failed_order_is_caught_but_a_void_is_not() {
        let (history, mut state) = one_paid_order();
        state.orders[0].status = "payment_failed".into();
        assert_eq!(check(&history, &state).count("charged_without_order"), 1);
        state.authorizations[0].status = "voided".into();
        state.authorizations[0].captured_minor = 0;
        assert!(check(&history, &state).passed());
    }
}
