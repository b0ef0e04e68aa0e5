//! Calls the tax provider with a timeout and applies the fail policy when it does not answer:
//! refuse (the quote or checkout fails with `tax_unavailable`, nothing is charged at a guessed
//! rate), or fall back to the market's own tables.

use std::sync::Arc;
use std::time::Duration;

use core_domain::tax::{self, FailPolicy, TableTaxProvider, TaxError, TaxProvider, TaxRequest, TaxResult};

#[derive(Clone)]
pub struct TaxService {
    provider: Arc<dyn TaxProvider>,
    timeout: Duration,
    policy: FailPolicy,
}

impl std::fmt::Debug for TaxService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaxService")
            .field("provider", &self.provider.name())
            .field("timeout", &self.timeout)
            .field("policy", &self.policy)
            .finish()
    }
}

impl Default for TaxService {
    /// The built-in tables: they answer at once and cannot be unavailable.
    fn default() -> Self {
        Self::new(Arc::new(TableTaxProvider), Duration::from_secs(2), FailPolicy::Reject)
    }
}

impl TaxService {
    pub fn new(provider: Arc<dyn TaxProvider>, timeout: Duration, policy: FailPolicy) -> Self {
        Self { provider, timeout, policy }
    }

    pub async fn calculate(&self, request: &TaxRequest<'_>) -> Result<TaxResult, TaxError> {
        let outcome = tokio::time::timeout(self.timeout, self.provider.calculate(request)).await;
        let failure = match outcome {
            Ok(Ok(result)) => return Ok(result),
            // The request itself is wrong (an unknown destination…): no fallback fixes that.
            Ok(Err(
                e @ (TaxError::MissingSubdivision { .. } | TaxError::UnknownSubdivision { .. } | TaxError::Overflow),
            )) => {
                return Err(e);
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {:?}", self.timeout),
        };
        tracing::warn!(provider = self.provider.name(), reason = %failure, policy = ?self.policy, "tax provider failed");
        match self.policy {
            FailPolicy::Reject => Err(TaxError::Unavailable(failure)),
            FailPolicy::UseTables => tax::compute(request),
        }
    }
}

#[cfg(test)]
mod tests {
    use core_domain::tax::{TaxFuture, TaxableLine};

    use super::*;

    /// A provider that never answers in time.
    struct Stuck;

    impl TaxProvider for Stuck {
        fn name(&self) -> &str {
            "stuck"
        }
        fn calculate<'a>(&'a self, _request: &'a TaxRequest<'a>) -> TaxFuture<'a> {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Err(TaxError::Unavailable("unreachable".into()))
            })
        }
    }

    fn request(market: &regions::Market) -> TaxRequest<'_> {
        TaxRequest {
            market,
            subdivision: None,
            lines: vec![TaxableLine { key: "A".into(), tax_category: "standard".into(), amount: 1200, quantity: 1 }],
            shipping: 0,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_provider_that_times_out_is_refused_or_replaced_as_the_policy_says() {
        let regions = regions::Catalog::load_workspace().unwrap();
        let fr = regions.market("fr").unwrap();
        let reject = TaxService::new(Arc::new(Stuck), Duration::from_millis(300), FailPolicy::Reject);
        assert!(matches!(reject.calculate(&request(fr)).await, Err(TaxError::Unavailable(_))));
        let fallback = TaxService::new(Arc::new(Stuck), Duration::from_millis(300), FailPolicy::UseTables);
        assert_eq!(fallback.calculate(&request(fr)).await.unwrap().total(), 200, "20 % TVA included in 12.00");
        assert_eq!(TaxService::default().calculate(&request(fr)).await.unwrap().total(), 200);
    }
}
