//! A history as time series: per journey and second, operations, unavailable ones and latency
//! percentiles. The SLO verdict finds recovery times in them; the charts draw them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::history::{Journey, Op};

/// One second of one journey.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Seconds since the start of the series.
    pub second: u64,
    pub ops: u64,
    /// Operations not served (5xx, 429, no answer).
    pub unavailable: u64,
    pub p50_ms: u64,
    pub p99_ms: u64,
}

impl Bucket {
    pub fn availability(&self) -> f64 {
        if self.ops == 0 { 1.0 } else { 1.0 - self.unavailable as f64 / self.ops as f64 }
    }
}

/// Per journey, a bucket for every second from `start_ms` to `end_ms` (empty seconds included),
/// operations placed by their start.
pub fn per_second(history: &[Op], start_ms: u64, end_ms: u64) -> BTreeMap<Journey, Vec<Bucket>> {
    let seconds = end_ms.saturating_sub(start_ms).div_ceil(1000);
    let mut latencies: BTreeMap<Journey, Vec<Vec<u64>>> = BTreeMap::new();
    let mut out: BTreeMap<Journey, Vec<Bucket>> = BTreeMap::new();
    for journey in Journey::SLO {
        latencies.insert(journey, vec![Vec::new(); seconds as usize]);
        out.insert(journey, (0..seconds).map(|second| Bucket { second, ..Bucket::default() }).collect());
    }
    for op in history {
        if op.start_ms < start_ms || op.start_ms >= end_ms {
            continue;
        }
        let Some(buckets) = out.get_mut(&op.journey) else { continue };
        let i = ((op.start_ms - start_ms) / 1000) as usize;
        buckets[i].ops += 1;
        if !op.available {
            buckets[i].unavailable += 1;
        }
        latencies.get_mut(&op.journey).expect("every SLO journey")[i].push(op.latency_ms());
    }
    for (journey, buckets) in out.iter_mut() {
        for (b, lat) in buckets.iter_mut().zip(latencies.get_mut(journey).expect("every SLO journey")) {
            b.p50_ms = percentile(lat, 0.50);
            b.p99_ms = percentile(lat, 0.99);
        }
    }
    out
}

/// The `q` quantile (nearest rank) of `values`, sorting them; 0 when empty.
pub fn percentile(values: &mut [u64], q: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&mut v, 0.99), 99);
        assert_eq!(percentile(&mut v, 0.5), 50);
        assert_eq!(percentile(&mut [7], 0.99), 7);
        assert_eq!(percentile(&mut [], 0.99), 0);
    }
}
