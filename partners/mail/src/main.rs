//! `mail-standin`: the local mail relay (see the library's docs for the protocol and the API).
//!
//! ```text
//! cargo run -p partners-mail -- --smtp-listen 127.0.0.1:7205 --http-listen 127.0.0.1:7206
//! curl http://127.0.0.1:7206/_messages
//! ```

use std::net::SocketAddr;

use anyhow::Context;
use clap::Parser;
use partners_mail::Mailbox;

#[derive(Debug, Parser)]
#[command(name = "mail-standin", about = "Local stand-in for the outgoing mail relay (SMTP)")]
struct Settings {
    /// Address of the SMTP server.
    #[arg(long, env = "MAIL_SMTP_LISTEN", default_value = "127.0.0.1:7205")]
    smtp_listen: SocketAddr,
    /// Address of the HTTP API (the kept messages, the fault knobs).
    #[arg(long, env = "MAIL_HTTP_LISTEN", default_value = "127.0.0.1:7206")]
    http_listen: SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::logs::init("mail", telemetry::logs::Target::Stdout);
    let s = Settings::parse();
    let mailbox = Mailbox::default();
    let smtp = tokio::net::TcpListener::bind(s.smtp_listen)
        .await
        .with_context(|| format!("binding the smtp listener {}", s.smtp_listen))?;
    let http = tokio::net::TcpListener::bind(s.http_listen)
        .await
        .with_context(|| format!("binding the http listener {}", s.http_listen))?;
    tokio::spawn(partners_mail::serve_smtp(smtp, mailbox.clone()));
    tracing::info!(smtp = %s.smtp_listen, http = %s.http_listen, "mail stand-in listening");
    axum::serve(http, partners_mail::app(mailbox)).with_graceful_shutdown(partners_standin::stop_requested()).await?;
    tracing::info!("mail stand-in stopped");
    Ok(())
}
