//! Accounts: shoppers (sign-up, profile, addresses, sessions), staff (roles, the TOTP second
//! factor, sessions), the bookkeeping of logins (consecutive failures and locks), and the
//! accounts' part of a shopper's GDPR export and erasure ([`crate::gdpr`] puts the modules'
//! parts together).
//!
//! Every function takes the caller's client or transaction; writes run inside
//! [`crate::Store::transaction`]. Passwords arrive hashed (the API hashes them with argon2id,
//! off the async threads), and times come from the caller's clock, so that locks and expiries
//! can be tested without waiting. Every row of personal data carries `region`, the home region
//! of its shopper or staff member (on CockroachDB the row lives there).

use crate::Prepared;
use deadpool_postgres::GenericClient;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::StoreError;
use crate::tx::AsSerializationFailure;

/// Shortest password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password, in bytes: bounds the work of hashing one.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Longest name (of a person or on an address), in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Most addresses one shopper keeps.
pub const MAX_ADDRESSES: i64 = 50;
/// Most street lines of an address.
pub const MAX_ADDRESS_LINES: usize = 3;

// ----- errors -----

/// Why an account change was refused. Each variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountRejection {
    #[error("`email` is not a valid email address")]
    InvalidEmail,
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("the password must have at most {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    #[error("`{field}` is invalid: {reason}")]
    Invalid { field: String, reason: String },
    #[error("unknown market `{market}`")]
    UnknownMarket { market: String },
    #[error("market `{market}` is served from another region than the account's home region")]
    MarketInOtherRegion { market: String },
    #[error("unknown region `{region}`")]
    UnknownRegion { region: String },
    #[error("unknown role `{role}`: admin, merchandiser or support")]
    UnknownRole { role: String },
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("at most {MAX_ADDRESSES} addresses")]
    TooManyAddresses,
    #[error("the current password is incorrect")]
    WrongCurrentPassword,
    #[error("the second factor is already enrolled")]
    TotpAlreadyEnrolled,
    #[error("no second factor enrolment is in progress")]
    TotpNotStarted,
}

impl AccountRejection {
    /// The stable error code clients can rely on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidEmail => "invalid_email",
            Self::PasswordTooShort => "password_too_short",
            Self::PasswordTooLong => "password_too_long",
            Self::Invalid { .. } => "validation_failed",
            Self::UnknownMarket { .. } => "unknown_market",
            Self::MarketInOtherRegion { .. } => "market_in_other_region",
            Self::UnknownRegion { .. } => "unknown_region",
            Self::UnknownRole { .. } => "unknown_role",
            Self::EmailTaken => "email_taken",
            Self::TooManyAddresses => "too_many_addresses",
            Self::WrongCurrentPassword => "invalid_current_password",
            Self::TotpAlreadyEnrolled => "totp_already_enrolled",
            Self::TotpNotStarted => "totp_not_started",
        }
    }

    /// Whether the request conflicts with the current data (409) rather than being invalid.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::EmailTaken | Self::TooManyAddresses | Self::TotpAlreadyEnrolled | Self::TotpNotStarted)
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> AccountRejection {
    AccountRejection::Invalid { field: field.into(), reason: reason.into() }
}

/// Why an account operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Rejected(#[from] AccountRejection),
    /// The account, staff member or address does not exist (or is not the caller's).
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for AccountError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::from(StoreError::from(e))
    }
}

impl AsSerializationFailure for AccountError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

/// A unique email index violated: the email is taken.
fn email_conflict(e: tokio_postgres::Error) -> AccountError {
    match StoreError::from(e) {
        StoreError::Conflict { constraint } if constraint == "users_by_email" || constraint == "staff_by_email" => {
            AccountRejection::EmailTaken.into()
        }
        other => other.into(),
    }
}

// ----- input checks (pure) -----

/// Normalizes an email address (trimmed, lower case) and checks its shape: one `@`, a local
/// part of 1-64 bytes, a domain of dot-separated labels, no spaces or control characters.
pub fn normalize_email(raw: &str) -> Result<String, AccountRejection> {
    let email = raw.trim().to_lowercase();
    if email.len() < 3 || email.len() > MAX_EMAIL_LEN {
        return Err(AccountRejection::InvalidEmail);
    }
    let Some((local, domain)) = email.split_once('@') else { return Err(AccountRejection::InvalidEmail) };
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "@,;:<>()[]\\\"".contains(c);
    let labels_ok = domain.split('.').count() >= 2
        && domain.split('.').all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
        && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !local.chars().any(forbidden);
    if local_ok && labels_ok { Ok(email) } else { Err(AccountRejection::InvalidEmail) }
}

/// Checks a new password: at least [`MIN_PASSWORD_CHARS`] characters, at most
/// [`MAX_PASSWORD_BYTES`] bytes. Passwords are never trimmed or normalized.
pub fn check_password(password: &str) -> Result<(), AccountRejection> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountRejection::PasswordTooLong);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountRejection::PasswordTooShort);
    }
    Ok(())
}

