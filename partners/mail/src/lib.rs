//! The outgoing mail relay, as a local stand-in: an SMTP server (RFC 5321: `EHLO`/`HELO`,
//! `MAIL FROM`, `RCPT TO`, `DATA` with dot-stuffing, `RSET`, `NOOP`, `QUIT`; 8BITMIME and
//! SMTPUTF8) that accepts every message and keeps it, and an HTTP API to read what it kept:
//!
//! | route | answer |
//! |---|---|
//! | `GET /_messages[?to=ADDRESS]` | 200 `{"messages": [{"id","from","to","subject","text","received_at","size"}]}`, oldest first, MIME decoded |
//! | `DELETE /_messages` | 204, everything forgotten |
//! | `POST /_control` `{"down": bool, "temporary_failure": bool}` | 200: `down` answers every new SMTP session 421; `temporary_failure` answers `RCPT TO` 451 (the sender retries) |
//! | `GET /healthz` | 200 `ok` |
//!
//! Messages are kept in memory (at most [`MAX_KEPT`], the oldest dropped first), bounded in
//! size ([`MAX_MESSAGE_BYTES`]); nothing is relayed anywhere.

mod api;
mod smtp;
mod store;

pub use api::app;
pub use smtp::serve_smtp;
pub use store::{Kept, Mailbox};

/// Largest message accepted (`SIZE` in `EHLO`), bytes.
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

/// Most messages kept.
pub const MAX_KEPT: usize = 10_000;
