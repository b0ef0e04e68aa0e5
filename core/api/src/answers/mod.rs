//! What the API answers, shared by the handlers that answer it.

pub mod orders;
pub mod tracking;
