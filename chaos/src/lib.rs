//! Chaos runs: the whole stack under shopper load while processes die, freeze and lose the
//! network; the history of every operation checked against the final state, and an SLO
//! verdict and report per scenario.
//!
//! - [`load`] and [`journeys`]: open-loop shoppers writing a [`history`];
//! - [`checkers`] on the history and the [`state`] that [`collect`] reads at the end;
//! - [`slo`] (from [`series`]): availability, latency, budget, recovery per journey;
//! - [`topology`] (with [`net`] and the fault [`proxy`]), [`scenarios`] and their [`faults`],
//!   run by [`runner`] and [`run`], watched by Prometheus ([`alerts`]), told in a [`report`]
//!   with [`charts`];
//! - [`drill`]: the restore drill (backups under load, the database wrecked, restored to just
//!   before, the stack moved onto it, the same checkers).

pub mod alerts;
pub mod charts;
pub mod checkers;
pub mod client;
pub mod collect;
pub mod drill;
pub mod faults;
pub mod history;
pub mod journeys;
pub mod load;
pub mod net;
pub mod proxy;
pub mod report;
pub mod run;
pub mod runner;
pub mod scenarios;
pub mod series;
pub mod slo;
pub mod state;
pub mod topology;
pub mod zipf;
