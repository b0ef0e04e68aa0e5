//! The mail relay: transactional e-mails sent over SMTP (lettre), in the clear to a relay on the
//! private network, or with STARTTLS or TLS (rustls) to one outside it.

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::http::DeliveryError;

/// Sends plain-text e-mails through one relay, from one sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct Mail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    /// Its `Message-ID` (`<…@…>`): a message sent twice is recognisably the same one.
    pub message_id: &'a str,
}

impl Mailer {
    /// A mailer sending through the relay at `url` (`smtp://host:port` in the clear, for a relay
    /// on the same private network; `smtp://host:587?tls=required` for STARTTLS; `smtps://` for
    /// TLS; credentials as `smtp://user:password@host`), from `from` (`Shop <no-reply@shop.example>`).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("the SMTP relay URL `{url}`: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = from.parse().map_err(|e| format!("the sender `{from}`: {e}"))?;
        Ok(Self { transport, from })
    }

    /// Sends `mail`; the relay's reply code when it took it. A refusal for good (5xx, an
    /// address it cannot take) is permanent; a temporary one (4xx) or no relay is transient.
    pub async fn send(&self, mail: &Mail<'_>) -> Result<u16, DeliveryError> {
        let to = mail.to.parse().map_err(|e| DeliveryError::permanent(format!("the recipient: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .message_id(Some(mail.message_id.to_string()))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.to_string())
            .map_err(|e| DeliveryError::permanent(format!("building the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(response) => Ok(response.code().into()),
            Err(e) if e.is_permanent() => Err(DeliveryError::permanent(format!("the relay refused: {e}"))),
            Err(e) => Err(DeliveryError::transient(format!("the relay: {e}"))),
        }
    }
}
