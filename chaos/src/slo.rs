//! The SLO verdict of a scenario, from its history: per journey, availability and latency in
//! the steady state, during the fault and after the heal; the error budget the scenario used;
//! and how long shoppers saw it broken in one go (the recovery time).

use serde::{Deserialize, Serialize};

use crate::history::{Journey, Op};
use crate::series::{self, Bucket};

/// The availability objective (99.9 %), as in `dashboards/slo.toml`.
pub const OBJECTIVE: f64 = 0.999;
/// The latency objective: 99 % of requests within this many milliseconds.
pub const LATENCY_MS: u64 = 2_000;
/// Minutes of unavailability the 30-day availability budget allows: 30 × 24 × 60 × 0.001.
pub const BUDGET_MINUTES: f64 = 30.0 * 24.0 * 60.0 * (1.0 - OBJECTIVE);
/// A second is degraded for a journey when fewer than this share of its operations were
/// served.
pub const DEGRADED_BELOW: f64 = 0.99;
/// Degraded seconds this close together are one disruption.
pub const EPISODE_GAP_SECONDS: u64 = 2;

/// When the phases of a scenario began and ended (unix milliseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phases {
    pub start_ms: u64,
    /// The fault injected.
    pub inject_ms: u64,
    /// The fault healed.
    pub heal_ms: u64,
    pub end_ms: u64,
}

/// Figures of one journey in one phase.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub ops: u64,
    pub unavailable: u64,
    pub availability: f64,
    pub p50_ms: u64,
    pub p99_ms: u64,
}

/// One journey's verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JourneyVerdict {
    pub journey: Journey,
    pub steady: Window,
    pub fault: Window,
    pub after_heal: Window,
    /// Over the whole scenario.
    pub overall: Window,
    /// Minutes of the 30-day budget used: each second counts its share of unserved operations.
    pub budget_minutes: f64,
    /// The longest run of degraded seconds from the injection on (gaps of up to
    /// [`EPISODE_GAP_SECONDS`] joined), in seconds; 0 when no second was degraded.
    pub recovery_seconds: f64,
    /// Seconds from the heal to the end of the last degraded second after it; 0 when none.
    pub after_heal_seconds: f64,
}

/// The scenario's verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloVerdict {
    pub phases: Phases,
    pub journeys: Vec<JourneyVerdict>,
}

impl SloVerdict {
    pub fn journey(&self, journey: Journey) -> Option<&JourneyVerdict> {
        self.journeys.iter().find(|j| j.journey == journey)
    }

    /// The longest recovery of any journey.
    pub fn recovery_seconds(&self) -> f64 {
        self.journeys.iter().map(|j| j.recovery_seconds).fold(0.0, f64::max)
    }

    /// Budget minutes used by all journeys together (each journey has its own budget: this is
    /// the largest).
    pub fn budget_minutes(&self) -> f64 {
        self.journeys.iter().map(|j| j.budget_minutes).fold(0.0, f64::max)
    }
}

fn window<'a>(ops: impl Iterator<Item = &'a Op>) -> Window {
    let mut latencies = Vec::new();
    let mut w = Window::default();
    for op in ops {
        w.ops += 1;
        if !op.available {
            w.unavailable += 1;
        }
        latencies.push(op.latency_ms());
    }
    w.availability = if w.ops == 0 { 1.0 } else { 1.0 - w.unavailable as f64 / w.ops as f64 };
    w.p50_ms = series::percentile(&mut latencies, 0.5);
    w.p99_ms = series::percentile(&mut latencies, 0.99);
    w
}

/// Degraded episodes of `buckets`, as (first second, last second) inclusive.
fn episodes(buckets: &[Bucket]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for b in buckets.iter().filter(|b| b.ops > 0 && b.availability() < DEGRADED_BELOW) {
        match out.last_mut() {
            Some((_, last)) if b.second - *last <= EPISODE_GAP_SECONDS + 1 => *last = b.second,
            _ => out.push((b.second, b.second)),
        }
    }
    out
}

