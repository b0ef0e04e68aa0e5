//! Local stand-in for a card payment provider: a separate process speaking HTTP/JSON in the
//! shape of Stripe or Adyen, so that checkout is tested against realistic behaviour, failures
//! included. Card data only ever reaches this process; the platform handles tokens only.
//!
//! ```text
//! payments-standin --api-key sk_test_local --webhook-url http://127.0.0.1:7001/webhooks/payments \
//!     --webhook-secret whsec_local            # listens on 127.0.0.1:7201
//! ```
//!
//! Its webhooks are signed as every partner call is (`partners-signing`): the platform checks
//! them with `partners_signing::verify_signature`.
//!
//! # API
//!
//! Bodies are JSON; amounts are integers in minor units (`amount_minor`), currencies ISO 4217
//! codes (three letters, answered upper-case). Errors answer
//! `{"error": {"code": "<stable code>", "message": "…"}}`. Unknown body fields are refused.
//!
//! **Browser endpoints** (no API key, `Access-Control-Allow-Origin: *`, preflight answered,
//! never affected by fault knobs):
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/tokens` `{"number","exp_month","exp_year","cvc"}` | 200 `{"token":"tok_…","brand","last4","exp_month","exp_year"}` |
//! | `GET /3ds/{id}` | 200 an HTML challenge page with Pass and Fail buttons |
//! | `POST /3ds/{id}/complete` `{"outcome":"pass"\|"fail"}` | 200 the authorization, now `authorized` or `declined` (`authentication_failed`) |
//!
//! Tokenization refuses with 402: `invalid_number` (not 12-19 digits or Luhn fails; spaces are
//! allowed), `invalid_expiry_month`, `invalid_expiry_year`, `expired_card` (cards are valid
//! through their expiry month; two-digit years mean 20xx), `invalid_cvc` (3 or 4 digits); and
//! 400 `invalid_request` for a malformed body. A token remembers the brand, last four digits,
//! expiry and the card's **scenario**; it is reusable (like a saved card), deliberately: a client
//! that retries with a fresh idempotency key charges twice, and the audit shows it.
//!
//! | test card | scenario |
//! |---|---|
//! | `4242424242424242` (and any other valid number) | authorized |
//! | `4000000000000002` | declined, `card_declined` |
//! | `4000000000009995` | declined, `insufficient_funds` |
//! | `4000000000003220` | `requires_action`: 3-D Secure challenge at `next_action.url` |
//! | `4000000000000259` | authorized at once (webhook sent), but the answer is held back for `--slow-card-delay-ms` (30 s) |
//!
//! **Merchant API** (`Authorization: Bearer <api key>`, else 401 `invalid_api_key`):
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/authorizations` + `Idempotency-Key` `{"token","amount_minor","currency","reference"}` | 200 the authorization |
//! | `GET /v1/authorizations/{id}` | 200 the authorization, 404 `authorization_not_found` |
//! | `GET /v1/authorizations?reference=<order id>` | 200 `{"data":[authorizations, oldest first]}`, 400 `missing_reference` |
//! | `POST /v1/authorizations/{id}/capture` `{"amount_minor"?}` (optional `Idempotency-Key`) | 200 `captured` |
//! | `POST /v1/authorizations/{id}/void` (optional `Idempotency-Key`) | 200 `voided` |
//! | `POST /v1/authorizations/{id}/refunds` + `Idempotency-Key` `{"amount_minor"?}` | 200 the authorization with the refund appended |
//!
//! An authorization is
//! `{"id":"auth_…","status","amount_minor","currency","reference","decline_code"?,"next_action"?:
//! {"type":"three_d_secure","url":"<public url>/3ds/auth_…"},"captured_minor","refunded_minor",
//! "refunds":[{"id":"re_…","amount_minor","created"}],"card":{"brand","last4","exp_month","exp_year"},"created"}`
//! with `status` one of `requires_action`, `authorized`, `declined` (`decline_code`:
//! `card_declined`, `insufficient_funds`, `expired_card`, `authentication_failed`), `captured`,
//! `voided`. A declined authorization is a 200 answer: the authorization exists, and failed.
//!
//! States move only along the machine in [`model`]. Capture: once, at most the authorized
//! amount (the whole amount when `amount_minor` is absent; the rest of the hold is released).
//! Void: before capture (also cancels a pending challenge). Refunds: partial allowed, their total
//! at most the captured amount (the remainder when `amount_minor` is absent). Refused
//! transitions answer 409 and change nothing: `already_captured`, `already_voided`,
//! `not_authorized`, `not_captured`, `capture_exceeds_authorized`, `refund_exceeds_captured`,
//! `already_refunded`, `too_many_refunds`, `not_awaiting_action`. Bad input answers 400:
//! `invalid_request`, `invalid_amount` (1 to 999,999,999,999), `invalid_currency`,
//! `invalid_reference` (1-255 bytes), `invalid_token` (unknown or forgotten token),
//! `missing_idempotency_key`, `invalid_idempotency_key`; 413 `body_too_large` (16 KiB).
//!
//! **Idempotency.** The same key with the same request (method, path, parsed body) answers the
//! first answer again, with `Idempotent-Replayed: true`; with another request, 409
//! `idempotency_key_reused`. Refused requests (4xx) are not remembered. Keys are kept 24 hours
//! (at most 200,000, oldest forgotten first).
//!
//! # Webhooks
//!
//! Every state change POSTs an event to `--webhook-url`:
//! `{"id":"evt_…","type","created":<unix seconds>,"data":<the authorization after the change>}`
//! with `type` one of `authorization.succeeded`, `authorization.failed`, `capture.succeeded`,
//! `void.succeeded`, `refund.succeeded` (the new refund is the last of `data.refunds`). Headers:
//!
//! ```text
//! Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(webhook secret, "<t>.<raw body>")>
//! Payment-Event-Id: evt_…
//! Payment-Delivery-Attempt: <1…>
//! ```
//!
//! A delivery succeeds on any 2xx. Otherwise (non-2xx, unreachable, no answer within
//! `--webhook-timeout-ms`) it is retried with the same event id and body, signed afresh, after
//! 0.5, 1, 2, 4… seconds (`--webhook-retry-base-ms`), `--webhook-max-attempts` (8) attempts in
//! all, about a minute. Events are not ordered (as with real providers); receivers dedupe by
//! event id and read the object's current state rather than trust the order. Receivers verify
//! with `partners_signing::verify_signature` over the raw body, within a tolerance.
//!
//! # Fault knobs, controls, audit
//!
//! `GET /_control` shows `{"knobs": {…}, "webhooks": {delivery counters}}`; `POST /_control`
//! with some of the knobs below changes them; `POST /_control/reset` restores the command
//! line's knobs and forgets every token, authorization and idempotency key. `GET /_audit`
//! (`?reference=` optional) lists every authorization with its reference, amount, status,
//! captured and refunded amounts, and `double_charges`: references with two or more
//! authorizations `authorized` or `captured`. All need the API key.
//!
//! | knob (flag) | effect |
//! |---|---|
//! | `fail_next` (`--fail-next N`) | the next N merchant API calls answer 500 `internal_error` and change nothing |
//! | `latency_ms` (`--latency-ms`) | added before every merchant API call |
//! | `duplicate_webhooks` (`--duplicate-webhooks`) | every event delivered twice, same id |
//! | `out_of_order_webhooks` (`--out-of-order-webhooks`) | events held in batches (up to 8, or 0.5 s) and delivered shuffled |
//! | `drop_next_authorizations` (`--drop-next-authorizations N`) | the next N new authorizations are committed, then the connection is reset instead of answered |
//! | `pause_webhooks` (`--pause-webhooks`) | events queue up (bounded) until unpaused; retries wait too |
//!
//! State lives in memory, is lost on exit, and is bounded (see [`store`] and [`webhooks`]).

