//! Sessions and secrets of authentication: signed session tokens, password hashing and the TOTP
//! second factor. Who calls is found by `core-api`'s extractors with these.
//!
//! Session tokens are `v1.<payload>.<mac>`: the payload is base64url (no padding) JSON
//! `{"sid": session id, "sub": user or staff id, "reg": home region, "knd": "customer" |
//! "staff", "exp": unix seconds}`, the MAC is HMAC-SHA256 with the server's session secret over
//! `v1.<payload>`, base64url. A token that verifies is then checked against its session row,
//! so that a logout or a revocation applies at once on every core; each core also remembers
//! the sessions it saw revoked, to refuse them without a database read. Tokens and secrets are
//! never logged.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use core_store::accounts::{self as store, LockPolicy};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub use core_store::accounts::Role;

use crate::error::{AppError, AppResult};

/// Longest token accepted; anything longer is refused before any work.
pub const MAX_TOKEN_LEN: usize = 1024;
/// Most revoked sessions a core remembers.
const MAX_REMEMBERED_REVOCATIONS: usize = 100_000;

// ----- settings -----

/// The key session tokens are signed with: at least 32 bytes, shared by every core of every
/// region (a token issued by one core is checked by any other). Never printed.
#[derive(Clone)]
pub struct SessionSecret(Vec<u8>);

impl SessionSecret {
    pub const MIN_LEN: usize = 32;

    /// A secret from settings; refused when shorter than [`Self::MIN_LEN`] bytes.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() < Self::MIN_LEN {
            return Err(format!("the session secret must have at least {} bytes", Self::MIN_LEN));
        }
        Ok(Self(s.as_bytes().to_vec()))
    }

    /// A random secret: tokens are then only valid on this process, until it stops.
    pub fn random() -> Self {
        let mut bytes = vec![0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }
}

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret(***)")
    }
}

/// The time authentication decisions use (expiries, locks, TOTP steps): the system clock
/// plus an offset that tests and drills move forward instead of waiting.
#[derive(Debug, Default)]
pub struct Clock {
    offset_micros: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        // The database keeps microseconds; so do we, so that times read back compare equal.
        let now = now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now);
        now + Duration::microseconds(self.offset_micros.load(Ordering::Relaxed))
    }

    /// Moves this clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let micros = i64::try_from(by.whole_microseconds()).unwrap_or(i64::MAX);
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// Everything authentication needs, kept in the application state.
#[derive(Debug)]
pub struct Auth {
    /// Signs and checks session tokens.
    secret: SessionSecret,
    /// Expiries, locks and TOTP steps are computed from it.
    pub clock: Clock,
    /// When failed logins lock an account (10 in a row, for 30 minutes).
    pub lock: LockPolicy,
    /// Lifetime of a shopper's session.
    pub customer_ttl: Duration,
    /// Lifetime of a staff session.
    pub staff_ttl: Duration,
    /// Lifetime of a staff session that may only enrol the second factor.
    pub enrolment_ttl: Duration,
    /// The issuer named in TOTP enrolment URIs (what authenticator apps show).
    pub totp_issuer: String,
    /// Bounds the password hashes computed at once (each takes ~19 MiB and a core for a while).
    hashing: tokio::sync::Semaphore,
    /// A hash of a random password, checked when a login names no account so that it takes as
    /// long as a wrong password.
    dummy_hash: tokio::sync::OnceCell<String>,
    /// Sessions this core saw revoked, with their expiry: refused without a database read.
    revoked: Mutex<HashMap<Uuid, OffsetDateTime>>,
}

