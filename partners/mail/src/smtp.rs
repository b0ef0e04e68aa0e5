//! The SMTP side: one task per connection, one command per line, a message per `DATA`.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::store::{Kept, Mailbox};

/// Longest command line (RFC 5321 4.5.3.1.4 says 512; extensions make it longer).
const MAX_LINE: usize = 4096;
/// Most recipients of one message.
const MAX_RECIPIENTS: usize = 100;
/// How long a client may stay silent.
const IDLE: Duration = Duration::from_secs(60);

/// Accepts SMTP connections on `listener` until the process stops.
pub async fn serve_smtp(listener: TcpListener, mailbox: Mailbox) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let mailbox = mailbox.clone();
                tokio::spawn(async move {
                    if let Err(e) = session(stream, mailbox).await {
                        tracing::debug!(error = %e, "smtp session ended with an error");
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "accepting an smtp connection failed"),
        }
    }
}

/// What the session has been told so far.
#[derive(Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

async fn session(stream: TcpStream, mailbox: Mailbox) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    if mailbox.is_down() {
        write.write_all(b"421 mail-standin service not available\r\n").await?;
        return Ok(());
    }
    write.write_all(b"220 mail-standin ESMTP ready\r\n").await?;
    let mut envelope = Envelope::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = match tokio::time::timeout(IDLE, (&mut read).take(MAX_LINE as u64 + 2).read_until(b'\n', &mut line))
            .await
        {
            Ok(read) => read?,
            Err(_) => {
                write.write_all(b"421 idle too long\r\n").await?;
                return Ok(());
            }
        };
        if n == 0 {
            return Ok(());
        }
        if !line.ends_with(b"\n") {
            write.write_all(b"500 line too long\r\n").await?;
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end();
        let verb = command.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-mail-standin\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-PIPELINING\r\n250 SIZE 10485760\r\n",
            "HELO" => b"250 mail-standin\r\n",
            "MAIL" => match path_of(command, "MAIL FROM:") {
                Some(from) => {
                    envelope = Envelope { from: Some(from), to: Vec::new() };
                    b"250 OK\r\n"
                }
                None => b"501 syntax: MAIL FROM:<address>\r\n",
            },
            "RCPT" => match (path_of(command, "RCPT TO:"), &envelope.from) {
                (_, None) => b"503 MAIL first\r\n",
                (None, _) => b"501 syntax: RCPT TO:<address>\r\n",
                (Some(_), _) if mailbox.temporary_failure() => b"451 try again later\r\n",
                (Some(_), _) if envelope.to.len() == MAX_RECIPIENTS => b"452 too many recipients\r\n",
                (Some(to), _) => {
                    envelope.to.push(to);
                    b"250 OK\r\n"
                }
            },
            "DATA" if envelope.to.is_empty() => b"503 RCPT first\r\n",
            "DATA" => {
                write.write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n").await?;
                let Some(data) = read_data(&mut read).await? else {
                    write.write_all(b"552 message too large\r\n").await?;
                    return Ok(());
                };
                let kept = keep(&mailbox, std::mem::take(&mut envelope), &data);
                write.write_all(format!("250 OK queued as {kept}\r\n").as_bytes()).await?;
                continue;
            }
            "RSET" => {
                envelope = Envelope::default();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The address in `MAIL FROM:<a>` / `RCPT TO:<a>` (parameters after it ignored).
fn path_of(command: &str, prefix: &str) -> Option<String> {
    let head = command.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = command[prefix.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_string())
}

/// The message up to the lone `.` line, dot-unstuffed; `None` when it is over the size limit.
async fn read_data<R: AsyncBufReadExt + Unpin>(read: &mut R) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    let mut too_large = false;
    loop {
        line.clear();
        let n = read.read_until(b'\n', &mut line).await?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed in DATA"));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((!too_large).then_some(data));
        }
        let content = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() + content.len() > crate::MAX_MESSAGE_BYTES {
            too_large = true;
            data.clear();
        } else if !too_large {
            data.extend_from_slice(content);
        }
    }
}

/// Keeps a message; returns its id.
fn keep(mailbox: &Mailbox, envelope: Envelope, data: &[u8]) -> String {
    let parsed = mail_parser::MessageParser::default().parse(data);
    let subject = parsed.as_ref().and_then(|m| m.subject()).unwrap_or_default().to_string();
    let text = parsed.as_ref().and_then(|m| m.body_text(0)).map(|t| t.into_owned()).unwrap_or_default();
    let id = uuid::Uuid::new_v4().to_string();
    let received_at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    tracing::debug!(id = %id, recipients = envelope.to.len(), size = data.len(), "message kept");
    mailbox.keep(Kept {
        id: id.clone(),
        from: envelope.from.unwrap_or_default(),
        to: envelope.to,
        subject,
        text,
        received_at,
        size: data.len(),
    });
    id
}

#[cfg(test)]
mod tests {
    use super::path_of;

    #[test]
    fn paths_are_read_from_mail_and_rcpt_commands() {
        assert_eq!(path_of("MAIL FROM:<a@example.com> SIZE=100", "MAIL FROM:"), Some("a@example.com".into()));
        assert_eq!(path_of("mail from: <a@example.com>", "MAIL FROM:"), Some("a@example.com".into()));
        assert_eq!(path_of("MAIL FROM:<>", "MAIL FROM:"), Some(String::new()));
        assert_eq!(path_of("RCPT TO:b@example.com", "RCPT TO:"), None);
        assert_eq!(path_of("RCPT", "RCPT TO:"), None);
    }
}