/// A required text field: trimmed, 1 to `max` characters, no control characters.
fn text(field: &str, raw: &str, max: usize) -> Result<String, AccountRejection> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(invalid(field, format!("at most {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(s.to_string())
}

/// An optional text field: absent or blank is `None`.
fn optional_text(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, AccountRejection> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => text(field, s, max).map(Some),
    }
}

/// A person's name: trimmed, 1-200 characters.
pub fn check_name(raw: &str) -> Result<String, AccountRejection> {
    text("name", raw, MAX_NAME_CHARS)
}

/// The roles of staff members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, including managing staff.
    Admin,
    /// The catalog, prices and promotions.
    Merchandiser,
    /// Customer support (orders, refunds as they come); not the catalog.
    Support,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "admin" => Self::Admin,
            "merchandiser" => Self::Merchandiser,
            "support" => Self::Support,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Merchandiser => "merchandiser",
            Self::Support => "support",
        }
    }

    /// Whether this role may do what `needed` may: admins may do everything, the others what
    /// their own role allows.
    pub fn allows(self, needed: Role) -> bool {
        self == Self::Admin || self == needed
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// ----- shoppers -----

/// A shopper's account, as the shopper sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub market: String,
    /// Home region: where the shopper's rows live and their writes go.
    pub region: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

fn user_of(row: &Row) -> User {
    User {
        id: row.get(0),
        email: row.get(1),
        name: row.get(2),
        market: row.get(3),
        region: row.get(4),
        created_at: row.get(5),
        updated_at: row.get(6),
    }
}

/// A checked sign-up.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub market: String,
    /// The market's region: the shopper's home region.
    pub region: String,
}

impl NewUser {
    /// Checks a sign-up (the password is checked and hashed by the caller): the email is
    /// normalized, the market must exist, and its region becomes the home region.
    pub fn check(regions: &regions::Catalog, email: &str, name: &str, market: &str) -> Result<Self, AccountRejection> {
        let email = normalize_email(email)?;
        let name = check_name(name)?;
        let market = regions
            .market(market)
            .ok_or_else(|| AccountRejection::UnknownMarket { market: market.chars().take(64).collect() })?;
        Ok(Self { email, name, market: market.id.to_string(), region: market.region.clone() })
    }
}

/// Creates a shopper's account. A taken email is [`AccountRejection::EmailTaken`].
pub async fn create_user(
    client: &impl GenericClient,
    user: &NewUser,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<User, AccountError> {
    let row = client
        .query_one_cached(
            "INSERT INTO users (email, name, market, region, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             RETURNING id, email, name, market, region, created_at, updated_at",
            &[&user.email, &user.name, &user.market, &user.region, &password_hash, &now],
        )
        .await
        .map_err(email_conflict)?;
    Ok(user_of(&row))
}

/// What a sign-up did: the account it created, or the account that already had the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignUp {
    Created(User),
    /// The address belongs to this account already (id, market, home region); nothing was
    /// changed.
    Existing {
        id: Uuid,
        market: String,
        region: String,
    },
}

/// Creates a shopper's account unless one has the address (erased accounts never do: their
/// address is replaced). Run inside a transaction: two sign-ups with one address serialize, and
/// the second finds the first's account.
pub async fn sign_up(
    client: &impl GenericClient,
    user: &NewUser,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<SignUp, AccountError> {
    let existing = client
        .query_opt_cached("SELECT id, market, region FROM users WHERE email = $1", &[&user.email])
        .await
        .map_err(StoreError::from)?;
    if let Some(row) = existing {
        return Ok(SignUp::Existing { id: row.get(0), market: row.get(1), region: row.get(2) });
    }
    create_user(client, user, password_hash, now).await.map(SignUp::Created)
}

/// A shopper's account; `None` when unknown or erased.
pub async fn user(client: &impl GenericClient, id: Uuid) -> Result<Option<User>, StoreError> {
    let row = client
        .query_opt_cached(
            "SELECT id, email, name, market, region, created_at, updated_at FROM users \
             WHERE id = $1 AND erased_at IS NULL",
            &[&id],
        )
        .await?;
    Ok(row.as_ref().map(user_of))
}

/// The password hash of a (non-erased) shopper, to check a current password.
pub async fn user_password_hash(client: &impl GenericClient, id: Uuid) -> Result<Option<String>, StoreError> {
    let row =
        client.query_opt_cached("SELECT password_hash FROM users WHERE id = $1 AND erased_at IS NULL", &[&id]).await?;
    Ok(row.and_then(|r| r.get(0)))
}

/// Changes to a shopper's account; `None` keeps a field.
#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    /// Another market of the same region (moving regions would move every row of the shopper).
    pub market: Option<String>,
    pub email: Option<String>,
    /// A new password, hashed.
    pub password_hash: Option<String>,
}

