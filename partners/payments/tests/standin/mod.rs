//! Harness: the real `payments-standin` binary on a free port, a webhook receiver in the test,
//! and a small HTTP client.

mod authorizations;
mod faults;
mod lifecycle;
mod process;
mod tokens;
mod webhooks;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use testkit::{ChildProcess, eventually};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub const API_KEY: &str = "sk_test_integration";
pub const WEBHOOK_SECRET: &str = "whsec_integration";
/// How long a test waits for something that should happen within milliseconds.
pub const WAIT: Duration = Duration::from_secs(15);
/// How often it looks meanwhile.
pub const POLL: Duration = Duration::from_millis(20);

pub const CARD_OK: &str = "4242424242424242";
pub const CARD_DECLINED: &str = "4000000000000002";
pub const CARD_NO_FUNDS: &str = "4000000000009995";
pub const CARD_3DS: &str = "4000000000003220";
pub const CARD_TIMEOUT: &str = "4000000000000259";

/// A card expiry year safely in the future.
pub fn future_year() -> u16 {
    partners_payments::cards::YearMonth::now_utc().year + 3
}

/// A running stand-in. Dropping it stops the process (SIGTERM, by PID).
pub struct StandIn {
    pub api: Api,
    pub process: ChildProcess,
    pub log: PathBuf,
}

impl StandIn {
    /// Starts the binary with webhooks to `webhook_url` (if any) and `extra` flags. Unless
    /// `extra` says otherwise, webhook retries start at 50 ms so that retry tests are quick.
    pub async fn start(webhook_url: Option<&str>, extra: &[&str]) -> Self {
        Self::start_with_env(webhook_url, extra, &[]).await
    }

    pub async fn start_with_env(webhook_url: Option<&str>, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let port = testkit::free_port();
        let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("payments-standin-{port}.log"));
        let _ = std::fs::remove_file(&log);
        let mut cmd = command();
        cmd.env("SHOP_LOG", "info,partners_payments=debug");
        cmd.envs(env.iter().copied());
        cmd.args(["--listen", &format!("127.0.0.1:{port}"), "--api-key", API_KEY]);
        if let Some(url) = webhook_url {
            cmd.args(["--webhook-url", url, "--webhook-secret", WEBHOOK_SECRET]);
        }
        if !extra.contains(&"--webhook-retry-base-ms") {
            cmd.args(["--webhook-retry-base-ms", "50"]);
        }
        cmd.args(extra);
        let process = ChildProcess::spawn("payments-standin", cmd, Some(&log)).expect("starting payments-standin");
        let ready = tokio::task::spawn_blocking(move || testkit::wait_for_http(port, "/healthz", WAIT)).await.unwrap();
        if let Err(e) = ready {
            panic!("payments-standin not ready: {e}\n{}", std::fs::read_to_string(&log).unwrap_or_default());
        }
        Self { api: Api { port }, process, log }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The binary, with no `SHOP_PAYMENTS_*` variable inherited from the test's environment.
pub fn command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_payments-standin"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SHOP_PAYMENTS_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub json: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        self.json
    }

    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{}", self.text);
    }
}

/// A client of the stand-in; a fresh connection per request.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    pub port: u16,
}

pub enum Auth {
    None,
    Key(&'static str),
}

impl Api {
    /// Sends a request; transport errors (reset connections…) are returned, not panicked on.
    pub async fn try_send(
        &self,
        method: &str,
        path: &str,
        auth: Auth,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<Answer> {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let mut request =
            hyper::Request::builder().method(method).uri(path).header("host", format!("127.0.0.1:{}", self.port));
        if let Auth::Key(key) = auth {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = sender.send_request(request.body(Full::new(Bytes::from(body.unwrap_or_default())))?).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await?.to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, headers, text, json })
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        auth: Auth,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let body = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.try_send(method, path, auth, headers, body).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// A merchant call with the API key.
    pub async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, Auth::Key(API_KEY), &[], None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send("POST", path, Auth::Key(API_KEY), &[], Some(body)).await
    }

    pub async fn post_idempotent(&self, path: &str, key: &str, body: Value) -> Answer {
        self.send("POST", path, Auth::Key(API_KEY), &[("idempotency-key", key)], Some(body)).await
    }

    /// A browser call (no API key).
    pub async fn public_post(&self, path: &str, body: Value) -> Answer {
        self.send("POST", path, Auth::None, &[], Some(body)).await
    }

    pub async fn tokenize(&self, number: &str) -> String {
        let body = json!({"number": number, "exp_month": 12, "exp_year": future_year(), "cvc": "123"});
        let answer = self.public_post("/v1/tokens", body).await.expect(200);
        answer["token"].as_str().unwrap().to_string()
    }

    pub fn authorization_body(token: &str, amount_minor: i64, reference: &str) -> Value {
        json!({"token": token, "amount_minor": amount_minor, "currency": "EUR", "reference": reference})
    }

