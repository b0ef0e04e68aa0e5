//! The authorization and its state machine: pure transitions, no IO.
//!
//! ```text
//!                 ┌──────────── 3-D Secure pass ───────────┐
//!  requires_action ── 3-D Secure fail ──▶ declined          ▼
//!        │                                           authorized ── capture (once, ≤ amount) ──▶ captured ─┐
//!        └──────── void ──▶ voided ◀──────── void ──────┘                               refunds ≤ captured ┘
//! ```

use serde::Serialize;

use crate::cards::Brand;

/// The largest amount accepted, in minor units (keeps every sum far from overflow).
pub const MAX_AMOUNT_MINOR: i64 = 999_999_999_999;
/// The most refunds one authorization takes.
pub const MAX_REFUNDS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for the shopper's 3-D Secure challenge.
    RequiresAction,
    /// Funds held; may be captured or voided.
    Authorized,
    /// Refused by the issuer (see `decline_code`); final.
    Declined,
    /// Captured (possibly partially); refunds may follow.
    Captured,
    /// Released without capture; final.
    Voided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineCode {
    CardDeclined,
    InsufficientFunds,
    ExpiredCard,
    /// The shopper failed the 3-D Secure challenge.
    AuthenticationFailed,
}

/// What the shopper must do before the authorization can complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextAction {
    /// Always `three_d_secure`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The challenge page to send the shopper's browser to.
    pub url: String,
}

/// The card an authorization charged, as shown back to the merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardSummary {
    pub brand: Brand,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refund {
    pub id: String,
    pub amount_minor: i64,
    pub created: u64,
}

/// One authorization: the provider-side object the platform's payment points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Authorization {
    pub id: String,
    pub status: Status,
    pub amount_minor: i64,
    pub currency: String,
    /// The merchant's order id, as sent; several authorizations may share one.
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decline_code: Option<DeclineCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_action: Option<NextAction>,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub refunds: Vec<Refund>,
    pub card: CardSummary,
    /// Unix seconds.
    pub created: u64,
}

/// A refused transition or amount: answered as 409 (400 for `InvalidAmount`) with the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the amount must be a positive integer in minor units")]
    InvalidAmount,
    #[error("the authorization has already been captured")]
    AlreadyCaptured,
    #[error("the authorization has been voided")]
    AlreadyVoided,
    #[error("the authorization is not authorized (declined or awaiting 3-D Secure)")]
    NotAuthorized,
    #[error("the authorization has not been captured")]
    NotCaptured,
    #[error("the capture exceeds the authorized amount")]
    CaptureExceedsAuthorized,
    #[error("the refund exceeds what remains captured and unrefunded")]
    RefundExceedsCaptured,
    #[error("the captured amount has been refunded in full")]
    AlreadyRefunded,
    #[error("the authorization has too many refunds")]
    TooManyRefunds,
    #[error("the authorization is not awaiting a 3-D Secure challenge")]
    NotAwaitingAction,
}

impl TransitionError {
    /// Stable error code.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidAmount => "invalid_amount",
            Self::AlreadyCaptured => "already_captured",
            Self::AlreadyVoided => "already_voided",
            Self::NotAuthorized => "not_authorized",
            Self::NotCaptured => "not_captured",
            Self::CaptureExceedsAuthorized => "capture_exceeds_authorized",
            Self::RefundExceedsCaptured => "refund_exceeds_captured",
            Self::AlreadyRefunded => "already_refunded",
            Self::TooManyRefunds => "too_many_refunds",
            Self::NotAwaitingAction => "not_awaiting_action",
        }
    }
}

/// Whether an amount is one the provider accepts at all.
pub fn valid_amount(amount_minor: i64) -> bool {
    (1..=MAX_AMOUNT_MINOR).contains(&amount_minor)
}

