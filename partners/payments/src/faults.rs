//! Fault knobs: what the stand-in is currently told to get wrong. Set at start by command-line
//! flags, changed at run time through `POST /_control`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// The most latency the knob adds, in milliseconds.
pub const MAX_LATENCY_MS: u64 = 120_000;

/// The knobs. Counters count down as they fire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Knobs {
    /// The next N API calls (authenticated `/v1/…`) answer 500 `internal_error` and change nothing.
    pub fail_next: u32,
    /// Added to every API call before it runs.
    pub latency_ms: u64,
    /// Every webhook event is delivered twice (same event id).
    pub duplicate_webhooks: bool,
    /// Webhook events are held in batches (up to [`crate::webhooks::SHUFFLE_BATCH`] events or
    /// [`crate::webhooks::SHUFFLE_HOLD`]) and delivered in a shuffled order.
    pub out_of_order_webhooks: bool,
    /// The next N new authorizations are committed, then their HTTP response is dropped (the
    /// connection is reset before any byte of the answer).
    pub drop_next_authorizations: u32,
    /// Webhook delivery is paused: events queue up (bounded) and retries wait.
    pub pause_webhooks: bool,
}

/// A partial update of the knobs (`POST /_control`); absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnobsPatch {
    pub fail_next: Option<u32>,
    pub latency_ms: Option<u64>,
    pub duplicate_webhooks: Option<bool>,
    pub out_of_order_webhooks: Option<bool>,
    pub drop_next_authorizations: Option<u32>,
    pub pause_webhooks: Option<bool>,
}

/// The live knobs, shared by the API and the webhook dispatcher (which watches for changes).
#[derive(Debug)]
pub struct Faults {
    knobs: watch::Sender<Knobs>,
    /// The command line's knobs, restored by `POST /_control/reset`.
    initial: Knobs,
}

impl Faults {
    pub fn new(initial: Knobs) -> Self {
        Self { knobs: watch::Sender::new(initial.clone()), initial }
    }

    pub fn current(&self) -> Knobs {
        self.knobs.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<Knobs> {
        self.knobs.subscribe()
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.knobs.borrow().latency_ms)
    }

    /// Whether this API call must fail (consumes one of `fail_next`). The read guard is released
    /// before the write: holding both would deadlock.
    pub fn take_failure(&self) -> bool {
        let armed = self.knobs.borrow().fail_next > 0;
        armed && self.knobs.send_if_modified(|k| take(&mut k.fail_next))
    }

    /// Whether this new authorization's response must be dropped (consumes one).
    pub fn take_dropped_response(&self) -> bool {
        let armed = self.knobs.borrow().drop_next_authorizations > 0;
        armed && self.knobs.send_if_modified(|k| take(&mut k.drop_next_authorizations))
    }

    /// Applies a patch; refuses out-of-range values and then changes nothing.
    pub fn apply(&self, patch: &KnobsPatch) -> Result<Knobs, String> {
        if patch.latency_ms.is_some_and(|ms| ms > MAX_LATENCY_MS) {
            return Err(format!("latency_ms must be at most {MAX_LATENCY_MS}"));
        }
        self.knobs.send_modify(|k| {
            let KnobsPatch {
                fail_next,
                latency_ms,
                duplicate_webhooks,
                out_of_order_webhooks,
                drop_next_authorizations,
                pause_webhooks,
            } = patch.clone();
            k.fail_next = fail_next.unwrap_or(k.fail_next);
            k.latency_ms = latency_ms.unwrap_or(k.latency_ms);
            k.duplicate_webhooks = duplicate_webhooks.unwrap_or(k.duplicate_webhooks);
            k.out_of_order_webhooks = out_of_order_webhooks.unwrap_or(k.out_of_order_webhooks);
            k.drop_next_authorizations = drop_next_authorizations.unwrap_or(k.drop_next_authorizations);
            k.pause_webhooks = pause_webhooks.unwrap_or(k.pause_webhooks);
        });
        Ok(self.current())
    }

    /// Back to the command line's knobs.
    pub fn reset(&self) -> Knobs {
        self.knobs.send_replace(self.initial.clone());
        self.current()
    }
}

fn take(counter: &mut u32) -> bool {
    if *counter > 0 {
        *counter -= 1;
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_fire_exactly_n_times() {
        let faults = Faults::new(Knobs { fail_next: 2, ..Knobs::default() });
        assert!(faults.take_failure());
        assert!(faults.take_failure());
        assert!(!faults.take_failure());
        faults.apply(&KnobsPatch { drop_next_authorizations: Some(1), ..KnobsPatch::default() }).unwrap();
        assert!(faults.take_dropped_response());
        assert!(!faults.take_dropped_response());
    }

    #[test]
    fn patch_and_reset() {
        let initial = Knobs { latency_ms: 5, ..Knobs::default() };
        let faults = Faults::new(initial.clone());
        let k = faults.apply(&KnobsPatch { pause_webhooks: Some(true), ..KnobsPatch::default() }).unwrap();
        assert_eq!(k, Knobs { latency_ms: 5, pause_webhooks: true, ..Knobs::default() });
        assert!(faults.apply(&KnobsPatch { latency_ms: Some(MAX_LATENCY_MS + 1), ..KnobsPatch::default() }).is_err());
        assert_eq!(faults.current().latency_ms, 5);
        assert_eq!(faults.reset(), initial);
    }
}
