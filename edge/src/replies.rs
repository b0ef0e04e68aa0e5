//! Answers the edge gives itself: failed requests as the same JSON `{"code": …, "message": …}`
//! core uses, with stable codes, and the edge's own health answer.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use pingora::ErrorSource;
use pingora::http::ResponseHeader;
use pingora::prelude::*;
use pingora::proxy::Session;

use crate::headers::{EDGE_REGION, REQUEST_ID};

/// Error type of "no core of this region can take the request".
pub const UPSTREAM_UNAVAILABLE: ErrorType = ErrorType::Custom("upstream_unavailable");

/// A stable error code and its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub code: &'static str,
    pub message: &'static str,
}

pub const UNAVAILABLE: Reply = Reply {
    status: 503,
    code: "upstream_unavailable",
    message: "no core service of this region is reachable; retry shortly",
};
pub const TIMEOUT: Reply =
    Reply { status: 504, code: "upstream_timeout", message: "the core service did not answer in time" };
pub const BAD_GATEWAY: Reply =
    Reply { status: 502, code: "bad_gateway", message: "the core service sent an invalid answer" };
pub const BAD_REQUEST: Reply = Reply { status: 400, code: "bad_request", message: "the request is malformed" };
pub const REQUEST_TIMEOUT: Reply =
    Reply { status: 408, code: "request_timeout", message: "the request was not received in time" };
pub const NOT_FOUND: Reply = Reply { status: 404, code: "not_found", message: "no such route" };
pub const INTERNAL: Reply = Reply { status: 500, code: "internal", message: "the edge failed to handle the request" };
pub const RATE_LIMITED: Reply =
    Reply { status: 429, code: "rate_limited", message: "too many requests; retry after the time in Retry-After" };
pub const UNSIGNED_WEBHOOK: Reply = Reply {
    status: 401,
    code: "unsigned_webhook",
    message: "partner webhooks must carry a signature header `t=<unix seconds>,v1=<hex HMAC-SHA256>` dated now",
};
pub const PAYLOAD_TOO_LARGE: Reply =
    Reply { status: 413, code: "payload_too_large", message: "the request body is larger than this edge accepts" };
pub const URI_TOO_LONG: Reply =
    Reply { status: 414, code: "uri_too_long", message: "the request target is longer than this edge accepts" };
pub const HEADERS_TOO_LARGE: Reply = Reply {
    status: 431,
    code: "headers_too_large",
    message: "the request headers are larger or more numerous than this edge accepts",
};

/// `Retry-After` seconds of a 503: about two health-check intervals, when a core may be back.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 2;

/// The error for "no healthy core left to try".
pub fn upstream_unavailable(context: &'static str) -> Box<Error> {
    Error::create(UPSTREAM_UNAVAILABLE, ErrorSource::Upstream, Some(context.into()), None)
}

/// What to answer for a request that failed with `e`; `None` when the client is gone.
pub fn classify(e: &Error) -> Option<Reply> {
    use ErrorType::*;
    let reply = match (e.etype(), e.esource()) {
        (HTTPStatus(status), _) => by_status(*status),
        (t, _) if *t == UPSTREAM_UNAVAILABLE => UNAVAILABLE,
        _ if is_connect_failure(e) => UNAVAILABLE,
        (ReadError | WriteError | ConnectionClosed, ErrorSource::Downstream) => return None,
        (ReadTimedout, ErrorSource::Downstream) => REQUEST_TIMEOUT,
        (_, ErrorSource::Downstream) => BAD_REQUEST,
        (ReadTimedout | WriteTimedout, ErrorSource::Upstream) => TIMEOUT,
        (_, ErrorSource::Upstream) => BAD_GATEWAY,
        _ => INTERNAL,
    };
    Some(reply)
}

/// Whether `e` is a failure to establish a connection to a core (nothing was sent to it).
pub fn is_connect_failure(e: &Error) -> bool {
    use ErrorType::*;
    matches!(
        e.etype(),
        ConnectTimedout
            | ConnectRefused
            | ConnectNoRoute
            | ConnectError
            | ConnectProxyFailure
            | TLSHandshakeFailure
            | TLSHandshakeTimedout
            | HandshakeError
            | InvalidCert
            | SocketError
            | BindError
    )
}

fn by_status(status: u16) -> Reply {
    match status {
        408 => REQUEST_TIMEOUT,
        413 => PAYLOAD_TOO_LARGE,
        400..=499 => Reply { status, ..BAD_REQUEST },
        502 => BAD_GATEWAY,
        503 => UNAVAILABLE,
        504 => TIMEOUT,
        _ => Reply { status: if status >= 500 { status } else { 500 }, ..INTERNAL },
    }
}