impl UserPatch {
    /// Checks and normalizes the name and email of a patch.
    pub fn check(mut self) -> Result<Self, AccountRejection> {
        self.name = self.name.as_deref().map(check_name).transpose()?;
        self.email = self.email.as_deref().map(normalize_email).transpose()?;
        Ok(self)
    }
}

/// Applies a checked patch. A market must exist and be served from the account's home region.
pub async fn update_user(
    client: &impl GenericClient,
    regions: &regions::Catalog,
    id: Uuid,
    patch: &UserPatch,
    now: OffsetDateTime,
) -> Result<User, AccountError> {
    let current = user(client, id).await?.ok_or(AccountError::NotFound("account"))?;
    let market = match patch.market.as_deref() {
        None => None,
        Some(m) => {
            let market = regions
                .market(m)
                .ok_or_else(|| AccountRejection::UnknownMarket { market: m.chars().take(64).collect() })?;
            if market.region != current.region {
                return Err(AccountRejection::MarketInOtherRegion { market: market.id.to_string() }.into());
            }
            Some(market.id.to_string())
        }
    };
    let row = client
        .query_opt_cached(
            "UPDATE users SET name = COALESCE($2, name), market = COALESCE($3, market), \
             email = COALESCE($4, email), password_hash = COALESCE($5, password_hash), updated_at = $6 \
             WHERE id = $1 AND erased_at IS NULL \
             RETURNING id, email, name, market, region, created_at, updated_at",
            &[&id, &patch.name, &market, &patch.email, &patch.password_hash, &now],
        )
        .await
        .map_err(email_conflict)?;
    row.as_ref().map(user_of).ok_or(AccountError::NotFound("account"))
}

// ----- logins -----

/// When failed logins lock an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockPolicy {
    /// Consecutive failures that lock the account.
    pub max_failures: i32,
    /// How long a lock lasts.
    pub lock_for: Duration,
}

impl Default for LockPolicy {
    fn default() -> Self {
        Self { max_failures: 10, lock_for: Duration::minutes(30) }
    }
}

/// Whose login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    Shopper,
    Staff,
}

/// The second factor of a staff member, as a login needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotpState {
    /// Base32 secret; `None` before enrolment starts.
    pub secret: Option<String>,
    /// Whether a code confirmed the secret.
    pub confirmed: bool,
    /// Time step of the last accepted code.
    pub last_step: Option<i64>,
}

/// What a login may check, once its attempt is counted.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub id: Uuid,
    pub region: String,
    pub password_hash: String,
    /// Staff only.
    pub role: Option<Role>,
    /// Staff only.
    pub totp: Option<TotpState>,
}

/// The start of a login.
#[derive(Clone, Debug)]
pub enum LoginAttempt {
    /// No such (live) account: the caller answers as for a wrong password, in similar time.
    Unknown,
    /// Locked by failed logins; nothing is checked until `until`.
    Locked { until: OffsetDateTime },
    /// The attempt is counted as a failure until [`login_succeeded`] says otherwise.
    Proceed(Credentials),
}

/// Starts a login: finds the account by its (normalized) email and, unless it is locked,
/// counts the attempt as a failure before the password is checked, so that concurrent guesses
/// can never make more than `max_failures` attempts per lock period. The count that reaches
/// `max_failures` sets the lock; a lock that has expired starts a fresh count. Run it in its
/// own transaction, committed before the (slow) password check.
pub async fn begin_login(
    client: &impl GenericClient,
    principal: Principal,
    email: &str,
    now: OffsetDateTime,
    policy: LockPolicy,
) -> Result<LoginAttempt, StoreError> {
    let row = match principal {
        Principal::Shopper => {
            client
                .query_opt_cached(
                    "SELECT id, region, password_hash, failed_logins, locked_until FROM users \
                     WHERE email = $1 AND erased_at IS NULL FOR UPDATE",
                    &[&email],
                )
                .await?
        }
        Principal::Staff => {
            client
                .query_opt_cached(
                    "SELECT id, region, password_hash, failed_logins, locked_until, role, totp_secret, \
                     totp_confirmed_at IS NOT NULL, totp_last_step FROM staff \
                     WHERE email = $1 AND disabled_at IS NULL FOR UPDATE",
                    &[&email],
                )
                .await?
        }
    };
    let Some(row) = row else { return Ok(LoginAttempt::Unknown) };
    let Some(password_hash) = row.get::<_, Option<String>>(2) else { return Ok(LoginAttempt::Unknown) };
    let id: Uuid = row.get(0);
    let failed: i32 = row.get(3);
    let locked_until: Option<OffsetDateTime> = row.get(4);
    if let Some(until) = locked_until
        && until > now
    {
        return Ok(LoginAttempt::Locked { until });
    }
    let failed = if locked_until.is_some() { 1 } else { failed.saturating_add(1) };
    let lock = (failed >= policy.max_failures).then(|| now + policy.lock_for);
    let sql = match principal {
        Principal::Shopper => "UPDATE users SET failed_logins = $2, locked_until = $3 WHERE id = $1",
        Principal::Staff => "UPDATE staff SET failed_logins = $2, locked_until = $3 WHERE id = $1",
    };
    client.execute_cached(sql, &[&id, &failed, &lock]).await?;
    let (role, totp) = match principal {
        Principal::Shopper => (None, None),
        Principal::Staff => (
            Role::parse(row.get(5)),
            Some(TotpState { secret: row.get(6), confirmed: row.get(7), last_step: row.get(8) }),
        ),
    };
    Ok(LoginAttempt::Proceed(Credentials { id, region: row.get(1), password_hash, role, totp }))
}

