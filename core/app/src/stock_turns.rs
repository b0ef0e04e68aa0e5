//! Checkouts of the same variants take turns inside one core.
//!
//! A flash sale sends hundreds of checkouts for one SKU at once. (Its stock may be spread over
//! several rows, buckets, each with its own turn: as many checkouts then run at once.) Under SERIALIZABLE, all but
//! one of the transactions that update its stock row at the same time abort and retry, holding
//! database connections while they back off: throughput collapses and the pool runs dry.
//! Waiting in line in memory first (a fair mutex per stripe of variants, taken in stripe order
//! so that two carts never wait on each other) lets each transaction commit at its first try.
//! The checkout whose turn comes after waiting holds up everyone behind it, so it takes its
//! database connection from a small pool of its own ([`crate::App::hot_store`])
//! rather than queueing again behind ordinary traffic in the shared one.
//! Correctness does not depend on it: the conditional update in the transaction is what
//! guarantees no oversell, across cores and regions; this only avoids the retry storm.

use tokio::sync::{Mutex, MutexGuard};
use uuid::Uuid;

/// Fair locks over stripes of variant ids.
#[derive(Debug)]
pub struct StockTurns {
    stripes: Box<[Mutex<()>]>,
}

impl Default for StockTurns {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl StockTurns {
    pub fn new(stripes: usize) -> Self {
        Self { stripes: (0..stripes.max(1)).map(|_| Mutex::new(())).collect() }
    }

    fn stripe(&self, (variant, bucket): (Uuid, i16)) -> usize {
        let (high, low) = variant.as_u64_pair();
        let key = (high ^ low).wrapping_add((bucket as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        (key % self.stripes.len() as u64) as usize
    }

    /// Waits for the turn of every stripe the (variant, stock bucket) pairs fall in, in stripe
    /// order.
    pub async fn take(&self, rows: impl IntoIterator<Item = (Uuid, i16)>) -> Turn<'_> {
        let mut stripes: Vec<usize> = rows.into_iter().map(|r| self.stripe(r)).collect();
        stripes.sort_unstable();
        stripes.dedup();
        let mut guards = Vec::with_capacity(stripes.len());
        let mut waited = false;
        for s in stripes {
            match self.stripes[s].try_lock() {
                Ok(guard) => guards.push(guard),
                Err(_) => {
                    waited = true;
                    guards.push(self.stripes[s].lock().await);
                }
            }
        }
        Turn { _guards: guards, waited }
    }
}

/// A checkout's turn, held until dropped.
pub struct Turn<'a> {
    _guards: Vec<MutexGuard<'a, ()>>,
    /// Whether others were ahead: the variants are hot (a flash sale), and every checkout in
    /// line waits on this one, so it should not wait again in the shared connection pool.
    pub waited: bool,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn one_checkout_at_a_time_per_variant_and_no_deadlock_across_carts() {
        let turns = Arc::new(StockTurns::new(8));
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let (turns, inside, most) = (turns.clone(), inside.clone(), most.clone());
                // Half the carts list the variants in the other order.
                let variants = if i % 2 == 0 { vec![(a, 0), (b, 0)] } else { vec![(b, 0), (a, 0)] };
                tokio::spawn(async move {
                    let _turn = turns.take(variants).await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in tasks {
            tokio::time::timeout(std::time::Duration::from_secs(10), t).await.expect("no deadlock").unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }
}
