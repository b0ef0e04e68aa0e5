//! The provider's state, in memory: tokens, authorizations (indexed by id and by the merchant's
//! reference) and idempotency keys with the answer they produced.
//!
//! One mutex guards it all; every operation runs under it without awaiting, from the idempotency
//! check to the committed change and its webhook events, so that two requests with the same
//! key can never both act, and events are queued in commit order. Tokens and idempotency keys
//! are bounded (oldest evicted first, keys also expire); authorizations are bounded by
//! `max_authorizations` (beyond it, new ones are refused with 503).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cards::{CardDetails, Scenario, YearMonth};
use crate::error::ApiError;
use crate::model::{Authorization, CardSummary, DeclineCode, NextAction, Status, TransitionError};
use crate::webhooks::{Event, EventType, Outbox};

/// The most tokens kept; the oldest are forgotten first.
pub const MAX_TOKENS: usize = 200_000;
/// The most idempotency keys kept; the oldest are forgotten first.
pub const MAX_IDEMPOTENCY_KEYS: usize = 200_000;
/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);

/// A tokenized card.
#[derive(Debug, Clone)]
pub struct Token {
    pub card: CardDetails,
}

/// An answer as sent, kept for idempotent replays.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
    /// Answered from the idempotency record rather than by acting again.
    pub replayed: bool,
    /// A new authorization whose card is the slow (processing timeout) test card.
    pub slow: bool,
}

impl Reply {
    fn ok(value: &impl Serialize) -> Self {
        let body = serde_json::to_vec(value).expect("replies serialize");
        Self { status: StatusCode::OK, body: body.into(), replayed: false, slow: false }
    }
}

/// An idempotent request's identity: what was asked (method, path, parsed body).
pub type Fingerprint = [u8; 32];

pub fn fingerprint(method: &str, path: &str, body: &impl Serialize) -> Fingerprint {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update(b" ");
    hash.update(path.as_bytes());
    hash.update(b"\n");
    hash.update(serde_json::to_vec(body).expect("requests serialize"));
    hash.finalize().into()
}

/// A validated authorization request.
#[derive(Debug, Clone, Serialize)]
pub struct NewAuthorization {
    pub token: String,
    pub amount_minor: i64,
    pub currency: String,
    pub reference: String,
}

/// One entry of the audit.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub reference: String,
    pub amount_minor: i64,
    pub currency: String,
    pub status: Status,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub created: u64,
}

/// The audit: every authorization, and the references charged more than once.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub authorizations: Vec<AuditEntry>,
    /// References with two or more authorizations that are `authorized` or `captured`.
    pub double_charges: Vec<DoubleCharge>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DoubleCharge {
    pub reference: String,
    pub authorizations: Vec<String>,
}

#[derive(Debug)]
pub struct Store {
    state: Mutex<State>,
    outbox: Outbox,
    /// Where 3-D Secure challenge URLs point (`<public url>/3ds/<id>`).
    public_url: String,
    max_authorizations: usize,
}

#[derive(Debug, Default)]
struct State {
    tokens: HashMap<String, Token>,
    /// Token ids oldest first, for eviction.
    token_order: VecDeque<String>,
    authorizations: HashMap<String, Authorization>,
    /// Authorization ids in creation order, for the audit.
    order: Vec<String>,
    /// Authorization ids per merchant reference, for `GET /v1/authorizations?reference=`.
    by_reference: HashMap<String, Vec<String>>,
    idempotency: HashMap<String, Remembered>,
    /// Keys oldest first, for expiry and eviction.
    idempotency_order: VecDeque<(String, Instant)>,
}

#[derive(Debug)]
struct Remembered {
    fingerprint: Fingerprint,
    reply: Reply,
    at: Instant,
}

