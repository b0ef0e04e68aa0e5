//! Orders, payments and returns: their state machines, and how much a return refunds.
//!
//! States only move along the edges below; every move is recorded with its reason.
//!
//! ```text
//! order:   pending_payment ─▶ confirmed ─▶ shipped ─▶ delivered   (the carrier says so)
//!                 │  └──────────▶ payment_failed
//!                 └──────────────┴──▶ cancelled          (before shipment)
//! payment: pending ─▶ requires_action ─▶ authorized ─▶ captured ─▶ partially_refunded ─▶ refunded
//!             │              │               └──▶ voided        └────────────────────────▶ refunded
//!             └──────────────┴──▶ declined
//! return:  requested ─▶ approved ─▶ received ─▶ refunded
//!              └──▶ rejected
//! ```

use std::fmt;

macro_rules! states {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

states!(
    /// Where an order is.
    OrderStatus {
        PendingPayment = "pending_payment",
        Confirmed = "confirmed",
        PaymentFailed = "payment_failed",
        Cancelled = "cancelled",
        Shipped = "shipped",
        Delivered = "delivered",
    }
);

states!(
    /// Where an order's payment is at the provider.
    PaymentStatus {
        Pending = "pending",
        RequiresAction = "requires_action",
        Authorized = "authorized",
        Declined = "declined",
        Voided = "voided",
        Captured = "captured",
        PartiallyRefunded = "partially_refunded",
        Refunded = "refunded",
    }
);

states!(
    /// Where a return is.
    ReturnStatus {
        Requested = "requested",
        Approved = "approved",
        Rejected = "rejected",
        Received = "received",
        Refunded = "refunded",
    }
);

impl OrderStatus {
    pub fn can_become(self, next: Self) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (PendingPayment, Confirmed | PaymentFailed | Cancelled)
                | (Confirmed, Shipped | Cancelled)
                | (Shipped, Delivered)
        )
    }

    /// Whether the order still holds stock and promotion uses that a failure must give back.
    pub fn holds_stock(self) -> bool {
        matches!(self, Self::PendingPayment | Self::Confirmed)
    }
}

impl PaymentStatus {
    pub fn can_become(self, next: Self) -> bool {
        use PaymentStatus::*;
        matches!(
            (self, next),
            (Pending, RequiresAction | Authorized | Declined)
                | (RequiresAction, Authorized | Declined)
                | (Authorized, Captured | Voided)
                | (Captured, PartiallyRefunded | Refunded)
                | (PartiallyRefunded, PartiallyRefunded | Refunded)
        )
    }

    /// How far along the payment is: a provider event that would move it back (a late
    /// `authorization.succeeded` after the capture) is ignored.
    pub fn rank(self) -> u8 {
        use PaymentStatus::*;
        match self {
            Pending => 0,
            RequiresAction => 1,
            Authorized | Declined => 2,
            Voided | Captured => 3,
            PartiallyRefunded => 4,
            Refunded => 5,
        }
    }
}

impl ReturnStatus {
    pub fn can_become(self, next: Self) -> bool {
        use ReturnStatus::*;
        matches!((self, next), (Requested, Approved | Rejected) | (Approved, Received) | (Received, Refunded))
    }
}

/// The refund for returning `units` more units of a line of `quantity` units whose refundable
/// amount is `line_amount` (what the shopper paid for it: after discounts, tax included),
/// `already` units having been returned before. Cumulative refunds of a line add up to exactly
/// its amount once every unit is back.
pub fn line_refund(line_amount: i64, quantity: u32, already: u32, units: u32) -> i64 {
    let share = |n: u32| -> i64 {
        if quantity == 0 {
            return 0;
        }
        (i128::from(line_amount) * i128::from(n.min(quantity)) / i128::from(quantity)) as i64
    };
    share(already + units) - share(already)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn orders_move_only_forward() {
        use OrderStatus::*;
        assert!(PendingPayment.can_become(Confirmed));
        assert!(Confirmed.can_become(Cancelled));
        assert!(!Shipped.can_become(Cancelled), "no cancellation after shipment");
        assert!(!PaymentFailed.can_become(Confirmed));
        assert!(!Cancelled.can_become(Confirmed));
        assert!(!Confirmed.can_become(PendingPayment));
        assert!(Shipped.can_become(Delivered));
        assert!(!Confirmed.can_become(Delivered), "delivered only after shipment");
        assert!(!Delivered.can_become(Shipped) && !Delivered.can_become(Cancelled));
        for s in ["pending_payment", "confirmed", "payment_failed", "cancelled", "shipped", "delivered"] {
            assert_eq!(OrderStatus::parse(s).map(OrderStatus::as_str), Some(s));
        }
    }

    #[test]
    fn payments_and_returns() {
        use PaymentStatus::*;
        assert!(Pending.can_become(Authorized));
        assert!(!Captured.can_become(Voided));
        assert!(!Declined.can_become(Authorized));
        assert!(Authorized.rank() < Captured.rank());
        assert!(ReturnStatus::Requested.can_become(ReturnStatus::Rejected));
        assert!(!ReturnStatus::Rejected.can_become(ReturnStatus::Refunded));
    }

    proptest! {
        #[test]
        fn refunds_of_a_line_add_up_to_what_was_paid(amount in 0i64..10_000_000, quantity in 1u32..50, splits in proptest::collection::vec(1u32..5, 1..20)) {
            let mut returned = 0;
            let mut refunded = 0;
            for units in splits {
                let units = units.min(quantity - returned);
                if units == 0 { break; }
                let r = line_refund(amount, quantity, returned, units);
                prop_assert!(r >= 0);
                refunded += r;
                returned += units;
            }
            if returned == quantity {
                prop_assert_eq!(refunded, amount);
            } else {
                prop_assert!(refunded <= amount);
            }
        }
    }
}
