//! Accounts: shoppers (sign-up, profile, addresses, sessions), staff (roles, the TOTP second
//! factor, sessions), the bookkeeping of logins (consecutive failures and locks), and the
//! accounts' part of a shopper's GDPR export and erasure ([`crate::gdpr`] puts the modules'
//! parts together). The input rules (e-mail shape, names, passwords, addresses, roles) are
//! `core_domain::accounts`, re-exported here.
//!
//! Every function takes the caller's client or transaction; writes run inside
//! [`crate::Store::transaction`]. Passwords arrive hashed (the API hashes them with argon2id,
//! off the async threads), and times come from the caller's clock, so that locks and expiries
//! can be tested without waiting. Every row of personal data carries `region`, the home region
//! of its shopper or staff member (on CockroachDB the row lives there).
//!
//! One file per job: [`users`] (shoppers' accounts), [`logins`] (failed attempts and locks),
//! [`sessions`] (shoppers' and staff sessions), [`addresses`], [`staff`] (members and their
//! second factor) and [`gdpr`] (the accounts' part of an erasure).

mod addresses;
mod gdpr;
mod logins;
mod sessions;
mod staff;
mod users;

pub use addresses::{Address, add_address, address, addresses, delete_address, replace_address};
pub use core_domain::accounts::{
    AccountRejection, AddressInput, MAX_ADDRESS_LINES, MAX_ADDRESSES, MAX_EMAIL_LEN, MAX_NAME_CHARS,
    MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, NewStaff, NewUser, Role, UserPatch, check_name, check_password,
    normalize_email,
};
pub use gdpr::erase;
pub use logins::{Credentials, LockPolicy, LoginAttempt, Principal, TotpState, begin_login, login_succeeded};
pub use sessions::{
    NewSession, Session, StaffSession, StaffStage, create_session, create_staff_session, revoke_session,
    revoke_sessions, revoke_staff_session, revoke_staff_sessions, session, staff_session, user_sessions,
};
pub use staff::{
    StaffMember, confirm_totp, create_staff, pending_totp_secret, reset_totp, staff_member, start_totp_enrolment,
    use_totp_step,
};
pub use users::{SignUp, User, create_user, sign_up, update_user, user, user_password_hash};

use crate::StoreError;
use crate::tx::AsSerializationFailure;

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
