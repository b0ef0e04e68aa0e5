//! The scenarios: each a steady state, a fault injected, healed, and a recovery window, with
//! the hypothesis it tests. [`all`] is what `cargo xtask chaos` runs; [`smoke`] is what
//! `cargo xtask test` runs.

use serde::{Deserialize, Serialize};

/// A fault, and how it is healed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// SIGKILL to a region's core; healed by starting it again.
    KillCore { region: String },
    /// SIGSTOP to a region's core (it keeps its connections and answers nothing: a gray
    /// failure); healed by SIGCONT.
    FreezeCore { region: String },
    /// SIGKILL to a region's edge; healed by starting it again.
    KillEdge { region: String },
    /// Every packet between a region and the database dropped (nftables in the hub).
    CutDatabase { region: String },
    /// A share of the packets between a region and the database dropped (nftables `numgen`).
    LossyDatabase { region: String, percent: u8 },
    /// Every answer of the database delayed (the fault proxy on every core's link).
    SlowDatabase { latency_ms: u64 },
    /// The database server stopped; healed by starting it again.
    RestartDatabase,
    /// The payment provider unreachable from every core (the fault proxy refuses).
    PaymentsDown,
    /// The payment provider answering every core late.
    PaymentsSlow { latency_ms: u64 },
    /// The payment provider sending each webhook twice, in shuffled order.
    PaymentWebhooksDuplicatedAndReordered,
    /// The `parcelo` carrier answering 503.
    CarrierDown,
    /// The warehouse system answering 503.
    WarehouseDown,
    /// A region's core restarted with its clock off by `offset` (libfaketime, `+2h`); healed by
    /// restarting it with the right time.
    ClockSkew { region: String, offset: String },
}

/// A scenario.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Scenario {
    /// Short name: the prefix of its summary lines.
    pub name: String,
    /// One line for the report.
    pub title: String,
    /// What should hold while the fault lasts (the steady-state hypothesis).
    pub hypothesis: String,
    pub fault: Fault,
    pub steady_s: u64,
    pub fault_s: u64,
    pub recovery_s: u64,
    /// One of our processes fails (the availability targets apply).
    pub single_process: bool,
    /// A flash sale runs from the injection to the heal.
    pub flash_sale: bool,
}

impl Scenario {
    fn new(name: &str, title: &str, hypothesis: &str, fault: Fault) -> Self {
        Self {
            name: name.into(),
            title: title.into(),
            hypothesis: hypothesis.into(),
            fault,
            steady_s: 15,
            fault_s: 30,
            recovery_s: 20,
            single_process: false,
            flash_sale: false,
        }
    }

    fn single_process(mut self) -> Self {
        self.single_process = true;
        self
    }

    /// Seconds of load.
    pub fn duration_s(&self) -> u64 {
        self.steady_s + self.fault_s + self.recovery_s
    }

    /// Whether the fault needs namespaces, the fault proxy or a database the run owns.
    pub fn needs_isolation(&self) -> bool {
        matches!(
            self.fault,
            Fault::CutDatabase { .. }
                | Fault::LossyDatabase { .. }
                | Fault::SlowDatabase { .. }
                | Fault::RestartDatabase
                | Fault::PaymentsDown
                | Fault::PaymentsSlow { .. }
        )
    }
}

/// The region most faults hit: the first, which also receives the partners' webhooks.
const REGION: &str = "eu-west";