impl Auth {
    pub fn new(secret: SessionSecret) -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            secret,
            clock: Clock::default(),
            lock: LockPolicy::default(),
            customer_ttl: Duration::days(30),
            staff_ttl: Duration::hours(12),
            enrolment_ttl: Duration::minutes(15),
            totp_issuer: "Shop".into(),
            hashing: tokio::sync::Semaphore::new(cpus.max(2)),
            dummy_hash: tokio::sync::OnceCell::new(),
            revoked: Mutex::new(HashMap::new()),
        }
    }

    /// A random secret: fine for tests and a single process, not for several cores.
    pub fn ephemeral() -> Self {
        Self::new(SessionSecret::random())
    }

    /// The claims of `token` if it is signed with this core's key.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        verify(&self.secret, token)
    }

    /// Whether this core saw `session` revoked.
    pub fn is_revoked(&self, session: Uuid) -> bool {
        self.revoked.lock().unwrap_or_else(|e| e.into_inner()).contains_key(&session)
    }

    /// Remembers a revoked session until its expiry.
    pub fn note_revoked(&self, session: Uuid, expires_at: OffsetDateTime) {
        let now = self.clock.now();
        let mut revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
        if revoked.len() >= MAX_REMEMBERED_REVOCATIONS {
            revoked.retain(|_, exp| *exp > now);
            if revoked.len() >= MAX_REMEMBERED_REVOCATIONS {
                // Only an optimization: the database still says it.
                revoked.clear();
            }
        }
        revoked.insert(session, expires_at);
    }
}

// ----- tokens -----

/// Whose session a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Customer,
    Staff,
}

/// What a session token says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Session id (the row checked on every request).
    pub sid: Uuid,
    /// The shopper's or staff member's id.
    pub sub: Uuid,
    /// Home region: where the subject's rows live and its writes go.
    pub reg: String,
    pub knd: TokenKind,
    /// Expiry, unix seconds.
    pub exp: i64,
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &SessionSecret, signed: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(&secret.0).expect("HMAC takes any key length");
    mac.update(signed.as_bytes());
    mac
}

/// Signs claims into a token.
pub fn sign(secret: &SessionSecret, claims: &Claims) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
    let signed = format!("v1.{payload}");
    let tag = URL_SAFE_NO_PAD.encode(mac(secret, &signed).finalize().into_bytes());
    format!("{signed}.{tag}")
}

/// The claims of a token whose signature is ours (its expiry is not checked here); `None` for
/// anything malformed, tampered with, or signed with another key.
pub fn verify(secret: &SessionSecret, token: &str) -> Option<Claims> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let (signed, tag) = token.rsplit_once('.')?;
    let payload = signed.strip_prefix("v1.")?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    mac(secret, signed).verify_slice(&tag).ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// A new session: its id, token and expiry.
#[derive(Debug)]
pub struct Issued {
    pub session: store::NewSession,
    pub token: String,
}

impl Auth {
    /// A new session for `subject`, valid for `ttl` from now (recorded by the caller in the
    /// same transaction as the login's success).
    pub fn issue(&self, kind: TokenKind, subject: Uuid, region: &str, ttl: Duration) -> Issued {
        let now = self.clock.now();
        let expires_at = now + ttl;
        let session =
            store::NewSession { id: Uuid::new_v4(), subject, region: region.to_string(), created_at: now, expires_at };
        let claims = Claims {
            sid: session.id,
            sub: subject,
            reg: region.to_string(),
            knd: kind,
            exp: expires_at.unix_timestamp(),
        };
        Issued { token: sign(&self.secret, &claims), session }
    }
}

// ----- passwords -----