pub mod cards;
pub mod error;
pub mod faults;
pub mod metrics;
pub mod model;
pub mod server;
pub mod settings;
pub mod store;
pub mod webhooks;

mod api;

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;

pub use partners_signing::{PAYMENT_SIGNATURE_HEADER as SIGNATURE_HEADER, Secret};

/// Builds the application from checked settings: starts the webhook dispatcher on the current
/// Tokio runtime and returns the router. `local` is the address actually bound, the default
/// public URL.
pub fn app(config: &settings::Config, local: SocketAddr) -> axum::Router {
    let faults = faults::Faults::new(config.knobs.clone());
    let outbox = webhooks::start(config.delivery.clone(), faults.subscribe());
    let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{local}"));
    let store = store::Store::new(outbox.clone(), public_url, config.max_authorizations);
    api::router(api::App::new(api::Inner {
        store,
        faults,
        outbox,
        api_key: config.api_key.clone(),
        slow_card_delay: config.slow_card_delay,
    }))
}

/// A random object id such as `auth_3fK9…` (24 alphanumerics after the prefix).
pub(crate) fn new_id(prefix: &str) -> String {
    let suffix: String = rand::rng().sample_iter(rand::distr::Alphanumeric).take(24).map(char::from).collect();
    format!("{prefix}_{suffix}")
}

pub(crate) fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
