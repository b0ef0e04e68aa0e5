//! Transactional e-mail: events of the `mail.` topics, written to the outbox in the transaction
//! of the change they tell about, sent over SMTP (lettre) to the mail relay by the outbox
//! dispatcher, at least once. Each message carries its event's id as `Message-ID`, so that a
//! second delivery of one event is recognisably the same message.
//!
//! What each message says, per language, is in [`messages`]. A relay that refuses a message for
//! good (5xx, a malformed address) makes the event dead, for an operator to look at; a
//! temporary refusal (4xx) or an unreachable relay is retried with the outbox's backoff.

mod messages;

use std::sync::Arc;

use core_store::commerce::outbox::OutboxEvent;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
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

/// Sends the `mail.` events through an SMTP relay.
pub struct MailSubscriber {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
    regions: Arc<regions::Catalog>,
}

impl std::fmt::Debug for MailSubscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSubscriber").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl MailSubscriber {
    /// A subscriber sending through the relay at `url` (`smtp://host:port` in the clear, for a
    /// relay on the same private network; `smtp://host:587?tls=required` for STARTTLS; `smtps://`
    /// for TLS; credentials as `smtp://user:password@host`), from `from`
    /// (`Shop <no-reply@shop.example>`).
    pub fn new(url: &str, from: &str, regions: Arc<regions::Catalog>) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("the SMTP relay URL `{url}`: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = from.parse().map_err(|e| format!("the sender `{from}`: {e}"))?;
        Ok(Self { transport, from, regions })
    }

    fn message(&self, event: &OutboxEvent) -> Result<Message, DeliveryError> {
        let mail: MailEvent = serde_json::from_value(event.payload.clone())
            .map_err(|e| DeliveryError::permanent(format!("malformed mail event: {e}")))?;
        let language =
            self.regions.market(&mail.market).map_or_else(|| "en".to_string(), |m| m.default_language.to_string());
        let (subject, text) = messages::render(&event.topic, &language, mail.name.as_deref())
            .ok_or_else(|| DeliveryError::permanent(format!("no message for `{}`", event.topic)))?;
        let to = mail.to.parse().map_err(|e| DeliveryError::permanent(format!("the recipient: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{}@mail.shop>", event.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|e| DeliveryError::permanent(format!("building the message: {e}")))
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
            let message = self.message(event)?;
            match self.transport.send(message).await {
                Ok(response) => Ok(Some(response.code().into())),
                Err(e) if e.is_permanent() => Err(DeliveryError::permanent(format!("the relay refused: {e}"))),
                Err(e) => Err(DeliveryError::transient(format!("the relay: {e}"))),
            }
        })
    }
}