impl Auth {
    /// Hashes a password with argon2id (19 MiB, 2 passes, the OWASP baseline) and a random
    /// salt, off the async threads.
    pub async fn hash_password(&self, password: &str) -> AppResult<String> {
        let _permit = self.hashing.acquire().await.map_err(AppError::internal)?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            let mut salt = [0u8; 16];
            rand::rng().fill_bytes(&mut salt);
            let salt = SaltString::encode_b64(&salt).map_err(AppError::internal)?;
            argon2::Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(AppError::internal)
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Whether `password` matches `hash` (parameters are read from the hash).
    pub async fn verify_password(&self, password: &str, hash: &str) -> AppResult<bool> {
        let _permit = self.hashing.acquire().await.map_err(AppError::internal)?;
        let (password, hash) = (password.to_string(), hash.to_string());
        tokio::task::spawn_blocking(move || {
            let Ok(parsed) = PasswordHash::new(&hash) else {
                tracing::error!("unreadable password hash");
                return false;
            };
            argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
        })
        .await
        .map_err(AppError::internal)
    }

    /// Spends the time of a password check when there is no account, so that an unknown email
    /// and a wrong password cannot be told apart by timing.
    pub async fn waste_password_check(&self, password: &str) -> AppResult<()> {
        let hash = self
            .dummy_hash
            .get_or_try_init(|| async {
                let mut random = [0u8; 24];
                rand::rng().fill_bytes(&mut random);
                self.hash_password(&URL_SAFE_NO_PAD.encode(random)).await
            })
            .await?;
        self.verify_password(password, hash).await?;
        Ok(())
    }
}

// ----- sessions -----

/// A shopper's session row (`region`: its home region, as its token says), whatever its state:
/// the caller checks that it is live.
pub async fn session(app: &crate::App, id: Uuid, region: &str) -> AppResult<Option<store::Session>> {
    let client = app.store.client().await?;
    Ok(store::session(&client, id, region).await?)
}

/// A staff session row of either stage, with its member's role and whether they are disabled.
pub async fn staff_session(app: &crate::App, id: Uuid, region: &str) -> AppResult<Option<store::StaffSession>> {
    let client = app.store.client().await?;
    Ok(store::staff_session(&client, id, region).await?)
}

// ----- TOTP -----

/// Time-based one-time passwords (RFC 6238): HMAC-SHA-1, 30-second steps, 6 digits, accepted
/// one step either side of now.
pub mod totp {
    use hmac::{Hmac, Mac};
    use sha1::Sha1;
    use subtle::ConstantTimeEq;

    /// Seconds per step.
    pub const PERIOD: i64 = 30;
    pub const DIGITS: usize = 6;
    /// Bytes of a new secret (160 bits, as RFC 4226 recommends).
    pub const SECRET_BYTES: usize = 20;

    /// The step of a unix time.
    pub fn step(unix_seconds: i64) -> i64 {
        unix_seconds.div_euclid(PERIOD)
    }

    /// The code of a step.
    pub fn code(secret: &[u8], step: i64) -> String {
        let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(&step.to_be_bytes());
        let h = mac.finalize().into_bytes();
        let offset = usize::from(h[h.len() - 1] & 0x0f);
        let bin = u32::from_be_bytes([h[offset] & 0x7f, h[offset + 1], h[offset + 2], h[offset + 3]]);
        format!("{:0width$}", bin % 10u32.pow(DIGITS as u32), width = DIGITS)
    }

    /// The step whose code `candidate` is, within one step of `unix_seconds`; spaces in the
    /// candidate are ignored. Every step of the window is compared in constant time.
    pub fn check(secret: &[u8], candidate: &str, unix_seconds: i64) -> Option<i64> {
        let candidate: String = candidate.chars().filter(|c| *c != ' ').collect();
        if candidate.len() != DIGITS || !candidate.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = step(unix_seconds);
        let mut found = None;
        for s in [now - 1, now, now + 1] {
            if bool::from(code(secret, s).as_bytes().ct_eq(candidate.as_bytes())) {
                found = Some(s);
            }
        }
        found
    }

    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// RFC 4648 base32 without padding, as authenticator apps take secrets.
    pub fn base32(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
        for chunk in bytes.chunks(5) {
            let mut buf = [0u8; 5];
            buf[..chunk.len()].copy_from_slice(chunk);
            let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
            let chars = (chunk.len() * 8).div_ceil(5);
            for i in 0..chars {
                out.push(char::from(ALPHABET[((n >> (35 - i * 5)) & 31) as usize]));
            }
        }
        out
    }

    /// Decodes base32 (any case; spaces and padding ignored).
    pub fn from_base32(s: &str) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(s.len() * 5 / 8);
        let (mut acc, mut bits) = (0u32, 0u32);
        for c in s.chars().filter(|c| *c != ' ' && *c != '=') {
            let v = ALPHABET.iter().position(|a| char::from(*a) == c.to_ascii_uppercase())? as u32;
            acc = (acc << 5) | v;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        Some(out)
    }

