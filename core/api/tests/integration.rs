//! Integration tests of the core API: the router in-process (no socket) over a fresh database
//! per test. Run with `cargo xtask test`.

mod api;