/// A login succeeded: the consecutive failures start again from zero.
pub async fn login_succeeded(client: &impl GenericClient, principal: Principal, id: Uuid) -> Result<(), StoreError> {
    let sql = match principal {
        Principal::Shopper => "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
        Principal::Staff => "UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE id = $1",
    };
    client.execute_cached(sql, &[&id]).await?;
    Ok(())
}

// ----- sessions -----

/// A session to record. `subject` is the shopper (`users.id`) or the staff member (`staff.id`).
#[derive(Clone, Debug)]
pub struct NewSession {
    pub id: Uuid,
    pub subject: Uuid,
    pub region: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// What a staff session may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffStage {
    /// The admin API, within the member's role.
    Full,
    /// Only enrolling the TOTP second factor.
    Enrolment,
}

impl StaffStage {
    fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Enrolment => "enrolment",
        }
    }
}

/// A session as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub subject: Uuid,
    pub region: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

fn session_of(row: &Row) -> Session {
    Session {
        id: row.get(0),
        subject: row.get(1),
        region: row.get(2),
        created_at: row.get(3),
        expires_at: row.get(4),
        revoked_at: row.get(5),
    }
}

/// Records a shopper's session.
pub async fn create_session(client: &impl GenericClient, s: &NewSession) -> Result<(), StoreError> {
    client
        .execute_cached(
            "INSERT INTO sessions (id, user_id, region, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&s.id, &s.subject, &s.region, &s.created_at, &s.expires_at],
        )
        .await?;
    Ok(())
}

/// A shopper's session by id. `region` is the home region the token names: on CockroachDB the
/// lookup goes straight to that region's rows.
pub async fn session(client: &impl GenericClient, id: Uuid, region: &str) -> Result<Option<Session>, StoreError> {
    let row = client
        .query_opt_cached(
            "SELECT id, user_id, region, created_at, expires_at, revoked_at FROM sessions \
             WHERE id = $1 AND region = $2",
            &[&id, &region],
        )
        .await?;
    Ok(row.as_ref().map(session_of))
}

/// A shopper's sessions, newest first (for the GDPR export).
pub async fn user_sessions(client: &impl GenericClient, user_id: Uuid) -> Result<Vec<Session>, StoreError> {
    let rows = client
        .query_cached(
            "SELECT id, user_id, region, created_at, expires_at, revoked_at FROM sessions \
             WHERE user_id = $1 ORDER BY created_at DESC, id",
            &[&user_id],
        )
        .await?;
    Ok(rows.iter().map(session_of).collect())
}

/// Revokes one of a shopper's sessions; false when it is not theirs or already revoked.
pub async fn revoke_session(
    client: &impl GenericClient,
    user_id: Uuid,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let n = client
        .execute_cached(
            "UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
            &[&id, &user_id, &now],
        )
        .await?;
    Ok(n == 1)
}

/// Revokes every live session of a shopper, except `keep` when given; returns how many.
pub async fn revoke_sessions(
    client: &impl GenericClient,
    user_id: Uuid,
    keep: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    Ok(client
        .execute_cached(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL \
             AND expires_at > $2 AND ($3::UUID IS NULL OR id <> $3)",
            &[&user_id, &now, &keep],
        )
        .await?)
}

/// A staff session with what the admin API needs of its member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffSession {
    pub session: Session,
    pub stage: StaffStage,
    pub role: Role,
    /// The member was disabled: the session no longer counts.
    pub disabled: bool,
}

/// Records a staff session.
pub async fn create_staff_session(
    client: &impl GenericClient,
    s: &NewSession,
    stage: StaffStage,
) -> Result<(), StoreError> {
    client
        .execute_cached(
            "INSERT INTO staff_sessions (id, staff_id, region, stage, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&s.id, &s.subject, &s.region, &stage.as_str(), &s.created_at, &s.expires_at],
        )
        .await?;
    Ok(())
}

/// A staff session by id, with its member's current role (a role change applies at once).
pub async fn staff_session(
    client: &impl GenericClient,
    id: Uuid,
    region: &str,
) -> Result<Option<StaffSession>, StoreError> {
    let row = client
        .query_opt_cached(
            "SELECT s.id, s.staff_id, s.region, s.created_at, s.expires_at, s.revoked_at, s.stage, m.role, \
             m.disabled_at IS NOT NULL \
             FROM staff_sessions s JOIN staff m ON m.id = s.staff_id WHERE s.id = $1 AND s.region = $2",
            &[&id, &region],
        )
        .await?;
    Ok(row.map(|row| StaffSession {
        session: session_of(&row),
        stage: if row.get::<_, &str>(6) == "full" { StaffStage::Full } else { StaffStage::Enrolment },
        role: Role::parse(row.get(7)).unwrap_or(Role::Support),
        disabled: row.get(8),
    }))
}