    /// The `otpauth://` URI authenticator apps read (usually from a QR code).
    pub fn uri(issuer: &str, account: &str, secret_base32: &str) -> String {
        let (issuer, account) = (percent(issuer), percent(account));
        format!(
            "otpauth://totp/{issuer}:{account}?secret={secret_base32}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={PERIOD}"
        )
    }

    fn percent(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// RFC 6238 appendix B (SHA-1), last 6 of the 8 digits.
        #[test]
        fn rfc_6238_vectors() {
            let secret = b"12345678901234567890";
            for (time, expected) in [
                (59, "287082"),
                (1_111_111_109, "081804"),
                (1_111_111_111, "050471"),
                (1_234_567_890, "005924"),
                (2_000_000_000, "279037"),
                (20_000_000_000, "353130"),
            ] {
                assert_eq!(code(secret, step(time)), expected, "{time}");
            }
        }

        #[test]
        fn codes_are_accepted_one_step_either_side() {
            let secret = b"12345678901234567890";
            let t = 1_111_111_109;
            assert_eq!(check(secret, "081804", t), Some(step(t)));
            assert_eq!(check(secret, "081 804", t + PERIOD), Some(step(t)));
            assert_eq!(check(secret, "081804", t - PERIOD), Some(step(t)));
            assert_eq!(check(secret, "081804", t + 2 * PERIOD), None);
            assert_eq!(check(secret, "81804", t), None);
            assert_eq!(check(secret, "08180a", t), None);
        }

        #[test]
        fn base32_round_trips() {
            assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
            assert_eq!(base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
            for n in 0..25 {
                let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
                assert_eq!(from_base32(&base32(&bytes)).unwrap(), bytes);
            }
            assert_eq!(from_base32("mzxw 6ytb oi==").unwrap(), b"foobar");
            assert_eq!(from_base32("MZ1"), None);
        }

        #[test]
        fn uris_escape_names() {
            assert_eq!(
                uri("Shop", "ada@example.com", "ABC"),
                "otpauth://totp/Shop:ada%40example.com?secret=ABC&issuer=Shop&algorithm=SHA1&digits=6&period=30"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            sid: Uuid::new_v4(),
            sub: Uuid::new_v4(),
            reg: "eu-west".into(),
            knd: TokenKind::Customer,
            exp: 2e9 as i64,
        }
    }

    #[test]
    fn tokens_verify_with_their_key_only() {
        let key = SessionSecret::parse(&"k".repeat(32)).unwrap();
        let c = claims();
        let token = sign(&key, &c);
        assert!(token.starts_with("v1."));
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(verify(&key, &token), Some(c.clone()));
        let other = SessionSecret::parse(&"j".repeat(32)).unwrap();
        assert_eq!(verify(&other, &token), None);
    }

    #[test]
    fn tampered_or_malformed_tokens_fail() {
        let key = SessionSecret::parse(&"k".repeat(32)).unwrap();
        let c = claims();
        let token = sign(&key, &c);
        let (_, payload, tag) = {
            let mut p = token.split('.');
            (p.next().unwrap(), p.next().unwrap(), p.next().unwrap())
        };
        // Another payload (a different user) under the original MAC.
        let forged = Claims { sub: Uuid::new_v4(), ..c };
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        for bad in [
            String::new(),
            "v1".into(),
            "v1..".into(),
            format!("v2.{payload}.{tag}"),
            format!("v1.{forged_payload}.{tag}"),
            format!("v1.{payload}.{}", &tag[1..]),
            format!("v1.{payload}x.{tag}"),
            format!("{token}.x"),
            "x".repeat(MAX_TOKEN_LEN + 1),
        ] {
            assert_eq!(verify(&key, &bad), None, "{bad}");
        }
    }

    #[test]
    fn secrets_are_long_and_never_printed() {
        assert!(SessionSecret::parse("short").is_err());
        let key = SessionSecret::parse(&"s".repeat(40)).unwrap();
        assert_eq!(format!("{key:?}"), "SessionSecret(***)");
    }

    #[test]
    fn the_clock_moves_forward_on_demand() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::minutes(31));
        assert!(clock.now() - before >= Duration::minutes(31));
    }
}
