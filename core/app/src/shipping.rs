//! Shipping rates for cart quotes and checkout: the carriers' rate calls, cached in memory per
//! (carrier, origin warehouse, destination country, weight band) for a TTL (one call answers
//! every service of the carrier), each call bounded by a timeout; a carrier that does not
//! answer in time, fails, or is not configured is priced from the market file's fallback table
//! (a dead carrier never breaks a quote or a checkout). A failed call is not repeated for a
//! few seconds, so that a dead carrier does not slow every cart change.
//!
//! Rates are fetched before any transaction: [`ShippingRates::sheet`] answers a [`RateSheet`],
//! and pricing a cart from it is in-memory work (checkout's transaction makes no partner call).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use core_domain::shipping_options::{Quoted, ShippingOptions};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use regions::{Market, ShippingService};

use core_partners::carriers::{Carrier, Rate, ShipmentSpec};

/// How long a carrier's rates are reused.
pub const DEFAULT_TTL: Duration = Duration::from_secs(600);
/// How long a quote waits for carriers' rates before using the fallback tables.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(400);
/// How long after a failed rate call the carrier is priced from the fallback table without
/// being asked.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);
/// A rate call still running after this is given up (its answer would come too late anyway).
const CALL_LIMIT: Duration = Duration::from_secs(10);

/// What one carrier call is cached under.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct RateKey {
    carrier: String,
    origin: String,
    country: String,
    band_grams: i64,
}

/// A carrier call's answer: its rates, or `None` when it failed.
type Answer = Option<Arc<Vec<Rate>>>;

/// A cache slot: the last answer and until when it holds, or the call under way.
#[derive(Clone)]
enum Slot {
    Known { answer: Answer, until: Instant },
    Fetching(Shared<BoxFuture<'static, Answer>>),
}

/// The carriers' rates, cached. Shared by every request of the core.
pub struct ShippingRates {
    carriers: Arc<Vec<Arc<dyn Carrier>>>,
    timeout: Duration,
    ttl: Duration,
    /// Each key's answer or the call fetching it (so concurrent quotes make one call).
    cache: Arc<Mutex<HashMap<RateKey, Slot>>>,
}

impl std::fmt::Debug for ShippingRates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShippingRates").field("timeout", &self.timeout).field("ttl", &self.ttl).finish()
    }
}

impl Default for ShippingRates {
    fn default() -> Self {
        Self::new(Arc::default(), DEFAULT_TIMEOUT, DEFAULT_TTL)
    }
}

/// The carriers' rates known for one market and destination: every service and band.
#[derive(Clone, Debug, Default)]
pub struct RateSheet {
    rates: HashMap<(String, String, i64), Arc<Vec<Rate>>>,
}

impl RateSheet {
    /// A carrier's quote for a service from an origin at a band, when it answered.
    pub fn quoted(&self, service: &ShippingService, origin: &str, band_grams: i64) -> Option<Quoted> {
        let rates = self.rates.get(&(service.carrier.clone(), origin.to_string(), band_grams))?;
        let rate = rates.iter().find(|r| r.service == service.service)?;
        Some(Quoted {
            amount_minor: rate.amount_minor,
            transit_days: u16::try_from(rate.transit_days.max(0)).unwrap_or(u16::MAX),
        })
    }

    /// The options of a cart of `weight_grams` in `market`.
    pub fn options(&self, market: &Market, weight_grams: i64) -> ShippingOptions {
        ShippingOptions::for_weight(&market.shipping, weight_grams, |s, origin, band| self.quoted(s, origin, band))
    }
}

impl ShippingRates {
    pub fn new(carriers: Arc<Vec<Arc<dyn Carrier>>>, timeout: Duration, ttl: Duration) -> Self {
        Self { carriers, timeout, ttl, cache: Arc::default() }
    }

    /// The rates for every service and weight band of `market` to `country`: cached ones at
    /// once, missing ones asked of the carriers together, waiting at most the timeout. A call
    /// still running then goes on and fills the cache for later quotes.
    pub async fn sheet(&self, market: &Market, country: &str) -> RateSheet {
        let mut keys: Vec<RateKey> = Vec::new();
        for service in &market.shipping {
            let Some(origin) = service.from.first() else { continue };
            if !self.carriers.iter().any(|c| c.code() == service.carrier) {
                continue;
            }
            for band in &service.fallback {
                let key = RateKey {
                    carrier: service.carrier.clone(),
                    origin: origin.clone(),
                    country: country.to_string(),
                    band_grams: band.up_to_grams,
                };
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        let mut sheet = RateSheet::default();
        let mut waiting = Vec::new();
        {
            let now = Instant::now();
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            for key in keys {
                match cache.get(&key) {
                    Some(Slot::Known { answer, until }) if *until > now => {
                        if let Some(rates) = answer {
                            sheet
                                .rates
                                .insert((key.carrier.clone(), key.origin.clone(), key.band_grams), rates.clone());
                        }
                    }
                    Some(Slot::Fetching(call)) => waiting.push((key, call.clone())),
                    _ => {
                        let call = self.fetch(&key, market.currency.code());
                        cache.insert(key.clone(), Slot::Fetching(call.clone()));
                        waiting.push((key, call));
                    }
                }
            }
        }
        if waiting.is_empty() {
            return sheet;
        }
        let calls = futures::future::join_all(waiting.iter().map(|(_, call)| call.clone()));
        // Those that answered in time are used; the others are priced from the fallback table.
        let answers = match tokio::time::timeout(self.timeout, calls).await {
            Ok(answers) => answers,
            Err(_) => waiting.iter().map(|(_, call)| call.peek().cloned().flatten()).collect(),
        };
        for ((key, _), answer) in waiting.into_iter().zip(answers) {
            if let Some(rates) = answer {
                sheet.rates.insert((key.carrier, key.origin, key.band_grams), rates);
            }
        }
        sheet
    }

    /// Starts one carrier call in the background; its answer is cached when it comes.
    fn fetch(&self, key: &RateKey, currency: &str) -> Shared<BoxFuture<'static, Answer>> {
        let carrier = self.carriers.iter().find(|c| c.code() == key.carrier).cloned();
        let (cache, key, ttl) = (self.cache.clone(), key.clone(), self.ttl);
        let spec = ShipmentSpec {
            reference: String::new(),
            origin: key.origin.clone(),
            country: key.country.clone(),
            currency: currency.to_string(),
            parcels: vec![key.band_grams],
        };
        let task = tokio::spawn(async move {
            let answer = match carrier {
                Some(c) => match tokio::time::timeout(CALL_LIMIT, c.rates(&spec)).await {
                    Ok(Ok(rates)) => Some(Arc::new(rates)),
                    Ok(Err(e)) => {
                        tracing::warn!(carrier = %key.carrier, error = %e.message, "carrier rates failed; fallback table used");
                        None
                    }
                    Err(_) => {
                        tracing::warn!(carrier = %key.carrier, "carrier rates timed out; fallback table used");
                        None
                    }
                },
                None => None,
            };
            let until = Instant::now() + if answer.is_some() { ttl } else { RETRY_AFTER };
            cache.lock().unwrap_or_else(|e| e.into_inner()).insert(key, Slot::Known { answer: answer.clone(), until });
            answer
        });
        async move { task.await.ok().flatten() }.boxed().shared()
    }
}
