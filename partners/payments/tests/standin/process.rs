//! The process: settings from flags and environment, `--check-config`, stopping on signals.

use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::json;

use super::*;

#[tokio::test]
async fn knobs_from_the_command_line_and_environment() {
    let standin = StandIn::start_with_env(
        None,
        &[
            "--latency-ms",
            "5",
            "--duplicate-webhooks",
            "--out-of-order-webhooks",
            "--drop-next-authorizations",
            "2",
            "--pause-webhooks",
        ],
        &[("SHOP_PAYMENTS_FAIL_NEXT", "3")],
    )
    .await;
    let view = standin.api.get("/_control").await.expect(200);
    let expected = json!({
        "fail_next": 3,
        "latency_ms": 5,
        "duplicate_webhooks": true,
        "out_of_order_webhooks": true,
        "drop_next_authorizations": 2,
        "pause_webhooks": true,
    });
    assert_eq!(view["knobs"], expected);
    assert_eq!(view["webhooks"]["configured"], false);
    // Reset goes back to these, not to zero.
    standin.api.control(json!({"fail_next": 0, "pause_webhooks": false})).await;
    assert_eq!(standin.api.post("/_control/reset", json!({})).await.expect(200)["knobs"], expected);
}

#[test]
fn check_config() {
    let output = command()
        .args([
            "--check-config",
            "--webhook-url",
            "http://127.0.0.1:9/hooks",
            "--webhook-secret",
            "whsec_shown_nowhere",
        ])
        .env("SHOP_PAYMENTS_API_KEY", "sk_shown_nowhere")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.starts_with("ok: listen 127.0.0.1:7201"), "{stdout}");
    assert!(!stdout.contains("shown_nowhere"), "{stdout}");

    let refused = command()
        .args(["--check-config", "--api-key", "k", "--webhook-url", "http://127.0.0.1:9/hooks"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--webhook-secret"));
    let missing_key = command().arg("--check-config").output().unwrap();
    assert!(!missing_key.status.success());
}

#[tokio::test]
async fn sigterm_stops_it_promptly_even_with_a_request_held() {
    let mut standin = StandIn::start(None, &[]).await;
    let api = standin.api;
    let token = api.tokenize(CARD_TIMEOUT).await;
    let held = tokio::spawn(async move {
        let body = serde_json::to_vec(&Api::authorization_body(&token, 100, "held")).unwrap();
        api.try_send("POST", "/v1/authorizations", Auth::Key(API_KEY), &[("idempotency-key", "held")], Some(body)).await
    });
    let reference = api.wait_until_referenced("held").await;
    assert_eq!(reference, 1);

    standin.process.signal(Signal::SIGTERM);
    let status = eventually("the stand-in exiting after SIGTERM", Duration::from_secs(5), POLL, async || {
        standin.process.exited().ok_or("still running")
    })
    .await;
    assert!(status.success(), "{status:?}");
    assert!(held.await.unwrap().is_err(), "the held request got no answer");
    assert!(standin.log_text().contains("payments stand-in stopped"));
}

impl Api {
    /// Polls until the reference has an authorization; returns how many it has.
    async fn wait_until_referenced(&self, reference: &str) -> usize {
        eventually(&format!("an authorization for {reference}"), WAIT, POLL, async || {
            let found = self.get(&format!("/v1/authorizations?reference={reference}")).await.expect(200);
            let n = found["data"].as_array().unwrap().len();
            if n > 0 { Ok(n) } else { Err(found) }
        })
        .await
    }
}
