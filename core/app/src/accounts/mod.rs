//! Accounts: shoppers (sign-up, logins and sessions, their profile and addresses, the GDPR
//! export and erasure) and staff (members created by admins or from the console, their login
//! with the TOTP second factor and its enrolment).
//!
//! One file per job: [`logins`] (shoppers' and staff logins, with the lock that failures set,
//! and logouts), [`sign_up`], [`profile`], [`addresses`], [`gdpr`] and [`staff`].

pub mod addresses;
pub mod gdpr;
pub mod logins;
pub mod profile;
pub mod sign_up;
pub mod staff;

use http::StatusCode;

use crate::error::AppError;

/// 404 `account_not_found` (an erased account).
pub fn account_not_found() -> AppError {
    AppError::not_found("account_not_found", "no such account")
}

/// 404 `address_not_found` (also another shopper's).
pub fn address_not_found() -> AppError {
    AppError::not_found("address_not_found", "no such address")
}

/// 404 `staff_not_found`.
pub fn staff_not_found() -> AppError {
    AppError::not_found("staff_not_found", "no such staff member")
}

/// 401 `invalid_credentials`: the same answer for an unknown e-mail and a wrong password.
pub fn invalid_credentials() -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "wrong email or password")
}
