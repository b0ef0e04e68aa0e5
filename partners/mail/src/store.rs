//! The messages the stand-in kept, and its fault knobs.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// One message as received, with what tests read of it decoded.
#[derive(Debug, Clone, Serialize)]
pub struct Kept {
    pub id: String,
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The `Subject` header, RFC 2047 decoded.
    pub subject: String,
    /// The first text part, transfer-decoded.
    pub text: String,
    /// RFC 3339.
    pub received_at: String,
    /// Bytes of the message as sent (after dot-unstuffing).
    pub size: usize,
}

/// The stand-in's state, shared by the SMTP server and the HTTP API. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Mailbox(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    messages: Mutex<VecDeque<Kept>>,
    /// New SMTP sessions are answered 421.
    down: AtomicBool,
    /// `RCPT TO` is answered 451.
    temporary_failure: AtomicBool,
}

impl Mailbox {
    pub fn keep(&self, message: Kept) {
        let mut messages = self.0.messages.lock().unwrap_or_else(|e| e.into_inner());
        if messages.len() == crate::MAX_KEPT {
            messages.pop_front();
        }
        messages.push_back(message);
    }

    /// The messages kept, oldest first, to `to` when given (case-insensitive).
    pub fn messages(&self, to: Option<&str>) -> Vec<Kept> {
        let messages = self.0.messages.lock().unwrap_or_else(|e| e.into_inner());
        messages
            .iter()
            .filter(|m| to.is_none_or(|to| m.to.iter().any(|t| t.eq_ignore_ascii_case(to))))
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.0.messages.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub fn set_down(&self, down: bool) {
        self.0.down.store(down, Ordering::Relaxed);
    }

    pub fn is_down(&self) -> bool {
        self.0.down.load(Ordering::Relaxed)
    }

    pub fn set_temporary_failure(&self, failing: bool) {
        self.0.temporary_failure.store(failing, Ordering::Relaxed);
    }

    pub fn temporary_failure(&self) -> bool {
        self.0.temporary_failure.load(Ordering::Relaxed)
    }
}