impl Authorization {
    /// Captures `amount_minor` (the whole authorized amount if `None`), once; the rest of the
    /// hold is released.
    pub fn capture(&mut self, amount_minor: Option<i64>) -> Result<(), TransitionError> {
        let amount = amount_minor.unwrap_or(self.amount_minor);
        if !valid_amount(amount) {
            return Err(TransitionError::InvalidAmount);
        }
        match self.status {
            Status::Authorized => {}
            Status::Captured => return Err(TransitionError::AlreadyCaptured),
            Status::Voided => return Err(TransitionError::AlreadyVoided),
            Status::Declined | Status::RequiresAction => return Err(TransitionError::NotAuthorized),
        }
        if amount > self.amount_minor {
            return Err(TransitionError::CaptureExceedsAuthorized);
        }
        self.status = Status::Captured;
        self.captured_minor = amount;
        Ok(())
    }

    /// Releases the hold (also cancels a pending 3-D Secure challenge).
    pub fn void(&mut self) -> Result<(), TransitionError> {
        match self.status {
            Status::Authorized | Status::RequiresAction => {
                self.status = Status::Voided;
                self.next_action = None;
                Ok(())
            }
            Status::Captured => Err(TransitionError::AlreadyCaptured),
            Status::Voided => Err(TransitionError::AlreadyVoided),
            Status::Declined => Err(TransitionError::NotAuthorized),
        }
    }

    /// Refunds `amount_minor` (everything still refundable if `None`) of a captured authorization.
    pub fn refund(&mut self, id: String, amount_minor: Option<i64>, now: u64) -> Result<(), TransitionError> {
        if amount_minor.is_some_and(|a| !valid_amount(a)) {
            return Err(TransitionError::InvalidAmount);
        }
        if self.status != Status::Captured {
            return Err(TransitionError::NotCaptured);
        }
        let remaining = self.captured_minor - self.refunded_minor;
        if remaining == 0 {
            return Err(TransitionError::AlreadyRefunded);
        }
        let amount = amount_minor.unwrap_or(remaining);
        if amount > remaining {
            return Err(TransitionError::RefundExceedsCaptured);
        }
        if self.refunds.len() >= MAX_REFUNDS {
            return Err(TransitionError::TooManyRefunds);
        }
        self.refunded_minor += amount;
        self.refunds.push(Refund { id, amount_minor: amount, created: now });
        Ok(())
    }

