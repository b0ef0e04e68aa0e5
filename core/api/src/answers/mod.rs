//! What the API answers, shared by the handlers that answer it.

pub mod accounts;
pub mod lines;
pub mod money;
pub mod orders;
pub mod partner_events;
pub mod personal_data;
pub mod quote;
pub mod shipping;
pub mod tracking;
