//! Transactional e-mail: events of the `mail.` topics, written to the outbox in the transaction
//! of the change they tell about, sent to the mail relay (`core_partners::mail`) by the outbox
//! dispatcher, at least once. Each message carries its event's id as `Message-ID`, so that a
//! second delivery of one event is recognisably the same message.
//!
//! What each message says, per language, is in [`messages`]. A relay that refuses a message for
//! good (5xx, a malformed address) makes the event dead, for an operator to look at; a
//! temporary refusal (4xx) or an unreachable relay is retried with the outbox's backoff.

mod messages;

use std::sync::Arc;

use core_partners::mail::{Mail, Mailer};
use core_store::commerce::outbox::OutboxEvent;
use serde::{Deserialize, Serialize};

use crate::outbox::{DeliveryError, DeliveryFuture, Subscriber};

/// A new shopper account: welcome, and how to log in.
pub const ACCOUNT_CREATED: &str = "mail.account_created";
/// Someone signed up with an address that already has an account: its owner is told (and how
/// to reset the password if it was them), nothing else happens.
pub const SIGN_UP_WITH_EXISTING_ADDRESS: &str = "mail.sign_up_with_existing_address";

/// The payload of a `mail.` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailEvent {
    /// The recipient's address.
    pub to: String,
    /// The recipient's name, when the message greets them by it.
    pub name: Option<String>,
    /// The recipient's market: its default language is the message's.
    pub market: String,
}

/// Sends the `mail.` events through the mail relay.
#[derive(Debug)]
pub struct MailSubscriber {
    mailer: Mailer,
    regions: Arc<regions::Catalog>,
}

impl MailSubscriber {
    pub fn new(mailer: Mailer, regions: Arc<regions::Catalog>) -> Self {
        Self { mailer, regions }
    }
}

impl Subscriber for MailSubscriber {
    fn name(&self) -> &str {
        "mail"
    }

    fn wants(&self, topic: &str) -> bool {
        topic.starts_with("mail.")
    }

    fn deliver<'a>(&'a self, event: &'a OutboxEvent) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let mail: MailEvent = serde_json::from_value(event.payload.clone())
                .map_err(|e| DeliveryError::permanent(format!("malformed mail event: {e}")))?;
            let language =
                self.regions.market(&mail.market).map_or_else(|| "en".to_string(), |m| m.default_language.to_string());
            let (subject, text) = messages::render(&event.topic, &language, mail.name.as_deref())
                .ok_or_else(|| DeliveryError::permanent(format!("no message for `{}`", event.topic)))?;
            let message_id = format!("<{}@mail.shop>", event.id);
            let sent = Mail { to: &mail.to, subject: &subject, text: &text, message_id: &message_id };
            Ok(Some(self.mailer.send(&sent).await?))
        })
    }
}
