//! Bounded polling, for what a test cannot be told about (an outbox delivery, a cache purge, a
//! process's exit): a check runs again every `interval` until it holds, for at most `timeout`.
//!
//! A check answers `Ok(value)` once what is awaited holds, which ends the wait with that value,
//! or `Err(observation)`: what it saw instead (an audit, a status, a count). The check runs at
//! least once; when it still does not hold once `timeout` has passed, the wait fails with the last
//! observation, and the panicking forms panic with it:
//!
//! ```text
//! waited 30s (301 checks) for: the warehouse stand-in holds the order's pick; last seen: {"picks":[]}
//! ```

use std::fmt;
use std::time::{Duration, Instant};

/// A wait that ran out: what was awaited, for how long, and the last observation of the check.
#[derive(Debug, Clone)]
pub struct TimedOut<O> {
    pub what: String,
    pub timeout: Duration,
    /// How many times the check ran.
    pub checks: u32,
    /// What the check saw the last time it ran.
    pub last: O,
}

impl<O: fmt::Display> fmt::Display for TimedOut<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { what, timeout, checks, last } = self;
        write!(f, "waited {timeout:?} ({checks} checks) for: {what}; last seen: {last}")
    }
}

impl<O: fmt::Display + fmt::Debug> std::error::Error for TimedOut<O> {}

/// A wait that fails with an error instead of a panic: what it is for, for how long at most, and
/// how often it checks. [`eventually`] and [`eventually_blocking`] are the panicking forms.
#[derive(Debug, Clone, Copy)]
pub struct Wait<'a> {
    what: &'a str,
    timeout: Duration,
    interval: Duration,
}

impl<'a> Wait<'a> {
    /// A wait for `what`, checking every `interval` (back to back for [`Duration::ZERO`]) for at
    /// most `timeout`.
    pub fn new(what: &'a str, timeout: Duration, interval: Duration) -> Self {
        Self { what, timeout, interval }
    }

    /// Runs `check` until it answers `Ok(value)`; fails with the last observation on timeout.
    pub async fn until<T, O>(self, mut check: impl AsyncFnMut() -> Result<T, O>) -> Result<T, TimedOut<O>> {
        let mut checks = Checks::start(self);
        loop {
            if let Some(end) = checks.after(check().await) {
                return end;
            }
            if !self.interval.is_zero() {
                tokio::time::sleep(self.interval).await;
            }
        }
    }

    /// [`Wait::until`] for a blocking `check`, on the calling thread.
    pub fn until_blocking<T, O>(self, mut check: impl FnMut() -> Result<T, O>) -> Result<T, TimedOut<O>> {
        let mut checks = Checks::start(self);
        loop {
            if let Some(end) = checks.after(check()) {
                return end;
            }
            std::thread::sleep(self.interval);
        }
    }
}

/// The checks of one wait so far.
struct Checks<'a> {
    wait: Wait<'a>,
    started: Instant,
    count: u32,
}

impl<'a> Checks<'a> {
    fn start(wait: Wait<'a>) -> Self {
        Self { wait, started: Instant::now(), count: 0 }
    }

    /// Counts one check that found `found`: the end of the wait (its value, or the timeout with
    /// the observation), or `None` to check again after the interval.
    fn after<T, O>(&mut self, found: Result<T, O>) -> Option<Result<T, TimedOut<O>>> {
        self.count += 1;
        let Wait { what, timeout, .. } = self.wait;
        match found {
            Ok(value) => Some(Ok(value)),
            Err(last) if self.started.elapsed() >= timeout => {
                Some(Err(TimedOut { what: what.to_string(), timeout, checks: self.count, last }))
            }
            Err(_) => None,
        }
    }
}

/// Runs `check` every `interval` (back to back for [`Duration::ZERO`]) until it answers
/// `Ok(value)`, for at most `timeout`, and answers that value; panics with `what` and the last
/// observation on timeout.
pub async fn eventually<T, O: fmt::Display>(
    what: &str,
    timeout: Duration,
    interval: Duration,
    check: impl AsyncFnMut() -> Result<T, O>,
) -> T {
    let ended = Wait::new(what, timeout, interval).until(check).await;
    ended.unwrap_or_else(|timed_out| panic!("{timed_out}"))
}

/// [`eventually`] for a blocking `check`, on the calling thread.
#[track_caller]
pub fn eventually_blocking<T, O: fmt::Display>(
    what: &str,
    timeout: Duration,
    interval: Duration,
    check: impl FnMut() -> Result<T, O>,
) -> T {
    match Wait::new(what, timeout, interval).until_blocking(check) {
        Ok(value) => value,
        Err(timed_out) => panic!("{timed_out}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_ends_with_the_first_value_that_holds() {
        let mut n = 0;
        let found = eventually_blocking("three checks", Duration::from_secs(5), Duration::ZERO, || {
            n += 1;
            if n == 3 { Ok(n * 10) } else { Err(n) }
        });
        assert_eq!(found, 30);
    }

    #[test]
    fn a_timeout_says_what_was_awaited_and_the_last_observation() {
        let mut n = 0;
        let wait = Wait::new("n past 1000", Duration::from_millis(30), Duration::from_millis(5));
        let found = wait.until_blocking(|| {
            n += 1;
            Err::<(), _>(format!("n = {n}"))
        });
        let timed_out = found.unwrap_err();
        assert!(timed_out.checks >= 2 && timed_out.checks == n, "{timed_out:?}");
        assert_eq!(timed_out.last, format!("n = {n}"));
        let message = timed_out.to_string();
        assert!(message.contains("for: n past 1000; last seen: n = "), "{message}");
        assert!(message.starts_with("waited 30ms ("), "{message}");
    }

    #[test]
    fn the_check_runs_at_least_once() {
        let wait = Wait::new("at once", Duration::ZERO, Duration::from_secs(60));
        assert_eq!(wait.until_blocking(|| Ok::<_, ()>(7)).unwrap(), 7);
        assert_eq!(wait.until_blocking(|| Err::<(), _>(1)).unwrap_err().checks, 1);
    }

    #[tokio::test]
    async fn the_async_wait_polls_until_the_check_holds() {
        let started = Instant::now();
        let mut n = 0;
        let found = eventually("five checks", Duration::from_secs(5), Duration::from_millis(10), async || {
            n += 1;
            if n == 5 { Ok(n) } else { Err(n) }
        })
        .await;
        assert_eq!(found, 5);
        assert!(started.elapsed() >= Duration::from_millis(40), "{:?}", started.elapsed());
    }

    #[tokio::test]
    #[should_panic(expected = "for: a value that never comes; last seen: 3")]
    async fn the_async_wait_panics_with_what_it_saw_last() {
        let mut n = 0;
        eventually("a value that never comes", Duration::from_millis(20), Duration::from_millis(5), async || {
            n += 1;
            Err::<(), _>(n.min(3))
        })
        .await;
    }
}
