//! The mail stand-in spoken to by a real SMTP client (lettre, as the core uses it): messages are
//! kept decoded, dot-stuffed lines come back whole, and the fault knobs make the client fail.

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use partners_mail::Mailbox;

async fn start() -> (Mailbox, u16) {
    let mailbox = Mailbox::default();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(partners_mail::serve_smtp(listener, mailbox.clone()));
    (mailbox, port)
}

fn transport(port: u16) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(port).build()
}

fn message(to: &str, subject: &str, text: &str) -> Message {
    Message::builder()
        .from("Shop <no-reply@shop.example>".parse().unwrap())
        .to(to.parse().unwrap())
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(text.to_string())
        .unwrap()
}

#[tokio::test]
async fn messages_sent_over_smtp_are_kept_decoded() {
    let (mailbox, port) = start().await;
    let text = "Bonjour Camille,\n.\n..deux points en tête\nÀ bientôt — l'équipe";
    transport(port).send(message("camille@example.org", "Votre compte est créé ✓", text)).await.unwrap();
    transport(port).send(message("other@example.org", "Another", "x")).await.unwrap();
    let kept = mailbox.messages(Some("Camille@example.org"));
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].from, "no-reply@shop.example");
    assert_eq!(kept[0].to, ["camille@example.org"]);
    assert_eq!(kept[0].subject, "Votre compte est créé ✓");
    assert_eq!(kept[0].text.replace("\r\n", "\n").trim_end(), text);
    assert_eq!(mailbox.messages(None).len(), 2);
}

#[tokio::test]
async fn the_fault_knobs_make_sending_fail() {
    let (mailbox, port) = start().await;
    mailbox.set_temporary_failure(true);
    let refused = transport(port).send(message("a@example.org", "s", "t")).await.unwrap_err();
    assert!(refused.is_transient(), "{refused:?}");
    mailbox.set_temporary_failure(false);
    mailbox.set_down(true);
    assert!(transport(port).send(message("a@example.org", "s", "t")).await.is_err());
    mailbox.set_down(false);
    transport(port).send(message("a@example.org", "s", "t")).await.unwrap();
    assert_eq!(mailbox.messages(None).len(), 1);
}