    /// Tokenizes `card` and authorizes `amount_minor` EUR for `reference` with a fresh key.
    pub async fn authorize_card(&self, card: &str, amount_minor: i64, reference: &str) -> Answer {
        let token = self.tokenize(card).await;
        self.post_idempotent(
            "/v1/authorizations",
            &new_key(),
            Self::authorization_body(&token, amount_minor, reference),
        )
        .await
    }

    pub async fn control(&self, patch: Value) -> Value {
        self.post("/_control", patch).await.expect(200)
    }

    pub async fn webhook_stats(&self) -> Value {
        self.get("/_control").await.expect(200)["webhooks"].clone()
    }

    /// Polls `GET /_control` until `check` holds on the webhook counters.
    pub async fn wait_for_stats(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        eventually(&format!("webhook counters: {what}"), WAIT, POLL, async || {
            let stats = self.webhook_stats().await;
            if check(&stats) { Ok(stats) } else { Err(stats) }
        })
        .await
    }
}

pub fn new_key() -> String {
    format!("key-{}", rand_suffix())
}

pub fn new_reference() -> String {
    format!("order-{}", rand_suffix())
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// One webhook POST as the receiver got it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub signature: String,
    pub event_id_header: String,
    pub attempt: u32,
    pub body: Bytes,
    pub event: Value,
    /// The status the receiver answered.
    pub answered: u16,
}

impl Delivery {
    pub fn is(&self, kind: &str, authorization: &str) -> bool {
        self.event["type"] == kind && self.event["data"]["id"] == authorization
    }
}

/// A webhook receiver on 127.0.0.1: records every POST and answers 200 unless told otherwise.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<ReceiverInner>,
}

struct ReceiverInner {
    deliveries: watch::Sender<Vec<Delivery>>,
    /// Statuses to answer first, in order.
    scripted: Mutex<VecDeque<u16>>,
    /// The status answered once the script is used up.
    otherwise: Mutex<u16>,
}

impl Receiver {
    pub async fn start() -> Self {
        Self::serve(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    /// On a given port (for a receiver that comes up late).
    pub async fn start_on(port: u16) -> Self {
        Self::serve(TcpListener::bind(("127.0.0.1", port)).await.unwrap())
    }

    fn serve(listener: TcpListener) -> Self {
        let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
        let inner = Arc::new(ReceiverInner {
            deliveries: watch::Sender::new(Vec::new()),
            scripted: Mutex::new(VecDeque::new()),
            otherwise: Mutex::new(200),
        });
        let app = axum::Router::new().route("/webhooks", axum::routing::post(record)).with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, inner }
    }

    /// Answers these statuses to the next deliveries, then the usual one.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.inner.scripted.lock().unwrap().extend(statuses);
    }

    pub fn answer_always(&self, status: u16) {
        *self.inner.otherwise.lock().unwrap() = status;
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.deliveries.borrow().clone()
    }

    /// Waits until `check` holds on everything received so far.
    pub async fn wait_until(&self, what: &str, check: impl Fn(&[Delivery]) -> bool) -> Vec<Delivery> {
        let mut rx = self.inner.deliveries.subscribe();
        match tokio::time::timeout(WAIT, rx.wait_for(|d| check(d))).await {
            Ok(Ok(deliveries)) => deliveries.clone(),
            _ => panic!("webhook receiver: {what} not seen within {WAIT:?}; got {:#?}", self.summary()),
        }
    }

    /// The first acknowledged delivery of `kind` for `authorization`.
    pub async fn wait_for_event(&self, kind: &str, authorization: &str) -> Delivery {
        let acked = |d: &Delivery| d.is(kind, authorization) && (200..300).contains(&d.answered);
        let all = self.wait_until(&format!("{kind} for {authorization}"), |ds| ds.iter().any(acked)).await;
        all.into_iter().find(acked).unwrap()
    }

    fn summary(&self) -> Vec<String> {
        self.deliveries()
            .iter()
            .map(|d| {
                format!(
                    "{} {} {} attempt {} -> {}",
                    d.event_id_header, d.event["type"], d.event["data"]["id"], d.attempt, d.answered
                )
            })
            .collect()
    }
}

async fn record(State(inner): State<Arc<ReceiverInner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let answered = inner.scripted.lock().unwrap().pop_front().unwrap_or(*inner.otherwise.lock().unwrap());
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let delivery = Delivery {
        signature: header("payment-signature"),
        event_id_header: header("payment-event-id"),
        attempt: header("payment-delivery-attempt").parse().unwrap_or(0),
        event: serde_json::from_slice(&body).unwrap_or(Value::Null),
        body,
        answered,
    };
    inner.deliveries.send_modify(|d| d.push(delivery));
    StatusCode::from_u16(answered).unwrap()
}
