//! The core's use cases: each business step and its transaction, between the HTTP API
//! (`core-api`, which parses and answers) and the store (`core-store`, the only SQL), and the
//! background workers. Partners are reached through `core-partners`; the rules are
//! `core-domain`'s.

pub mod accounts;
mod app;
pub mod audit;
pub mod auth;
pub mod carriers;
pub mod carts;
pub mod catalog;
pub mod change_feed;
pub mod checkout;
pub mod clock;
pub mod error;
pub mod idempotency;
pub mod mail;
pub mod metrics;
pub mod orders;
pub mod outbox;
pub mod pages;
pub mod partner_events;
pub mod payments;
pub mod promotions;
pub mod quote;
pub mod returns;
pub mod shipping;
pub mod stock;
pub mod stock_feed;
pub mod stock_turns;
pub mod warehouse;

pub use app::{App, Inner, OpenError, PROMOTIONS_TTL, Scope, truncate};
pub use error::{AppError, AppResult};
