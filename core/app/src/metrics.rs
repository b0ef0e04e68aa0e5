//! The core's metrics, declared in one place (one set per process). `core-api` counts requests
//! with [`Metrics::http`] and serves the registry on its admin listener.
//!
//! Every series carries the core's `region`; requests carry the route template (axum's matched
//! path, never a raw path) and its journey. Recording is atomic updates only: the series of a
//! route are resolved once ([`telemetry::Memo`]); pool and retry figures are read at scrape
//! time.

use std::sync::LazyLock;

use telemetry::{HttpMetrics, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Registry};

/// Every metric of the core.
#[derive(Debug)]
pub struct Metrics {
    pub registry: Registry,
    /// Requests answered and their duration, by route template and journey.
    pub http: HttpMetrics,
    /// Database connections by pool (`main`, `hot`) and state (`in_use`, `idle`, `max`).
    pool_connections: IntGaugeVec,
    /// Transaction attempts that failed to serialize (40001) and were retried, by pool.
    tx_retries: IntCounterVec,
    /// Transactions given up after the last retry, by pool.
    tx_exhausted: IntCounterVec,
    tx_deadlocks: IntCounterVec,
    /// Age of the oldest event not yet delivered by the outbox dispatcher, seconds.
    pub outbox_lag: IntGauge,
    /// Outbox events given up after their last delivery attempt (dead letters).
    pub outbox_dead_letters: IntGauge,
    /// Carts created.
    pub carts_created: IntCounter,
    /// Orders placed (the checkout's transaction committed).
    pub orders: IntCounter,
    /// Orders whose payment was authorized at checkout.
    pub payments_authorized: IntCounter,
    /// Payments that failed at checkout, by reason: the provider declined the card, refused the
    /// request (an unknown or expired token), or its answer never came.
    pub payment_declined: IntCounter,
    pub payment_refused: IntCounter,
    pub payment_unknown_outcome: IntCounter,
    /// Refunds sent to the payment provider.
    pub refunds: IntCounter,
    /// Signed partner events acknowledged but not applied (an order or label we do not know),
    /// by partner and reason.
    pub partner_events_unapplied: IntCounterVec,
    /// Requests on the staff listener whose audit entry could not be written (each is logged
    /// in full instead).
    pub audit_write_failures: IntCounter,
    /// Sign-ups answered, by what the address turned out to be (`new`, `existing`): the answer
    /// is the same, the e-mail sent differs.
    pub sign_ups: IntCounterVec,
}

impl Metrics {
    fn new() -> Self {
        let r = Registry::new("core");
        let payment_failures = r.counter_vec(
            "payment_failures_total",
            "Payments that failed at checkout, by reason (declined, refused, unknown_outcome)",
            &["reason"],
        );
        Self {
            http: HttpMetrics::declare(&r),
            pool_connections: r.gauge_vec(
                "db_pool_connections",
                "Database connections by pool and state (in_use, idle, max)",
                &["pool", "state"],
            ),
            tx_retries: r.counter_vec(
                "db_transaction_retries_total",
                "Transaction attempts that failed to serialize and were retried",
                &["pool"],
            ),
            tx_exhausted: r.counter_vec(
                "db_transaction_exhausted_total",
                "Transactions given up after their last retry",
                &["pool"],
            ),
            tx_deadlocks: r.counter_vec(
                "db_transaction_deadlocks_total",
                "Transaction attempts a deadlock ended (retried; also in db_transaction_retries_total)",
                &["pool"],
            ),
            outbox_lag: r.gauge("outbox_lag_seconds", "Age of the oldest outbox event not yet delivered"),
            outbox_dead_letters: r
                .gauge("outbox_dead_letter_events", "Outbox events given up after their last delivery attempt"),
            carts_created: r.counter("carts_created_total", "Carts created"),
            orders: r.counter("orders_total", "Orders placed"),
            payments_authorized: r
                .counter("payments_authorized_total", "Orders whose payment was authorized at checkout"),
            payment_declined: payment_failures.with_label_values(&["declined"]),
            payment_refused: payment_failures.with_label_values(&["refused"]),
            payment_unknown_outcome: payment_failures.with_label_values(&["unknown_outcome"]),
            refunds: r.counter("refunds_total", "Refunds sent to the payment provider"),
            partner_events_unapplied: r.counter_vec(
                "partner_events_unapplied_total",
                "Signed partner events acknowledged but not applied (unknown order, shipment or label)",
                &["partner", "reason"],
            ),
            audit_write_failures: r
                .counter("audit_write_failures_total", "Staff requests whose audit entry could not be written"),
            sign_ups: r.counter_vec(
                "sign_ups_total",
                "Sign-ups answered, by whether the address was new",
                &["address"],
            ),
            registry: r,
        }
    }

    /// Reads the pools and the transaction helpers' counters into their series.
    pub fn sample_store(&self, pool: &str, store: &core_store::Store) {
        let (size, available) = store.pool_status();
        let set = |state: &str, value: usize| {
            self.pool_connections.with_label_values(&[pool, state]).set(i64::try_from(value).unwrap_or(i64::MAX));
        };
        set("in_use", size.saturating_sub(available));
        set("idle", available);
        set("max", store.pool_max());
        let advance = |counter: IntCounter, now: u64| {
            counter.inc_by(now.saturating_sub(counter.get()));
        };
        let stats = store.stats();
        advance(self.tx_retries.with_label_values(&[pool]), stats.serialization_retries());
        advance(
            self.tx_exhausted.with_label_values(&[pool]),
            stats.exhausted.load(std::sync::atomic::Ordering::Relaxed),
        );
        advance(self.tx_deadlocks.with_label_values(&[pool]), stats.deadlocks());
    }
}

/// The core's metrics (one set per process).
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// Every metric the core declares (for the dashboards' checker).
pub fn declared() -> Vec<telemetry::Declared> {
    METRICS.registry.declared()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_metric_is_declared_with_a_conventional_name() {
        let declared = super::declared();
        assert!(declared.iter().any(|d| d.name == "core_http_requests_total"));
        assert!(declared.iter().any(|d| d.name == "core_outbox_lag_seconds"));
        assert!(declared.iter().any(|d| d.name == "core_outbox_dead_letter_events"));
    }
}
