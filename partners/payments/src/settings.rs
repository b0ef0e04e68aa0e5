//! Settings of the `payments-standin` binary: command-line flags, each also read from a
//! `SHOP_PAYMENTS_*` environment variable.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use http::Uri;

use crate::Secret;
use crate::faults::{Knobs, MAX_LATENCY_MS};
use crate::webhooks::DeliveryConfig;

#[derive(Debug, Parser)]
#[command(name = "payments-standin", about = "Local stand-in for a card payment provider", version)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "SHOP_PAYMENTS_LISTEN", default_value = "127.0.0.1:7201")]
    pub listen: SocketAddr,
    /// The merchant's secret API key, presented as `Authorization: Bearer …`.
    #[arg(long, env = "SHOP_PAYMENTS_API_KEY", hide_env_values = true, value_parser = secret)]
    pub api_key: Secret,
    /// Where webhook events are POSTed (`http://host:port/path`). Without one, events are
    /// counted and discarded.
    #[arg(long, env = "SHOP_PAYMENTS_WEBHOOK_URL")]
    pub webhook_url: Option<Uri>,
    /// The secret webhooks are signed with (HMAC-SHA256); required with `--webhook-url`.
    #[arg(long, env = "SHOP_PAYMENTS_WEBHOOK_SECRET", hide_env_values = true, value_parser = secret)]
    pub webhook_secret: Option<Secret>,
    /// The base URL the shopper's browser reaches this server at (for 3-D Secure challenge
    /// URLs); defaults to `http://<listen address>`.
    #[arg(long, env = "SHOP_PAYMENTS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// How long the processing-timeout card (4000000000000259) holds back its answer.
    #[arg(long, env = "SHOP_PAYMENTS_SLOW_CARD_DELAY_MS", default_value_t = 30_000)]
    pub slow_card_delay_ms: u64,
    /// Webhook attempts per event, the first included.
    #[arg(long, env = "SHOP_PAYMENTS_WEBHOOK_MAX_ATTEMPTS", default_value_t = 8)]
    pub webhook_max_attempts: u32,
    /// The wait before the second webhook attempt; it doubles before each next one
    /// (500 ms and 8 attempts: retries over about a minute).
    #[arg(long, env = "SHOP_PAYMENTS_WEBHOOK_RETRY_BASE_MS", default_value_t = 500)]
    pub webhook_retry_base_ms: u64,
    /// How long one webhook attempt may take before it counts as failed.
    #[arg(long, env = "SHOP_PAYMENTS_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,
    /// The most authorizations held; beyond it new ones are refused with 503.
    #[arg(long, env = "SHOP_PAYMENTS_MAX_AUTHORIZATIONS", default_value_t = 1_000_000)]
    pub max_authorizations: usize,

    // Fault knobs at start (also settable through `POST /_control`).
    /// Fail the next N API calls with 500.
    #[arg(long, env = "SHOP_PAYMENTS_FAIL_NEXT", default_value_t = 0)]
    pub fail_next: u32,
    /// Add this latency to every API call.
    #[arg(long, env = "SHOP_PAYMENTS_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Deliver every webhook event twice.
    #[arg(long, env = "SHOP_PAYMENTS_DUPLICATE_WEBHOOKS")]
    pub duplicate_webhooks: bool,
    /// Deliver webhook events in shuffled batches.
    #[arg(long, env = "SHOP_PAYMENTS_OUT_OF_ORDER_WEBHOOKS")]
    pub out_of_order_webhooks: bool,
    /// Commit the next N authorizations, then reset the connection instead of answering.
    #[arg(long, env = "SHOP_PAYMENTS_DROP_NEXT_AUTHORIZATIONS", default_value_t = 0)]
    pub drop_next_authorizations: u32,
    /// Start with webhook delivery paused.
    #[arg(long, env = "SHOP_PAYMENTS_PAUSE_WEBHOOKS")]
    pub pause_webhooks: bool,

    /// Check the settings, print a summary, and exit.
    #[arg(long)]
    pub check_config: bool,
}

fn secret(s: &str) -> Result<Secret, String> {
    if s.is_empty() { Err("must not be empty".into()) } else { Ok(Secret::new(s)) }
}

/// A refused setting.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

