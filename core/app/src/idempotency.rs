//! Idempotency keys of state-changing requests: the first request with a key claims it, its
//! answer is kept for the retries, and a request that failed in a way a retry may fix gives
//! its key up. Each caller's keys are their own (`scope`).

pub use core_store::idempotency::Claim;

use crate::App;
use crate::error::AppResult;

/// Claims `key` for a request whose content hashes to `request_hash`: new, a replay of the
/// kept answer, another request's (mismatch), or still running.
pub async fn claim(app: &App, scope: &str, key: &str, request_hash: &str) -> AppResult<Claim> {
    Ok(app.store.claim_idempotency_key(scope, key, &app.region, request_hash).await?)
}

/// Keeps the answer of a claimed key for its retries.
pub async fn complete(app: &App, scope: &str, key: &str, status: u16, body: &[u8]) -> AppResult<()> {
    Ok(app.store.complete_idempotency_key(scope, key, status, body).await?)
}

/// Gives a claimed key up: its next retry runs again.
pub async fn release(app: &App, scope: &str, key: &str) -> AppResult<()> {
    Ok(app.store.release_idempotency_key(scope, key).await?)
}
