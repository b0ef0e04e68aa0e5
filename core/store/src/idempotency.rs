//! Idempotency keys: a retried POST with the same key gets the first answer instead of doing
//! the work twice; the same key with another request is refused.

use crate::Prepared;
use crate::{Store, StoreError};

/// What a claim on a key found.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its earlier holder died): go ahead, then `complete` or `release`.
    New,
    /// The first request finished: answer this.
    Replay { status: u16, body: Vec<u8> },
    /// The key was used for a different request.
    Mismatch,
    /// The first request is still running.
    InProgress,
}

/// How long an unfinished claim blocks retries before a retry may take it over (the first
/// holder is presumed dead).
const ABANDONED_AFTER_SECONDS: f64 = 60.0;

impl Store {
    pub async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        region: &str,
        request_hash: &str,
    ) -> Result<Claim, StoreError> {
        let client = self.client().await?;
        let inserted = client
            .query_opt_cached(
                "INSERT INTO idempotency_keys (scope, key, region, request_hash) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (scope, key) DO NOTHING RETURNING key",
                &[&scope, &key, &region, &request_hash],
            )
            .await?;
        if inserted.is_some() {
            return Ok(Claim::New);
        }
        let row = client
            .query_opt_cached(
                "SELECT request_hash, status, response, \
                 EXTRACT(EPOCH FROM (now() - created_at))::FLOAT8 \
                 FROM idempotency_keys WHERE scope = $1 AND key = $2",
                &[&scope, &key],
            )
            .await?;
        let Some(row) = row else {
            // Released between our insert and select: the caller may retry.
            return Ok(Claim::InProgress);
        };
        let hash: String = row.get(0);
        if hash != request_hash {
            return Ok(Claim::Mismatch);
        }
        let status: Option<i32> = row.get(1);
        match status {
            Some(status) => {
                Ok(Claim::Replay { status: status as u16, body: row.get::<_, Option<Vec<u8>>>(2).unwrap_or_default() })
            }
            None => {
                let age: f64 = row.get(3);
                if age < ABANDONED_AFTER_SECONDS {
                    return Ok(Claim::InProgress);
                }
                let taken = client
                    .execute_cached(
                        "UPDATE idempotency_keys SET created_at = now() \
                         WHERE scope = $1 AND key = $2 AND status IS NULL AND created_at < now() - INTERVAL '60 seconds'",
                        &[&scope, &key],
                    )
                    .await?;
                Ok(if taken == 1 { Claim::New } else { Claim::InProgress })
            }
        }
    }

    /// Records the answer of a claimed key.
    pub async fn complete_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute_cached(
                "UPDATE idempotency_keys SET status = $3, response = $4 WHERE scope = $1 AND key = $2",
                &[&scope, &key, &i32::from(status), &body],
            )
            .await?;
        Ok(())
    }

    /// Gives a claimed key up (the request failed in a way a retry may fix).
    pub async fn release_idempotency_key(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute_cached(
                "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status IS NULL",
                &[&scope, &key],
            )
            .await?;
        Ok(())
    }
}
