//! Outlier detection, as Envoy does it: a core whose last few requests all failed at the
//! transport (no answer in time, the connection reset or refused) is ejected, given no new
//! requests for a while, before its health check notices (a frozen process may still accept
//! connections, and a health check only fails after its own timeouts). Each ejection in a row
//! lasts longer; a success ends the streak. Answers, even 5xx, are not failures here: a core
//! that answers is alive, and its errors are the application's to report.
//!
//! When every core a request could go to is ejected, it goes to one anyway (Envoy's panic
//! mode): better a request to a doubtful core than none at all.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Consecutive transport failures that eject a core.
pub const CONSECUTIVE_FAILURES: u32 = 3;
/// The first ejection's length; each further one in a row doubles it, up to [`MAX_EJECTION`].
pub const BASE_EJECTION: Duration = Duration::from_secs(5);
pub const MAX_EJECTION: Duration = Duration::from_secs(30);

#[derive(Debug, Default, Clone, Copy)]
struct Record {
    /// Transport failures since the last success.
    failures: u32,
    /// Ejections in a row (reset by a success after one).
    ejections: u32,
    /// Ejected until then.
    until: Option<Instant>,
}

/// What the edge knows of each core's recent requests.
#[derive(Debug, Default)]
pub struct Outliers {
    cores: Mutex<HashMap<SocketAddr, Record>>,
}

impl Outliers {
    fn cores(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, Record>> {
        self.cores.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A request to `core` got an answer.
    pub fn success(&self, core: SocketAddr) {
        let mut cores = self.cores();
        if let Some(r) = cores.get_mut(&core) {
            r.failures = 0;
            if r.until.is_none_or(|t| t <= Instant::now()) {
                r.ejections = 0;
                r.until = None;
            }
        }
    }

    /// A request to `core` failed at the transport, at `now`. Returns whether this ejected it.
    pub fn failure(&self, core: SocketAddr, now: Instant) -> bool {
        let mut cores = self.cores();
        let r = cores.entry(core).or_default();
        r.failures += 1;
        let ejected = r.until.is_some_and(|t| t > now);
        if ejected || r.failures < CONSECUTIVE_FAILURES {
            return false;
        }
        let factor = 1u32 << r.ejections.min(8);
        r.until = Some(now + (BASE_EJECTION * factor).min(MAX_EJECTION));
        r.ejections += 1;
        r.failures = 0;
        true
    }

    /// Whether `core` is ejected at `now`.
    pub fn ejected(&self, core: SocketAddr, now: Instant) -> bool {
        self.cores().get(&core).and_then(|r| r.until).is_some_and(|t| t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn three_failures_in_a_row_eject_for_five_seconds_then_longer_each_time() {
        let o = Outliers::default();
        let t0 = Instant::now();
        assert!(!o.failure(core(1), t0));
        assert!(!o.failure(core(1), t0));
        assert!(o.failure(core(1), t0), "the third ejects");
        assert!(o.ejected(core(1), t0 + Duration::from_secs(4)));
        assert!(!o.ejected(core(1), t0 + Duration::from_secs(6)));
        assert!(!o.ejected(core(2), t0), "others are untouched");
        // Back in rotation and failing again: ten seconds this time.
        let t1 = t0 + Duration::from_secs(6);
        for _ in 0..3 {
            o.failure(core(1), t1);
        }
        assert!(o.ejected(core(1), t1 + Duration::from_secs(9)));
        assert!(!o.ejected(core(1), t1 + Duration::from_secs(11)));
    }

    #[test]
    fn a_success_ends_the_streak() {
        let o = Outliers::default();
        let t0 = Instant::now();
        o.failure(core(1), t0);
        o.failure(core(1), t0);
        o.success(core(1));
        assert!(!o.failure(core(1), t0));
        assert!(!o.failure(core(1), t0));
        assert!(o.failure(core(1), t0));
    }

    #[test]
    fn ejections_never_last_longer_than_the_maximum() {
        let o = Outliers::default();
        let mut t = Instant::now();
        for _ in 0..10 {
            for _ in 0..3 {
                o.failure(core(1), t);
            }
            t += MAX_EJECTION + Duration::from_secs(1);
            assert!(!o.ejected(core(1), t));
        }
    }
}