impl Store {
    pub fn new(outbox: Outbox, public_url: String, max_authorizations: usize) -> Self {
        Self { state: Mutex::default(), outbox, public_url, max_authorizations }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic under the lock leaves plain data behind; keep serving.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn tokenize(&self, card: CardDetails) -> String {
        let id = crate::new_id("tok");
        let mut st = self.lock();
        while st.tokens.len() >= MAX_TOKENS {
            let Some(oldest) = st.token_order.pop_front() else { break };
            st.tokens.remove(&oldest);
        }
        st.tokens.insert(id.clone(), Token { card });
        st.token_order.push_back(id.clone());
        id
    }

    /// Runs `op` once per idempotency key: a key seen with the same fingerprint replays the
    /// remembered answer; with another fingerprint it is refused. Refused requests (errors) are
    /// not remembered, so the client may fix them and retry with the same key.
    fn idempotent(
        &self,
        key: Option<&str>,
        fingerprint: Fingerprint,
        op: impl FnOnce(&mut State) -> Result<Reply, ApiError>,
    ) -> Result<Reply, ApiError> {
        let mut st = self.lock();
        let now = Instant::now();
        if let Some(key) = key {
            st.expire_keys(now);
            if let Some(remembered) = st.idempotency.get(key) {
                if remembered.fingerprint != fingerprint {
                    return Err(ApiError::conflict(
                        "idempotency_key_reused",
                        "this idempotency key was used with another request",
                    ));
                }
                return Ok(Reply { replayed: true, ..remembered.reply.clone() });
            }
        }
        let reply = op(&mut st)?;
        if let Some(key) = key {
            while st.idempotency.len() >= MAX_IDEMPOTENCY_KEYS {
                let Some((oldest, _)) = st.idempotency_order.pop_front() else { break };
                st.idempotency.remove(&oldest);
            }
            st.idempotency.insert(key.to_string(), Remembered { fingerprint, reply: reply.clone(), at: now });
            st.idempotency_order.push_back((key.to_string(), now));
        }
        Ok(reply)
    }

    pub fn authorize(&self, key: &str, fingerprint: Fingerprint, req: NewAuthorization) -> Result<Reply, ApiError> {
        self.idempotent(Some(key), fingerprint, |st| {
            let token = st
                .tokens
                .get(&req.token)
                .ok_or_else(|| ApiError::bad_request("invalid_token", "no such token"))?
                .clone();
            if st.authorizations.len() >= self.max_authorizations {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "capacity_exhausted",
                    "the stand-in holds its maximum of authorizations; POST /_control/reset to start over",
                ));
            }
            let id = crate::new_id("auth");
            let now = crate::now_unix();
            let card = &token.card;
            let mut auth = Authorization {
                id: id.clone(),
                status: Status::Authorized,
                amount_minor: req.amount_minor,
                currency: req.currency,
                reference: req.reference,
                decline_code: None,
                next_action: None,
                captured_minor: 0,
                refunded_minor: 0,
                refunds: Vec::new(),
                card: CardSummary {
                    brand: card.brand,
                    last4: card.last4.clone(),
                    exp_month: card.exp_month,
                    exp_year: card.exp_year,
                },
                created: now,
            };
            let decline = |code| (Status::Declined, Some(code));
            let (status, decline_code) = if card.expired_at(YearMonth::now_utc()) {
                decline(DeclineCode::ExpiredCard)
            } else {
                match card.scenario {
                    Scenario::Succeeds | Scenario::ProcessingTimeout => (Status::Authorized, None),
                    Scenario::Declined => decline(DeclineCode::CardDeclined),
                    Scenario::InsufficientFunds => decline(DeclineCode::InsufficientFunds),
                    Scenario::ThreeDSecure => (Status::RequiresAction, None),
                }
            };
            auth.status = status;
            auth.decline_code = decline_code;
            if status == Status::RequiresAction {
                auth.next_action = Some(NextAction { kind: "three_d_secure", url: format!("{}/3ds/{id}", self.public_url) });
            }
            let metrics = &crate::metrics::METRICS;
            match status {
                Status::Authorized => {
                    metrics.authorized.inc();
                    self.outbox.emit(Event::new(EventType::AuthorizationSucceeded, &auth, now));
                }
                Status::Declined => {
                    metrics.declined.inc();
                    self.outbox.emit(Event::new(EventType::AuthorizationFailed, &auth, now));
                }
                _ => metrics.requires_action.inc(),
            }
            tracing::debug!(authorization = %id, reference = %auth.reference, status = ?status, "authorization created");
            let mut reply = Reply::ok(&auth);
            reply.slow = card.scenario == Scenario::ProcessingTimeout && status == Status::Authorized;
            st.by_reference.entry(auth.reference.clone()).or_default().push(id.clone());
            st.order.push(id.clone());
            st.authorizations.insert(id, auth);
            Ok(reply)
        })
    }

    /// Applies a transition to one authorization, idempotently when a key is given, and emits
    /// the event of the change.
    fn transition(
        &self,
        id: &str,
        key: Option<&str>,
        fingerprint: Fingerprint,
        kind: EventType,
        change: impl FnOnce(&mut Authorization) -> Result<(), TransitionError>,
    ) -> Result<Reply, ApiError> {
        self.idempotent(key, fingerprint, |st| {
            let auth = st.authorizations.get_mut(id).ok_or_else(not_found)?;
            change(auth).map_err(ApiError::from)?;
            self.outbox.emit(Event::new(kind, auth, crate::now_unix()));
            tracing::debug!(authorization = %id, status = ?auth.status, event = ?kind, "authorization changed");
            Ok(Reply::ok(auth))
        })
    }

    pub fn capture(
        &self,
        id: &str,
        key: Option<&str>,
        fp: Fingerprint,
        amount: Option<i64>,
    ) -> Result<Reply, ApiError> {
        self.transition(id, key, fp, EventType::CaptureSucceeded, |a| a.capture(amount))
    }

    pub fn void(&self, id: &str, key: Option<&str>, fp: Fingerprint) -> Result<Reply, ApiError> {
        self.transition(id, key, fp, EventType::VoidSucceeded, Authorization::void)
    }

    pub fn refund(&self, id: &str, key: &str, fp: Fingerprint, amount: Option<i64>) -> Result<Reply, ApiError> {
        let refund_id = crate::new_id("re");
        self.transition(id, Some(key), fp, EventType::RefundSucceeded, |a| {
            a.refund(refund_id, amount, crate::now_unix())
        })
    }

    pub fn complete_challenge(&self, id: &str, passed: bool) -> Result<Reply, ApiError> {
        let kind = if passed { EventType::AuthorizationSucceeded } else { EventType::AuthorizationFailed };
        self.transition(id, None, [0; 32], kind, |a| a.complete_challenge(passed))
    }

    pub fn get(&self, id: &str) -> Option<Authorization> {
        self.lock().authorizations.get(id).cloned()
    }

    /// The authorizations of one merchant reference, oldest first.
    pub fn by_reference(&self, reference: &str) -> Vec<Authorization> {
        let st = self.lock();
        st.by_reference
            .get(reference)
            .map(|ids| ids.iter().filter_map(|id| st.authorizations.get(id).cloned()).collect())
            .unwrap_or_default()
    }

    pub fn audit(&self, reference: Option<&str>) -> Audit {
        let st = self.lock();
        let entry = |a: &Authorization| AuditEntry {
            id: a.id.clone(),
            reference: a.reference.clone(),
            amount_minor: a.amount_minor,
            currency: a.currency.clone(),
            status: a.status,
            captured_minor: a.captured_minor,
            refunded_minor: a.refunded_minor,
            created: a.created,
        };
        let ids: Box<dyn Iterator<Item = &String>> = match reference {
            Some(r) => Box::new(st.by_reference.get(r).into_iter().flatten()),
            None => Box::new(st.order.iter()),
        };
        let authorizations: Vec<AuditEntry> = ids.filter_map(|id| st.authorizations.get(id)).map(entry).collect();
        let mut charged: HashMap<&str, Vec<String>> = HashMap::new();
        for a in &authorizations {
            if matches!(a.status, Status::Authorized | Status::Captured) {
                charged.entry(&a.reference).or_default().push(a.id.clone());
            }
        }
        let mut double_charges: Vec<DoubleCharge> = charged
            .into_iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|(reference, authorizations)| DoubleCharge { reference: reference.to_string(), authorizations })
            .collect();
        double_charges.sort_by(|a, b| a.reference.cmp(&b.reference));
        Audit { authorizations, double_charges }
    }

    /// Forgets every token, authorization and idempotency key.
    pub fn clear(&self) {
        *self.lock() = State::default();
    }
}

impl State {
    fn expire_keys(&mut self, now: Instant) {
        while let Some((key, at)) = self.idempotency_order.front() {
            if now.duration_since(*at) < IDEMPOTENCY_TTL {
                break;
            }
            // Each key is queued once (remembered keys are never stored again), but check anyway.
            if self.idempotency.get(key).is_some_and(|r| r.at == *at) {
                self.idempotency.remove(key);
            }
            self.idempotency_order.pop_front();
        }
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("authorization_not_found", "no such authorization")
}
