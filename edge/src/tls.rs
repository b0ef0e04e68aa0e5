//! HTTPS on the edge: rustls with TLS 1.2 and 1.3 only, HTTP/2 and HTTP/1.1 offered by ALPN, and
//! `Strict-Transport-Security` on every answer sent over it.
//!
//! The certificate and key are read and checked when the settings are resolved, so that a
//! missing, unreadable or mismatched pair stops the edge at start with the flag and the reason
//! (pingora's own listener would only panic when the service starts, leaving a process that
//! runs but never listens).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use pingora::listeners::tls::TlsSettings;
use pingora::tls::{ServerConfig, version};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// `Strict-Transport-Security` sent on HTTPS answers: two years, subdomains included.
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Where the edge accepts HTTPS and with which certificate chain and key (PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub listen: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Which of the two files a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFile {
    Cert,
    Key,
}

/// Reads the chain and the key and checks that rustls accepts them as a pair. The error names
/// the file at fault and why.
pub fn check(cert: &Path, key: &Path) -> Result<(), (TlsFile, String)> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| (TlsFile::Cert, pem_error(cert, "certificate", &e)))?;
    if certs.is_empty() {
        return Err((TlsFile::Cert, format!("{} holds no PEM certificate", cert.display())));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| (TlsFile::Key, pem_error(key, "private key", &e)))?;
    pingora::tls::install_default_crypto_provider();
    ServerConfig::builder_with_protocol_versions(&[&version::TLS12, &version::TLS13])
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map(drop)
        .map_err(|e| (TlsFile::Key, format!("{} does not go with {}: {e}", key.display(), cert.display())))
}

/// Pingora's listener settings for `files`: TLS 1.2 and 1.3, ALPN `h2` then `http/1.1`.
pub fn listener_settings(files: &TlsFiles) -> anyhow::Result<TlsSettings> {
    let text = |p: &Path| p.to_str().map(str::to_string).ok_or_else(|| anyhow::anyhow!("{} is not UTF-8", p.display()));
    let mut settings = TlsSettings::intermediate(&text(&files.cert)?, &text(&files.key)?)?;
    settings.enable_h2();
    Ok(settings)
}

fn pem_error(path: &Path, what: &str, e: &pem::Error) -> String {
    match e {
        pem::Error::Io(io) => format!("cannot read {}: {io}", path.display()),
        pem::Error::NoItemsFound => format!("{} holds no PEM {what}", path.display()),
        other => format!("{} is not a PEM {what} file: {other}", path.display()),
    }
}

/// Whether the client reached this edge over TLS.
pub fn is_tls(session: &pingora::proxy::Session) -> bool {
    session.digest().is_some_and(|d| d.ssl_digest.is_some())
}
