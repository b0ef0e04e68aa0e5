//! Jepsen's set, for orders: every order a checkout acknowledged is in the database, as it was
//! acknowledged (total and currency), and no cart became two orders.

use std::collections::BTreeMap;

use super::{Verdict, Violation};
use crate::history::{Ack, Op};
use crate::state::FinalState;

pub fn check(history: &[Op], state: &FinalState) -> Verdict {
    let mut verdict = Verdict::new(
        "acknowledged_orders",
        "every acknowledged order is in the database as acknowledged, and no cart is two orders",
    );
    let rows: BTreeMap<&str, _> = state.orders.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut acked: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for op in history {
        if let Some(order) = op.acked_order() {
            acked.entry(order).or_default().push(op);
        }
    }
    verdict.checked = acked.len() as u64;
    for (order, ops) in &acked {
        let Some(row) = rows.get(order) else {
            verdict.violations.push(
                Violation::new(
                    "lost_acknowledged",
                    format!("order {order} was acknowledged and is not in the database"),
                )
                .ops(ops.iter().copied()),
            );
            continue;
        };
        for op in ops {
            if let Some(Ack::Order { total_minor, currency, .. }) = &op.ack
                && (*total_minor != row.total_minor || *currency != row.currency)
            {
                verdict.violations.push(
                    Violation::new(
                        "changed_acknowledged",
                        format!("order {order} was acknowledged at {total_minor} {currency} and is recorded otherwise"),
                    )
                    .ops([*op])
                    .fact(format!("{row:?}")),
                );
            }
        }
    }
    let mut by_cart: BTreeMap<&str, Vec<&crate::state::OrderRow>> = BTreeMap::new();
    for row in &state.orders {
        by_cart.entry(row.cart.as_str()).or_default().push(row);
    }
    for (cart, rows) in by_cart.into_iter().filter(|(_, rows)| rows.len() > 1) {
        let ops = history.iter().filter(|op| match &op.ack {
            Some(Ack::Order { cart: c, .. }) => c == cart,
            _ => false,
        });
        let mut v = Violation::new("duplicated_order", format!("cart {cart} became {} orders", rows.len())).ops(ops);
        for row in rows {
            v = v.fact(format!("{row:?}"));
        }
        verdict.violations.push(v);
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn a_lost_acknowledged_order_is_caught_with_its_checkout() {
        let (mut history, mut state) = one_paid_order();
        assert!(check(&history, &state).passed());
        state.orders.clear();
        let verdict = check(&history, &state);
        assert_eq!(verdict.count("lost_acknowledged"), 1, "{verdict:?}");
        assert_eq!(verdict.violations[0].ops, vec![history[0].clone()], "the witness is the acknowledging checkout");
        // An unknown outcome acknowledged nothing: its order may be missing.
        history[0].outcome = crate::history::Outcome::Unknown;
        assert!(check(&history, &state).passed());
    }

    #[test]
    fn a_cart_that_became_two_orders_is_caught() {
        let (history, mut state) = one_paid_order();
        let mut twin = state.orders[0].clone();
        twin.id = "o-twin".into();
        state.orders.push(twin);
        let verdict = check(&history, &state);
        assert_eq!(verdict.count("duplicated_order"), 1);
        assert_eq!(verdict.violations[0].facts.len(), 2);
    }

    #[test]
    fn an_order_recorded_with_another_total_is_caught() {
        let (history, mut state) = one_paid_order();
        state.orders[0].total_minor += 1;
        assert_eq!(check(&history, &state).count("changed_acknowledged"), 1);
    }
}
