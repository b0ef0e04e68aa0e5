//! Parcel tracking: the canonical statuses every carrier's events are mapped to, and where a
//! parcel is given its events in whatever order they arrived.
//!
//! ```text
//! label_created ─▶ in_transit ─▶ out_for_delivery ─▶ delivered
//!                       └──────────┴──▶ exception ─▶ …      └──▶ returned (to the sender)
//! ```
//!
//! A parcel's status is its latest event by the carrier's event time (not by arrival), and
//! once a terminal event (delivered, returned) is among them, nothing later moves it back.

use std::fmt;

/// Where a parcel is, whatever the carrier calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrackingStatus {
    LabelCreated,
    InTransit,
    OutForDelivery,
    Exception,
    Delivered,
    Returned,
}

impl TrackingStatus {
    pub const ALL: [Self; 6] =
        [Self::LabelCreated, Self::InTransit, Self::OutForDelivery, Self::Exception, Self::Delivered, Self::Returned];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LabelCreated => "label_created",
            Self::InTransit => "in_transit",
            Self::OutForDelivery => "out_for_delivery",
            Self::Exception => "exception",
            Self::Delivered => "delivered",
            Self::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// A parcel delivered or returned to the sender moves no more.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Delivered | Self::Returned)
    }
}

impl fmt::Display for TrackingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parcel's status from its events `(carrier time, status)` in any order: the latest by
/// time (equal times ordered by how far along the status is), stopping at the first terminal
/// one. `None` without events.
pub fn current<T: Ord + Copy>(events: &[(T, TrackingStatus)]) -> Option<TrackingStatus> {
    let mut sorted = events.to_vec();
    sorted.sort();
    let mut status = None;
    for (_, s) in sorted {
        status = Some(s);
        if s.is_terminal() {
            break;
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::TrackingStatus::*;
    use super::*;

    fn check(events: &[(i64, TrackingStatus)], expected: Option<TrackingStatus>) {
        assert_eq!(current(events), expected, "{events:?}");
    }

    #[test]
    fn the_latest_event_by_carrier_time_wins_and_terminal_ones_hold() {
        check(&[], None);
        check(&[(1, LabelCreated)], Some(LabelCreated));
        check(&[(3, OutForDelivery), (1, LabelCreated), (2, InTransit)], Some(OutForDelivery));
        check(&[(4, Delivered), (2, InTransit), (3, OutForDelivery)], Some(Delivered));
        // A scan stamped after delivery does not take the parcel back on the road.
        check(&[(4, Delivered), (5, InTransit)], Some(Delivered));
        check(&[(2, Exception), (3, InTransit)], Some(InTransit));
        check(&[(2, InTransit), (2, LabelCreated)], Some(InTransit));
        check(&[(6, Returned), (7, Delivered)], Some(Returned));
        for s in TrackingStatus::ALL {
            assert_eq!(TrackingStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TrackingStatus::parse("lost"), None);
    }

    proptest! {
        #[test]
        fn arrival_order_and_repeats_do_not_matter(times in proptest::collection::vec(0i64..20, 1..8), seed in 0u64..1000) {
            let events: Vec<(i64, TrackingStatus)> =
                times.iter().enumerate().map(|(i, &t)| (t, TrackingStatus::ALL[i % 6])).collect();
            let mut shuffled = events.clone();
            shuffled.extend(events.iter().take((seed % 3) as usize));
            let n = shuffled.len();
            for i in 0..n {
                shuffled.swap(i, (seed as usize * 7 + i * 13) % n);
            }
            prop_assert_eq!(current(&shuffled), current(&events));
        }
    }
}
