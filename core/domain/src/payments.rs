//! The payment state walk: what the provider's view of an authorization means for our payment
//! and order states. News is applied forward only: skipped steps are filled in, nothing moves
//! back, and news that comes too late for its order calls for a void.

use std::collections::VecDeque;

use crate::orders::{OrderStatus, PaymentStatus};

/// The provider's view of an authorization, as far as our states are concerned.
#[derive(Clone, Copy, Debug)]
pub struct ProviderView<'a> {
    /// `authorized`, `declined`, `requires_action`, `captured`, `voided`.
    pub status: &'a str,
    pub captured_minor: Option<i64>,
    pub refunded_minor: Option<i64>,
}

/// Our payment state for the provider's view: refunds keep the provider's status `captured`,
/// their extent is in `refunded_minor`. `None` for a status we do not know.
pub fn target(view: ProviderView<'_>) -> Option<PaymentStatus> {
    Some(match view.status {
        "authorized" => PaymentStatus::Authorized,
        "declined" => PaymentStatus::Declined,
        "requires_action" => PaymentStatus::RequiresAction,
        "captured" => match (view.refunded_minor.unwrap_or(0), view.captured_minor.unwrap_or(0)) {
            (0, _) => PaymentStatus::Captured,
            (refunded, captured) if refunded >= captured => PaymentStatus::Refunded,
            _ => PaymentStatus::PartiallyRefunded,
        },
        "voided" => PaymentStatus::Voided,
        _ => return None,
    })
}

/// The steps from `from` to `to` along the payment state machine (shortest path), empty when
/// `to` is not ahead of `from`.
pub fn path(from: PaymentStatus, to: PaymentStatus) -> Vec<PaymentStatus> {
    use PaymentStatus::*;
    const ALL: [PaymentStatus; 8] =
        [Pending, RequiresAction, Authorized, Declined, Voided, Captured, PartiallyRefunded, Refunded];
    if from == to {
        return Vec::new();
    }
    let mut queue = VecDeque::from([(from, Vec::new())]);
    let mut seen = vec![from];
    while let Some((at, steps)) = queue.pop_front() {
        for next in ALL {
            if !at.can_become(next) || seen.contains(&next) {
                continue;
            }
            let mut steps = steps.clone();
            steps.push(next);
            if next == to {
                return steps;
            }
            seen.push(next);
            queue.push_back((next, steps));
        }
    }
    Vec::new()
}

/// Whether the payment being `to` means the shopper paid.
pub fn is_paid(to: PaymentStatus) -> bool {
    matches!(
        to,
        PaymentStatus::Authorized
            | PaymentStatus::Captured
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded
    )
}

/// What news that the payment is now `to` does to an order that is `order` with its payment
/// `payment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderChange {
    /// Nothing: the order is where the news leaves it.
    None,
    /// Paid: the order awaiting payment is confirmed.
    Confirm,
    /// Declined: the order awaiting payment failed; what it held goes back.
    Fail,
    /// Authorized for an order that already failed or was cancelled: the authorization is
    /// voided, so that nobody pays for an order they do not get.
    Void,
}

/// The change news that the payment is now `to` calls for.
pub fn order_change(order: OrderStatus, payment: PaymentStatus, to: PaymentStatus) -> OrderChange {
    if is_paid(to) && order == OrderStatus::PendingPayment {
        OrderChange::Confirm
    } else if to == PaymentStatus::Authorized
        && payment != PaymentStatus::Voided
        && matches!(order, OrderStatus::Cancelled | OrderStatus::PaymentFailed)
    {
        OrderChange::Void
    } else if to == PaymentStatus::Declined && order == OrderStatus::PendingPayment {
        OrderChange::Fail
    } else {
        OrderChange::None
    }
}

/// Whether news that the payment is now `to` changes anything for an order that is `order`
/// with its payment `payment`: a step forward for the payment or a change for the order.
pub fn is_news(order: OrderStatus, payment: PaymentStatus, to: PaymentStatus) -> bool {
    !path(payment, to).is_empty() || order_change(order, payment, to) != OrderChange::None
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentStatus::*;

    #[test]
    fn paths_fill_in_skipped_steps() {
        assert_eq!(path(Pending, Authorized), vec![Authorized]);
        assert_eq!(path(Pending, Captured), vec![Authorized, Captured]);
        assert_eq!(path(Pending, Refunded), vec![Authorized, Captured, Refunded]);
        assert_eq!(path(RequiresAction, Captured), vec![Authorized, Captured]);
        assert!(path(Captured, Authorized).is_empty(), "never backwards");
        assert!(path(Declined, Authorized).is_empty());
        assert!(path(Authorized, Authorized).is_empty());
    }

    #[test]
    fn refunds_are_read_from_the_amounts() {
        let view = |status, captured, refunded| ProviderView {
            status,
            captured_minor: Some(captured),
            refunded_minor: Some(refunded),
        };
        assert_eq!(target(view("captured", 1000, 0)), Some(Captured));
        assert_eq!(target(view("captured", 1000, 400)), Some(PartiallyRefunded));
        assert_eq!(target(view("captured", 1000, 1000)), Some(Refunded));
        assert_eq!(target(view("authorized", 0, 0)), Some(Authorized));
        assert_eq!(target(view("something_new", 0, 0)), None);
    }

    #[test]
    fn late_authorizations_are_voided_and_declines_fail_unpaid_orders_only() {
        assert_eq!(order_change(OrderStatus::PendingPayment, Pending, Authorized), OrderChange::Confirm);
        assert_eq!(order_change(OrderStatus::Cancelled, Pending, Authorized), OrderChange::Void);
        assert_eq!(order_change(OrderStatus::PaymentFailed, Declined, Authorized), OrderChange::Void);
        assert_eq!(order_change(OrderStatus::Cancelled, Voided, Authorized), OrderChange::None);
        assert_eq!(order_change(OrderStatus::PendingPayment, Pending, Declined), OrderChange::Fail);
        assert_eq!(order_change(OrderStatus::Confirmed, Authorized, Declined), OrderChange::None);
        assert!(!is_news(OrderStatus::Confirmed, Captured, Authorized));
        assert!(is_news(OrderStatus::Confirmed, Authorized, Captured));
    }
}