/// Revokes one staff session; false when it is not the member's or already revoked.
pub async fn revoke_staff_session(
    client: &impl GenericClient,
    staff_id: Uuid,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let n = client
        .execute_cached(
            "UPDATE staff_sessions SET revoked_at = $3 WHERE id = $1 AND staff_id = $2 AND revoked_at IS NULL",
            &[&id, &staff_id, &now],
        )
        .await?;
    Ok(n == 1)
}

/// Revokes every live session of a staff member; returns how many.
pub async fn revoke_staff_sessions(
    client: &impl GenericClient,
    staff_id: Uuid,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    Ok(client
        .execute_cached(
            "UPDATE staff_sessions SET revoked_at = $2 WHERE staff_id = $1 AND revoked_at IS NULL AND expires_at > $2",
            &[&staff_id, &now],
        )
        .await?)
}

// ----- addresses -----

/// An address as a shopper gives it; [`AddressInput::check`] normalizes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressInput {
    /// Recipient.
    pub name: String,
    /// 1 to 3 street lines.
    pub lines: Vec<String>,
    pub city: String,
    pub postal_code: Option<String>,
    /// State, province, prefecture… (free text or an ISO 3166-2 code).
    pub subdivision: Option<String>,
    /// ISO 3166-1 alpha-2, stored upper case.
    pub country: String,
    pub phone: Option<String>,
    pub is_default: bool,
}

impl AddressInput {
    /// Trims every field, drops blank street lines, upper-cases the country, and checks
    /// lengths and characters.
    pub fn check(self) -> Result<Self, AccountRejection> {
        let name = text("name", &self.name, MAX_NAME_CHARS)?;
        let lines: Vec<String> =
            self.lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).map(str::to_string).collect();
        if lines.is_empty() || lines.len() > MAX_ADDRESS_LINES {
            return Err(invalid("lines", format!("1 to {MAX_ADDRESS_LINES} street lines")));
        }
        for line in &lines {
            text("lines", line, MAX_NAME_CHARS)?;
        }
        let city = text("city", &self.city, 100)?;
        let postal_code = optional_text("postal_code", self.postal_code.as_deref(), 16)?;
        if let Some(p) = &postal_code
            && !p.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            return Err(invalid("postal_code", "letters, digits, spaces and '-'"));
        }
        let subdivision = optional_text("subdivision", self.subdivision.as_deref(), 100)?;
        let country = self.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid("country", "an ISO 3166-1 alpha-2 code such as `FR`"));
        }
        let phone = optional_text("phone", self.phone.as_deref(), 32)?;
        if let Some(p) = &phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            if digits < 6 || !p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
                return Err(invalid("phone", "digits, spaces and + - ( ) ., at least 6 digits"));
            }
        }
        Ok(Self { name, lines, city, postal_code, subdivision, country, phone, is_default: self.is_default })
    }
}

/// A stored address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub id: Uuid,
    pub address: AddressInput,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

fn address_of(row: &Row) -> Address {
    Address {
        id: row.get(0),
        address: AddressInput {
            name: row.get(1),
            lines: row.get(2),
            city: row.get(3),
            postal_code: row.get(4),
            subdivision: row.get(5),
            country: row.get(6),
            phone: row.get(7),
            is_default: row.get(8),
        },
        created_at: row.get(9),
        updated_at: row.get(10),
    }
}

/// A shopper's addresses, the default first, then oldest first.
pub async fn addresses(client: &impl GenericClient, user_id: Uuid) -> Result<Vec<Address>, StoreError> {
    let rows = client
        .query_cached(
            "SELECT id, name, lines, city, postal_code, subdivision, country, phone, is_default, created_at, \
             updated_at FROM addresses WHERE user_id = $1 ORDER BY is_default DESC, created_at, id",
            &[&user_id],
        )
        .await?;
    Ok(rows.iter().map(address_of).collect())
}

/// One of a shopper's addresses; `None` when unknown or another shopper's.
pub async fn address(client: &impl GenericClient, user_id: Uuid, id: Uuid) -> Result<Option<Address>, StoreError> {
    let row = client
        .query_opt_cached(
            "SELECT id, name, lines, city, postal_code, subdivision, country, phone, is_default, created_at, \
             updated_at FROM addresses WHERE id = $1 AND user_id = $2",
            &[&id, &user_id],
        )
        .await?;
    Ok(row.as_ref().map(address_of))
}

/// Clears the default flag of the shopper's other addresses.
async fn clear_default(client: &impl GenericClient, user_id: Uuid, except: Uuid) -> Result<(), StoreError> {
    client
        .execute_cached(
            "UPDATE addresses SET is_default = false WHERE user_id = $1 AND is_default AND id <> $2",
            &[&user_id, &except],
        )
        .await?;
    Ok(())
}

