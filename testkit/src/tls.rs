//! A development certificate authority and a server certificate signed by it, for HTTPS on the
//! edges of `cargo xtask up`, the tests and the benchmarks. Never for production: the key files
//! are written unencrypted.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// The files of a development CA and of a certificate for `localhost` and `127.0.0.1`.
#[derive(Debug, Clone)]
pub struct DevCertificates {
    /// The CA certificate, for clients to trust (`curl --cacert`).
    pub ca: PathBuf,
    /// The server certificate chain: server certificate, then the CA.
    pub cert: PathBuf,
    /// The server certificate's private key (PKCS#8).
    pub key: PathBuf,
}

impl DevCertificates {
    /// The files in `dir`, which may not exist yet.
    pub fn in_dir(dir: &Path) -> Self {
        Self { ca: dir.join("ca.pem"), cert: dir.join("edge.pem"), key: dir.join("edge-key.pem") }
    }

    /// Keeps the CA and certificate already in `dir` when all three files are there (so that a
    /// CA trusted once stays trusted), else makes new ones.
    pub fn ensure(dir: &Path) -> Result<Self> {
        let files = Self::in_dir(dir);
        if files.ca.exists() && files.cert.exists() && files.key.exists() {
            return Ok(files);
        }
        Self::create(dir)
    }

    /// Makes a new CA (ten years) and server certificate (397 days, what browsers accept) in
    /// `dir`, replacing what is there.
    pub fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let now = OffsetDateTime::now_utc();

        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.distinguished_name.push(DnType::CommonName, "shop development CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.not_before = now - Duration::days(1);
        ca_params.not_after = now + Duration::days(3650);
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
        params.distinguished_name.push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(397);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;

        let files = Self::in_dir(dir);
        let write = |path: &Path, text: String| {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
        };
        write(&files.ca, ca_cert.pem())?;
        write(&files.cert, format!("{}{}", cert.pem(), ca_cert.pem()))?;
        write(&files.key, key.serialize_pem())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&files.key, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(files)
    }
}
