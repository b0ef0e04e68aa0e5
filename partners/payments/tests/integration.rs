//! Integration tests: the real `payments-standin` binary on a free port, driven over HTTP, with a
//! webhook receiver inside the test. One test binary for the crate.

mod standin;
