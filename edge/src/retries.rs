//! When a request that reached a core and got no answer may be sent to another core.
//!
//! Nothing reached the core when the connection could not be made: any request may go
//! elsewhere (`fail_to_connect`). Once it was sent, the first core may have done it: only a
//! request whose repetition does no harm goes elsewhere, that is one with an idempotent method
//! (GET, HEAD, PUT, DELETE…: the cart's `PUT` sets a quantity), or a write carrying an
//! `Idempotency-Key` (core answers a repeated key with the first result, whichever core ran
//! it: the key is stored with the result in the database they share). A write without a key
//! gets the error: the shopper decides.

use http::Method;
use pingora::{ErrorSource, ErrorType};

/// Whether `etype` from `source` is a failure to get an answer at all (as opposed to an answer
/// we did not like).
pub fn is_transport_failure(etype: &ErrorType, source: &ErrorSource) -> bool {
    use ErrorType::*;
    *source == ErrorSource::Upstream
        && matches!(etype, ReadTimedout | WriteTimedout | ConnectionClosed | ReadError | WriteError | H1Error)
}

/// Whether a request that failed at the transport after it was sent may go to another core.
/// `body_replayable`: the whole body is kept for a retry; `answer_started`: part of an answer
/// already went to the client.
pub fn may_retry(method: &Method, has_idempotency_key: bool, body_replayable: bool, answer_started: bool) -> bool {
    !answer_started && body_replayable && (method.is_idempotent() || has_idempotency_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_repeatable_requests_go_to_another_core_after_reaching_one() {
        // (method, key, body kept, answer started) → retry
        let table = [
            (Method::GET, false, true, false, true),
            (Method::HEAD, false, true, false, true),
            (Method::PUT, false, true, false, true),
            (Method::POST, true, true, false, true),
            (Method::POST, false, true, false, false),
            (Method::PATCH, false, true, false, false),
            (Method::POST, true, false, false, false),
            (Method::GET, false, true, true, false),
        ];
        for (method, key, kept, started, expected) in table {
            assert_eq!(
                may_retry(&method, key, kept, started),
                expected,
                "{method} key={key} kept={kept} started={started}"
            );
        }
    }

    #[test]
    fn timeouts_and_resets_are_transport_failures_answers_are_not() {
        assert!(is_transport_failure(&ErrorType::ReadTimedout, &ErrorSource::Upstream));
        assert!(is_transport_failure(&ErrorType::ConnectionClosed, &ErrorSource::Upstream));
        assert!(!is_transport_failure(&ErrorType::HTTPStatus(502), &ErrorSource::Upstream));
        assert!(!is_transport_failure(&ErrorType::ReadTimedout, &ErrorSource::Downstream));
    }
}