    /// The outcome of the shopper's 3-D Secure challenge.
    pub fn complete_challenge(&mut self, passed: bool) -> Result<(), TransitionError> {
        if self.status != Status::RequiresAction {
            return Err(TransitionError::NotAwaitingAction);
        }
        self.next_action = None;
        if passed {
            self.status = Status::Authorized;
        } else {
            self.status = Status::Declined;
            self.decline_code = Some(DeclineCode::AuthenticationFailed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(status: Status) -> Authorization {
        Authorization {
            id: "auth_1".into(),
            status,
            amount_minor: 1000,
            currency: "EUR".into(),
            reference: "order-1".into(),
            decline_code: None,
            next_action: None,
            captured_minor: 0,
            refunded_minor: 0,
            refunds: vec![],
            card: CardSummary { brand: Brand::Visa, last4: "4242".into(), exp_month: 12, exp_year: 2030 },
            created: 0,
        }
    }

    #[derive(Debug, Clone, Copy)]
    enum Op {
        Capture(Option<i64>),
        Void,
        Refund(Option<i64>),
        Challenge(bool),
    }

    /// Applies `op` to an authorization in `from` (captured ones hold 600 captured, 100 refunded)
    /// and checks the resulting status or error.
    fn check(from: Status, op: Op, expected: Result<Status, TransitionError>) {
        let mut a = auth(from);
        if from == Status::Captured {
            a.captured_minor = 600;
            a.refunded_minor = 100;
        }
        let before = a.clone();
        let result = match op {
            Op::Capture(amount) => a.capture(amount),
            Op::Void => a.void(),
            Op::Refund(amount) => a.refund("re_1".into(), amount, 1),
            Op::Challenge(passed) => a.complete_challenge(passed),
        };
        assert_eq!(result.map(|()| a.status), expected, "{from:?} {op:?}");
        if expected.is_err() {
            assert_eq!(a, before, "a refused transition changes nothing");
        }
    }

    #[test]
    fn transitions() {
        use Op::*;
        use Status::*;
        use TransitionError as E;
        check(Authorized, Capture(None), Ok(Captured));
        check(Authorized, Capture(Some(600)), Ok(Captured));
        check(Authorized, Capture(Some(1000)), Ok(Captured));
        check(Authorized, Capture(Some(1001)), Err(E::CaptureExceedsAuthorized));
        check(Authorized, Capture(Some(0)), Err(E::InvalidAmount));
        check(Authorized, Capture(Some(-5)), Err(E::InvalidAmount));
        check(Captured, Capture(Some(100)), Err(E::AlreadyCaptured));
        check(Voided, Capture(None), Err(E::AlreadyVoided));
        check(Declined, Capture(None), Err(E::NotAuthorized));
        check(RequiresAction, Capture(None), Err(E::NotAuthorized));

        check(Authorized, Void, Ok(Voided));
        check(RequiresAction, Void, Ok(Voided));
        check(Captured, Void, Err(E::AlreadyCaptured));
        check(Voided, Void, Err(E::AlreadyVoided));
        check(Declined, Void, Err(E::NotAuthorized));

        check(Captured, Refund(Some(500)), Ok(Captured));
        check(Captured, Refund(None), Ok(Captured));
        check(Captured, Refund(Some(501)), Err(E::RefundExceedsCaptured));
        check(Captured, Refund(Some(0)), Err(E::InvalidAmount));
        check(Authorized, Refund(Some(1)), Err(E::NotCaptured));
        check(Voided, Refund(Some(1)), Err(E::NotCaptured));
        check(Declined, Refund(None), Err(E::NotCaptured));

        check(RequiresAction, Challenge(true), Ok(Authorized));
        check(RequiresAction, Challenge(false), Ok(Declined));
        check(Authorized, Challenge(true), Err(E::NotAwaitingAction));
        check(Declined, Challenge(true), Err(E::NotAwaitingAction));
        check(Voided, Challenge(false), Err(E::NotAwaitingAction));
    }

    #[test]
    fn amounts_add_up() {
        let mut a = auth(Status::Authorized);
        a.capture(Some(600)).unwrap();
        assert_eq!((a.captured_minor, a.refunded_minor), (600, 0));
        a.refund("re_1".into(), Some(200), 1).unwrap();
        a.refund("re_2".into(), Some(300), 2).unwrap();
        assert_eq!(a.refund("re_3".into(), Some(101), 3), Err(TransitionError::RefundExceedsCaptured));
        a.refund("re_3".into(), None, 3).unwrap();
        assert_eq!(a.refunded_minor, 600);
        assert_eq!(a.refunds.iter().map(|r| r.amount_minor).collect::<Vec<_>>(), [200, 300, 100]);
        assert_eq!(a.refund("re_4".into(), None, 4), Err(TransitionError::AlreadyRefunded));
    }

    #[test]
    fn failed_challenge_declines() {
        let mut a = auth(Status::RequiresAction);
        a.next_action = Some(NextAction { kind: "three_d_secure", url: "http://x/3ds/auth_1".into() });
        a.complete_challenge(false).unwrap();
        assert_eq!(a.decline_code, Some(DeclineCode::AuthenticationFailed));
        assert_eq!(a.next_action, None);
    }

    #[test]
    fn refunds_are_bounded() {
        let mut a = auth(Status::Authorized);
        a.capture(None).unwrap();
        for i in 0..MAX_REFUNDS {
            a.refund(format!("re_{i}"), Some(1), 1).unwrap();
        }
        assert_eq!(a.refund("re_x".into(), Some(1), 1), Err(TransitionError::TooManyRefunds));
    }
}