/// Adds a checked address to a shopper's (in their home region). A default address takes the
/// flag from the previous one.
pub async fn add_address(
    client: &impl GenericClient,
    user_id: Uuid,
    a: &AddressInput,
    now: OffsetDateTime,
) -> Result<Address, AccountError> {
    let count: i64 =
        client.query_one_cached("SELECT count(*) FROM addresses WHERE user_id = $1", &[&user_id]).await?.get(0);
    if count >= MAX_ADDRESSES {
        return Err(AccountRejection::TooManyAddresses.into());
    }
    if a.is_default {
        clear_default(client, user_id, Uuid::nil()).await?;
    }
    let row = client
        .query_opt_cached(
            "INSERT INTO addresses (user_id, region, name, lines, city, postal_code, subdivision, country, phone, \
             is_default, created_at, updated_at) \
             SELECT id, region, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10 FROM users WHERE id = $1 AND erased_at IS NULL \
             RETURNING id, name, lines, city, postal_code, subdivision, country, phone, is_default, created_at, \
             updated_at",
            &[&user_id, &a.name, &a.lines, &a.city, &a.postal_code, &a.subdivision, &a.country, &a.phone, &a.is_default, &now],
        )
        .await?;
    row.as_ref().map(address_of).ok_or(AccountError::NotFound("account"))
}

/// Replaces one of a shopper's addresses with a checked one.
pub async fn replace_address(
    client: &impl GenericClient,
    user_id: Uuid,
    id: Uuid,
    a: &AddressInput,
    now: OffsetDateTime,
) -> Result<Address, AccountError> {
    if a.is_default {
        clear_default(client, user_id, id).await?;
    }
    let row = client
        .query_opt_cached(
            "UPDATE addresses SET name = $3, lines = $4, city = $5, postal_code = $6, subdivision = $7, \
             country = $8, phone = $9, is_default = $10, updated_at = $11 WHERE id = $1 AND user_id = $2 \
             RETURNING id, name, lines, city, postal_code, subdivision, country, phone, is_default, created_at, \
             updated_at",
            &[
                &id,
                &user_id,
                &a.name,
                &a.lines,
                &a.city,
                &a.postal_code,
                &a.subdivision,
                &a.country,
                &a.phone,
                &a.is_default,
                &now,
            ],
        )
        .await?;
    row.as_ref().map(address_of).ok_or(AccountError::NotFound("address"))
}

/// Deletes one of a shopper's addresses.
pub async fn delete_address(client: &impl GenericClient, user_id: Uuid, id: Uuid) -> Result<(), AccountError> {
    let n = client.execute_cached("DELETE FROM addresses WHERE id = $1 AND user_id = $2", &[&id, &user_id]).await?;
    if n == 1 { Ok(()) } else { Err(AccountError::NotFound("address")) }
}

// ----- GDPR: the accounts' sections -----

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The personal data the accounts module holds on a shopper, as sections of the export:
/// `account`, `addresses` and `sessions` (metadata only; tokens are never stored). `None`
/// when the account is unknown or erased.
pub async fn export(client: &impl GenericClient, user_id: Uuid) -> Result<Option<Map<String, Value>>, StoreError> {
    let Some(u) = user(client, user_id).await? else { return Ok(None) };
    let mut sections = Map::new();
    sections.insert(
        "account".into(),
        json!({
            "id": u.id, "email": u.email, "name": u.name, "market": u.market, "home_region": u.region,
            "created_at": rfc3339(u.created_at), "updated_at": rfc3339(u.updated_at),
        }),
    );
    let addresses: Vec<Value> = addresses(client, user_id)
        .await?
        .into_iter()
        .map(|a| {
            let x = a.address;
            json!({
                "id": a.id, "name": x.name, "lines": x.lines, "city": x.city, "postal_code": x.postal_code,
                "subdivision": x.subdivision, "country": x.country, "phone": x.phone, "is_default": x.is_default,
                "created_at": rfc3339(a.created_at), "updated_at": rfc3339(a.updated_at),
            })
        })
        .collect();
    sections.insert("addresses".into(), Value::Array(addresses));
    let sessions: Vec<Value> = user_sessions(client, user_id)
        .await?
        .into_iter()
        .map(|s| {
            json!({
                "id": s.id, "created_at": rfc3339(s.created_at), "expires_at": rfc3339(s.expires_at),
                "revoked_at": s.revoked_at.map(rfc3339),
            })
        })
        .collect();
    sections.insert("sessions".into(), Value::Array(sessions));
    Ok(Some(sections))
}