/// Every scenario of `cargo xtask chaos`, in the order they run.
pub fn all() -> Vec<Scenario> {
    let r = || REGION.to_string();
    vec![
        Scenario::new(
            "core_kill",
            "eu-west's core killed (SIGKILL), restarted 30 s later",
            "the edge fails over to us-east's core within a second: browsing and checkout stay available, no acknowledged order is lost",
            Fault::KillCore { region: r() },
        )
        .single_process(),
        Scenario::new(
            "core_freeze",
            "eu-west's core frozen (SIGSTOP) for 30 s: it accepts connections and answers nothing",
            "the edge's timeouts and outlier detection send new requests elsewhere within seconds; checkouts complete on another core",
            Fault::FreezeCore { region: r() },
        )
        .single_process(),
        Scenario::new(
            "edge_kill",
            "eu-west's edge killed (SIGKILL), restarted 30 s later",
            "shoppers' DNS health checks and refused connections send them to us-east's edge; partners' webhooks are retried until the edge is back",
            Fault::KillEdge { region: r() },
        )
        .single_process(),
        Scenario::new(
            "db_cut",
            "eu-west cut off from the database (every packet dropped) for 30 s",
            "eu-west's core fails its readiness, its edge fails over to another region's core; nothing acknowledged is lost",
            Fault::CutDatabase { region: r() },
        ),
        Scenario::new(
            "db_lossy",
            "5 % of the packets between eu-west and the database dropped for 30 s",
            "retransmissions slow eu-west's requests; nothing fails",
            Fault::LossyDatabase { region: r(), percent: 5 },
        ),
        Scenario::new(
            "db_slow",
            "every database answer delayed 200 ms for 30 s",
            "reads keep coming from the edge caches; writes slow down but complete",
            Fault::SlowDatabase { latency_ms: 200 },
        ),
        Scenario::new(
            "db_restart",
            "the database stopped, started again 10 s later",
            "reads come from the caches; writes fail while it is down and resume within seconds of its return, nothing acknowledged lost",
            Fault::RestartDatabase,
        )
        .with_fault_s(10),
        Scenario::new(
            "payments_down",
            "the payment provider unreachable for 30 s",
            "checkouts are refused or left pending, never charged twice; pending ones settle once it is back",
            Fault::PaymentsDown,
        ),
        Scenario::new(
            "payments_slow",
            "the payment provider answering 2.5 s late for 30 s (core gives up at 1.5 s)",
            "orders wait pending and the reconciliation settles them; no double charge",
            Fault::PaymentsSlow { latency_ms: 2_500 },
        ),
        Scenario::new(
            "payments_webhooks",
            "the payment provider sending each webhook twice, shuffled, for 30 s",
            "each webhook is applied once; states only move forward",
            Fault::PaymentWebhooksDuplicatedAndReordered,
        ),
        Scenario::new(
            "carrier_down",
            "the parcelo carrier down (503) for a minute",
            "rates come from the fallback tables; labels are retried through the outbox and made once",
            Fault::CarrierDown,
        )
        .with_fault_s(60),
        Scenario::new(
            "warehouse_down",
            "the warehouse system down (503) for a minute",
            "pick requests wait in the outbox and are delivered once it is back, each once",
            Fault::WarehouseDown,
        )
        .with_fault_s(60),
        Scenario::new(
            "clock_skew",
            "eu-west's core restarted with its clock 2 hours ahead (libfaketime) for 30 s",
            "the database's clock decides leases and holds; signatures dated by the skewed core are refused and retried; nothing is lost",
            Fault::ClockSkew { region: r(), offset: "+2h".into() },
        ),
        Scenario::new(
            "flash_sale_core_kill",
            "a flash sale (30 units per warehouse) while eu-west's core is killed and restarted",
            "never more sold than there was; every acknowledged order kept",
            Fault::KillCore { region: r() },
        )
        .single_process()
        .with_flash_sale(),
    ]
}

impl Scenario {
    fn with_fault_s(mut self, s: u64) -> Self {
        self.fault_s = s;
        self
    }

    fn with_flash_sale(mut self) -> Self {
        self.flash_sale = true;
        self
    }
}

/// The smoke scenario of `cargo xtask test`: a core killed under load and restarted.
pub fn smoke() -> Scenario {
    Scenario { steady_s: 10, fault_s: 10, recovery_s: 10, ..all().into_iter().next().expect("the core kill scenario") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_have_unique_names_and_fit_in_the_time_budget() {
        let all = all();
        let names: std::collections::BTreeSet<&str> = all.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), all.len());
        let seconds: u64 = all.iter().map(Scenario::duration_s).sum();
        assert!(seconds < 20 * 60, "{seconds} s of load");
        assert!(!smoke().needs_isolation(), "the smoke scenario runs on loopback");
    }
}