/// The JSON body of an error reply.
pub fn json_body(reply: &Reply) -> Bytes {
    let body = serde_json::json!({ "code": reply.code, "message": reply.message });
    Bytes::from(body.to_string())
}

/// A response header for a body the edge writes itself.
pub fn local_header(
    status: u16,
    content_type: &str,
    body: &Bytes,
    request_id: &str,
    region: &str,
    tls: bool,
) -> Result<ResponseHeader> {
    let mut resp = ResponseHeader::build(status, Some(10))?;
    resp.insert_header(CONTENT_TYPE, content_type)?;
    resp.insert_header(CONTENT_LENGTH, body.len())?;
    resp.insert_header(CACHE_CONTROL, "no-store")?;
    resp.insert_header(REQUEST_ID, request_id)?;
    resp.insert_header(EDGE_REGION, region)?;
    crate::headers::secure(&mut resp)?;
    crate::headers::hsts(&mut resp, tls)?;
    Ok(resp)
}

/// Writes an error reply; the connection is closed after it (pingora does not reuse a
/// downstream connection after an internally generated error). A 503 says when to retry.
pub async fn respond_error(session: &mut Session, reply: &Reply, request_id: &str, region: &str) -> Result<()> {
    let retry_after = (reply.status == 503).then_some(UNAVAILABLE_RETRY_AFTER_SECONDS);
    respond_error_retry(session, reply, request_id, region, retry_after).await
}

/// Writes an error reply with `Retry-After: retry_after` seconds when given.
pub async fn respond_error_retry(
    session: &mut Session,
    reply: &Reply,
    request_id: &str,
    region: &str,
    retry_after: Option<u64>,
) -> Result<()> {
    let body = json_body(reply);
    let tls = crate::tls::is_tls(session);
    let mut resp = local_header(reply.status, "application/json", &body, request_id, region, tls)?;
    if let Some(seconds) = retry_after {
        resp.insert_header(http::header::RETRY_AFTER, seconds)?;
    }
    session.as_downstream_mut().write_error_response(resp, body).await
}

/// Writes the edge's own `200 ok` health answer.
pub async fn respond_health(session: &mut Session, request_id: &str, region: &str) -> Result<()> {
    let body = Bytes::from_static(b"ok");
    let tls = crate::tls::is_tls(session);
    let resp = local_header(200, "text/plain; charset=utf-8", &body, request_id, region, tls)?;
    let head_only = session.req_header().method == http::Method::HEAD;
    session.write_response_header(Box::new(resp), head_only).await?;
    if !head_only {
        session.write_response_body(Some(body), true).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(etype: ErrorType, source: ErrorSource, expected: Option<(u16, &str)>) {
        let e = Error::create(etype.clone(), source.clone(), None, None);
        assert_eq!(classify(&e).map(|r| (r.status, r.code)), expected, "{etype:?} from {source:?}");
    }

    #[test]
    fn failures_map_to_stable_codes() {
        use ErrorSource::*;
        use ErrorType::*;
        check(UPSTREAM_UNAVAILABLE, Upstream, Some((503, "upstream_unavailable")));
        check(ConnectRefused, Upstream, Some((503, "upstream_unavailable")));
        check(ConnectTimedout, Upstream, Some((503, "upstream_unavailable")));
        check(ReadTimedout, Upstream, Some((504, "upstream_timeout")));
        check(ReadError, Upstream, Some((502, "bad_gateway")));
        check(InvalidHTTPHeader, Upstream, Some((502, "bad_gateway")));
        check(ReadError, Downstream, None);
        check(ConnectionClosed, Downstream, None);
        check(ReadTimedout, Downstream, Some((408, "request_timeout")));
        check(InvalidHTTPHeader, Downstream, Some((400, "bad_request")));
        check(HTTPStatus(413), Downstream, Some((413, "payload_too_large")));
        check(HTTPStatus(414), Downstream, Some((414, "bad_request")));
        check(HTTPStatus(503), Upstream, Some((503, "upstream_unavailable")));
        check(InternalError, Internal, Some((500, "internal")));
    }

    #[test]
    fn bodies_are_the_core_error_shape() {
        let body: serde_json::Value = serde_json::from_slice(&json_body(&UNAVAILABLE)).unwrap();
        assert_eq!(body["code"], "upstream_unavailable");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}
