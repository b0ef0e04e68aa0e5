//! The core's use cases: each business step and its transaction, between the HTTP API
//! (`core-api`, which parses and answers) and the store (`core-store`, the only SQL), and the
//! background workers. Partners are reached through `core-partners`; the rules are
//! `core-domain`'s.

pub mod error;

pub use error::{AppError, AppResult};