/// Erases the accounts' personal data of a shopper: addresses deleted, sessions revoked, the
/// name emptied, the email replaced by a random placeholder (nothing derived from it, so it
/// cannot be reversed), the password hash removed, the account marked erased. The row stays,
/// so that orders kept for tax evidence still reference an (anonymous) account. Returns false
/// when the account is unknown or already erased. Part of [`crate::gdpr::erase`], which runs
/// every module's part in one transaction.
pub async fn erase(client: &impl GenericClient, user_id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
    let placeholder = format!("erased-{}@erased.invalid", Uuid::new_v4().simple());
    let n = client
        .execute_cached(
            "UPDATE users SET email = $2, name = '', password_hash = NULL, failed_logins = 0, locked_until = NULL, \
             erased_at = $3, updated_at = $3 WHERE id = $1 AND erased_at IS NULL",
            &[&user_id, &placeholder, &now],
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    client.execute_cached("DELETE FROM addresses WHERE user_id = $1", &[&user_id]).await?;
    client
        .execute_cached(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            &[&user_id, &now],
        )
        .await?;
    Ok(true)
}

// ----- staff -----

/// A staff member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffMember {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub region: String,
    /// Whether the TOTP second factor is enrolled and confirmed.
    pub totp_enrolled: bool,
    pub created_at: OffsetDateTime,
}

fn staff_of(row: &Row) -> StaffMember {
    StaffMember {
        id: row.get(0),
        email: row.get(1),
        name: row.get(2),
        role: Role::parse(row.get(3)).unwrap_or(Role::Support),
        region: row.get(4),
        totp_enrolled: row.get(5),
        created_at: row.get(6),
    }
}

/// A checked new staff member.
#[derive(Clone, Debug)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub region: String,
}

impl NewStaff {
    /// Checks a new staff member (the password is checked and hashed by the caller).
    pub fn check(
        regions: &regions::Catalog,
        email: &str,
        name: &str,
        role: &str,
        region: &str,
    ) -> Result<Self, AccountRejection> {
        let email = normalize_email(email)?;
        let name = check_name(name)?;
        let role =
            Role::parse(role).ok_or_else(|| AccountRejection::UnknownRole { role: role.chars().take(64).collect() })?;
        let region = regions
            .region(region)
            .ok_or_else(|| AccountRejection::UnknownRegion { region: region.chars().take(64).collect() })?
            .id
            .clone();
        Ok(Self { email, name, role, region })
    }
}

