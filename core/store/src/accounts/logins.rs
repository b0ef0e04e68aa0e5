//! The bookkeeping of logins: consecutive failures, and the lock they set, for shoppers and
//! staff alike.

use crate::Prepared;
use deadpool_postgres::GenericClient;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::Role;
use crate::StoreError;

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