/// The verdict of `history` over `phases`.
pub fn verdict(history: &[Op], phases: Phases) -> SloVerdict {
    let series = series::per_second(history, phases.start_ms, phases.end_ms);
    let in_range = |from: u64, to: u64| move |op: &&Op| op.start_ms >= from && op.start_ms < to;
    let journeys = Journey::SLO
        .iter()
        .map(|&journey| {
            let ops: Vec<&Op> = history.iter().filter(|op| op.journey == journey).collect();
            let buckets = &series[&journey];
            let budget_seconds: f64 = buckets.iter().map(|b| 1.0 - b.availability()).sum();
            let inject_second = phases.inject_ms.saturating_sub(phases.start_ms) / 1000;
            let heal_second = phases.heal_ms.saturating_sub(phases.start_ms) / 1000;
            let eps: Vec<(u64, u64)> =
                episodes(buckets).into_iter().filter(|(_, last)| *last >= inject_second).collect();
            let recovery =
                eps.iter().map(|(first, last)| (last + 1 - first.max(&inject_second)) as f64).fold(0.0, f64::max);
            let after_heal = eps
                .iter()
                .filter(|(_, last)| *last >= heal_second)
                .map(|(_, last)| (last + 1 - heal_second) as f64)
                .fold(0.0, f64::max);
            JourneyVerdict {
                journey,
                steady: window(ops.iter().copied().filter(in_range(phases.start_ms, phases.inject_ms))),
                fault: window(ops.iter().copied().filter(in_range(phases.inject_ms, phases.heal_ms))),
                after_heal: window(ops.iter().copied().filter(in_range(phases.heal_ms, phases.end_ms))),
                overall: window(ops.iter().copied().filter(in_range(phases.start_ms, phases.end_ms))),
                budget_minutes: budget_seconds / 60.0,
                recovery_seconds: recovery,
                after_heal_seconds: after_heal,
            }
        })
        .collect();
    SloVerdict { phases, journeys }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::fixtures::op;

    /// 10 browse operations a second for 60 s; those in `broken` seconds fail.
    fn history(broken: &[u64]) -> Vec<Op> {
        let mut ops = Vec::new();
        for s in 0..60u64 {
            for i in 0..10u64 {
                let mut o = op(s * 10 + i, Journey::Browse, "product", s * 1000 + i * 100);
                if broken.contains(&s) {
                    o.available = false;
                    o.end_ms = o.start_ms + 3_000;
                }
                ops.push(o);
            }
        }
        ops
    }

    const PHASES: Phases = Phases { start_ms: 0, inject_ms: 20_000, heal_ms: 40_000, end_ms: 60_000 };

    #[test]
    fn a_two_second_outage_is_two_seconds_of_recovery_and_its_budget() {
        let v = verdict(&history(&[21, 22]), PHASES);
        let browse = v.journey(Journey::Browse).unwrap();
        assert_eq!(browse.steady.availability, 1.0);
        assert_eq!(browse.fault.unavailable, 20);
        assert_eq!(browse.fault.availability, 0.9);
        assert_eq!(browse.recovery_seconds, 2.0);
        assert_eq!(browse.after_heal_seconds, 0.0);
        assert!((browse.budget_minutes - 2.0 / 60.0).abs() < 1e-9);
        assert_eq!(browse.fault.p99_ms, 3_000);
        assert_eq!(browse.steady.p99_ms, 20);
    }

    #[test]
    fn close_degraded_seconds_are_one_disruption_and_those_after_the_heal_are_counted_from_it() {
        let v = verdict(&history(&[25, 27, 41]), PHASES);
        let browse = v.journey(Journey::Browse).unwrap();
        assert_eq!(browse.recovery_seconds, 3.0);
        assert_eq!(browse.after_heal_seconds, 2.0);
        assert_eq!(verdict(&history(&[]), PHASES).recovery_seconds(), 0.0);
    }

    #[test]
    fn the_budget_is_43_minutes() {
        assert!((BUDGET_MINUTES - 43.2).abs() < 1e-9);
    }
}