/// Settings checked and put in the shapes the server uses.
#[derive(Debug, Clone)]
pub struct Config {
    pub api_key: Secret,
    pub public_url: Option<String>,
    pub slow_card_delay: Duration,
    pub delivery: DeliveryConfig,
    pub max_authorizations: usize,
    pub knobs: Knobs,
}

impl Settings {
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        let fail = |m: String| Err(ConfigError(m));
        let target = match (&self.webhook_url, &self.webhook_secret) {
            (Some(url), Some(secret)) => {
                if url.scheme_str() != Some("http") || url.host().is_none() {
                    return fail(format!("--webhook-url must be an http:// URL with a host, not `{url}`"));
                }
                Some((url.clone(), secret.clone()))
            }
            (Some(_), None) => return fail("--webhook-url needs --webhook-secret to sign the events".into()),
            (None, _) => None,
        };
        let public_url = match &self.public_url {
            Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                return fail(format!("--public-url must start with http:// or https://, not `{u}`"));
            }
            Some(u) => Some(u.trim_end_matches('/').to_string()),
            None => None,
        };
        if !(1..=30).contains(&self.webhook_max_attempts) {
            return fail("--webhook-max-attempts must be from 1 to 30".into());
        }
        if self.webhook_retry_base_ms == 0 || self.webhook_timeout_ms == 0 {
            return fail("--webhook-retry-base-ms and --webhook-timeout-ms must be positive".into());
        }
        if self.latency_ms > MAX_LATENCY_MS {
            return fail(format!("--latency-ms must be at most {MAX_LATENCY_MS}"));
        }
        if self.max_authorizations == 0 {
            return fail("--max-authorizations must be at least 1".into());
        }
        Ok(Config {
            api_key: self.api_key.clone(),
            public_url,
            slow_card_delay: Duration::from_millis(self.slow_card_delay_ms),
            delivery: DeliveryConfig {
                target,
                max_attempts: self.webhook_max_attempts,
                retry_base: Duration::from_millis(self.webhook_retry_base_ms),
                attempt_timeout: Duration::from_millis(self.webhook_timeout_ms),
            },
            max_authorizations: self.max_authorizations,
            knobs: Knobs {
                fail_next: self.fail_next,
                latency_ms: self.latency_ms,
                duplicate_webhooks: self.duplicate_webhooks,
                out_of_order_webhooks: self.out_of_order_webhooks,
                drop_next_authorizations: self.drop_next_authorizations,
                pause_webhooks: self.pause_webhooks,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["payments-standin", "--api-key", "sk_test"];
        argv.extend_from_slice(args);
        let settings = Settings::try_parse_from(argv).map_err(|e| e.to_string())?;
        settings.resolve().map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_checks() {
        let config = parse(&[]).unwrap();
        assert!(config.delivery.target.is_none());
        assert_eq!(config.delivery.max_attempts, 8);
        assert_eq!(config.slow_card_delay, Duration::from_secs(30));
        assert_eq!(config.knobs, Knobs::default());
        assert!(format!("{config:?}").contains("Secret(***)"));
        assert!(!format!("{config:?}").contains("sk_test"));

        let config =
            parse(&["--webhook-url", "http://127.0.0.1:9/hooks", "--webhook-secret", "whsec", "--pause-webhooks"])
                .unwrap();
        assert!(config.delivery.target.is_some());
        assert!(config.knobs.pause_webhooks);
        assert_eq!(
            parse(&["--public-url", "http://pay.test/"]).unwrap().public_url.as_deref(),
            Some("http://pay.test")
        );

        assert!(parse(&["--webhook-url", "http://127.0.0.1:9/hooks"]).unwrap_err().contains("--webhook-secret"));
        assert!(parse(&["--webhook-url", "https://x/h", "--webhook-secret", "s"]).unwrap_err().contains("http://"));
        assert!(parse(&["--public-url", "pay.test"]).is_err());
        assert!(parse(&["--webhook-max-attempts", "0"]).is_err());
        assert!(Settings::try_parse_from(["payments-standin", "--api-key", ""]).is_err());
        assert!(
            Settings::try_parse_from(["payments-standin"]).is_err()
                || std::env::var_os("SHOP_PAYMENTS_API_KEY").is_some()
        );
    }
}