/// Creates a staff member, without a second factor yet.
pub async fn create_staff(
    client: &impl GenericClient,
    s: &NewStaff,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<StaffMember, AccountError> {
    let row = client
        .query_one_cached(
            "INSERT INTO staff (email, name, role, region, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             RETURNING id, email, name, role, region, totp_confirmed_at IS NOT NULL, created_at",
            &[&s.email, &s.name, &s.role.as_str(), &s.region, &password_hash, &now],
        )
        .await
        .map_err(email_conflict)?;
    Ok(staff_of(&row))
}

/// A staff member by id (disabled ones included).
pub async fn staff_member(client: &impl GenericClient, id: Uuid) -> Result<Option<StaffMember>, StoreError> {
    let row = client
        .query_opt_cached(
            "SELECT id, email, name, role, region, totp_confirmed_at IS NOT NULL, created_at FROM staff WHERE id = $1",
            &[&id],
        )
        .await?;
    Ok(row.as_ref().map(staff_of))
}

/// Starts (or restarts) TOTP enrolment with a new secret; refused once a secret is confirmed.
pub async fn start_totp_enrolment(
    client: &impl GenericClient,
    id: Uuid,
    secret: &str,
    now: OffsetDateTime,
) -> Result<(), AccountError> {
    let n = client
        .execute_cached(
            "UPDATE staff SET totp_secret = $2, totp_last_step = NULL, updated_at = $3 \
             WHERE id = $1 AND totp_confirmed_at IS NULL",
            &[&id, &secret, &now],
        )
        .await?;
    if n == 1 {
        return Ok(());
    }
    match staff_member(client, id).await? {
        None => Err(AccountError::NotFound("staff member")),
        Some(_) => Err(AccountRejection::TotpAlreadyEnrolled.into()),
    }
}

/// The secret of an enrolment in progress (not yet confirmed).
pub async fn pending_totp_secret(client: &impl GenericClient, id: Uuid) -> Result<Option<String>, StoreError> {
    let row = client
        .query_opt_cached("SELECT totp_secret FROM staff WHERE id = $1 AND totp_confirmed_at IS NULL", &[&id])
        .await?;
    Ok(row.and_then(|r| r.get(0)))
}

/// Confirms the enrolment with the time step of the code that proved it (that code is used).
pub async fn confirm_totp(
    client: &impl GenericClient,
    id: Uuid,
    step: i64,
    now: OffsetDateTime,
) -> Result<(), AccountError> {
    let n = client
        .execute_cached(
            "UPDATE staff SET totp_confirmed_at = $3, totp_last_step = $2, updated_at = $3 \
             WHERE id = $1 AND totp_secret IS NOT NULL AND totp_confirmed_at IS NULL",
            &[&id, &step, &now],
        )
        .await?;
    if n == 1 { Ok(()) } else { Err(AccountRejection::TotpNotStarted.into()) }
}

/// Marks a code's time step used; false when it (or a later one) was used already, so that no
/// code is accepted twice (RFC 6238 section 5.2).
pub async fn use_totp_step(client: &impl GenericClient, id: Uuid, step: i64) -> Result<bool, StoreError> {
    let n = client
        .execute_cached(
            "UPDATE staff SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            &[&id, &step],
        )
        .await?;
    Ok(n == 1)
}

/// Removes a staff member's second factor (a lost device) and revokes their sessions: their
/// next login goes through enrolment again.
pub async fn reset_totp(client: &impl GenericClient, id: Uuid, now: OffsetDateTime) -> Result<(), AccountError> {
    let n = client
        .execute_cached(
            "UPDATE staff SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = NULL, updated_at = $2 \
             WHERE id = $1",
            &[&id, &now],
        )
        .await?;
    if n == 0 {
        return Err(AccountError::NotFound("staff member"));
    }
    revoke_staff_sessions(client, id, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_email(input: &str, expected: Option<&str>) {
        assert_eq!(normalize_email(input).ok().as_deref(), expected, "{input:?}");
    }

    #[test]
    fn emails_are_normalized_and_checked() {
        check_email("  Ada@Example.COM ", Some("ada@example.com"));
        check_email("a.b+tag@mail.example.co.uk", Some("a.b+tag@mail.example.co.uk"));
        check_email("élodie@exemple.fr", Some("élodie@exemple.fr"));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@exa mple.com",
            "ada@.example.com",
            "ada@example..com",
            ".ada@example.com",
            "ada.@example.com",
            "a..da@example.com",
            "ada@-example.com",
            "<ada>@example.com",
            "ada\n@example.com",
        ] {
            check_email(bad, None);
        }
        check_email(&format!("{}@example.com", "a".repeat(65)), None);
        check_email(&format!("a@{}.com", "b".repeat(250)), None);
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert_eq!(check_password("short"), Err(AccountRejection::PasswordTooShort));
        assert_eq!(check_password("elevenchars"), Err(AccountRejection::PasswordTooShort));
        assert_eq!(check_password("twelve chars"), Ok(()));
        // Characters, not bytes: 12 accented letters pass, 11 do not.
        assert_eq!(check_password(&"é".repeat(11)), Err(AccountRejection::PasswordTooShort));
        assert_eq!(check_password(&"é".repeat(12)), Ok(()));
        assert_eq!(check_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)), Err(AccountRejection::PasswordTooLong));
    }

    fn address() -> AddressInput {
        AddressInput {
            name: " Ada Lovelace ".into(),
            lines: vec!["12 rue de la Paix".into(), "  ".into()],
            city: "Paris".into(),
            postal_code: Some("75002".into()),
            subdivision: None,
            country: "fr".into(),
            phone: Some("+33 1 23 45 67 89".into()),
            is_default: true,
        }
    }

    #[test]
    fn addresses_are_normalized() {
        let a = address().check().unwrap();
        assert_eq!(a.name, "Ada Lovelace");
        assert_eq!(a.lines, vec!["12 rue de la Paix"]);
        assert_eq!(a.country, "FR");
        let blank = AddressInput { postal_code: Some(" ".into()), phone: Some(String::new()), ..address() };
        let blank = blank.check().unwrap();
        assert_eq!((blank.postal_code, blank.phone), (None, None));
    }

    #[test]
    fn bad_addresses_name_their_field() {
        let cases: Vec<(AddressInput, &str)> = vec![
            (AddressInput { name: " ".into(), ..address() }, "name"),
            (AddressInput { lines: vec![], ..address() }, "lines"),
            (AddressInput { lines: vec!["a".into(); 4], ..address() }, "lines"),
            (AddressInput { city: String::new(), ..address() }, "city"),
            (AddressInput { country: "FRA".into(), ..address() }, "country"),
            (AddressInput { country: "F1".into(), ..address() }, "country"),
            (AddressInput { postal_code: Some("75<02".into()), ..address() }, "postal_code"),
            (AddressInput { phone: Some("call me".into()), ..address() }, "phone"),
            (AddressInput { phone: Some("+33".into()), ..address() }, "phone"),
        ];
        for (input, field) in cases {
            match input.check() {
                Err(AccountRejection::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn roles_allow_their_own_work_and_admins_everything() {
        for (role, needed, allowed) in [
            (Role::Admin, Role::Merchandiser, true),
            (Role::Admin, Role::Support, true),
            (Role::Merchandiser, Role::Merchandiser, true),
            (Role::Merchandiser, Role::Admin, false),
            (Role::Support, Role::Merchandiser, false),
            (Role::Support, Role::Support, true),
        ] {
            assert_eq!(role.allows(needed), allowed, "{role} for {needed}");
        }
        assert_eq!(Role::parse("merchandiser"), Some(Role::Merchandiser));
        assert_eq!(Role::parse("root"), None);
    }
}
