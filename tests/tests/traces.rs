//! Traces: one shopper request through an edge, with its W3C `traceparent`, ends up as one trace
//! whose spans cover the edge, the core and the database, received over OTLP (HTTP/JSON) by a
//! receiver in this test; a checkout's trace goes on to the payment provider. Run with
//! `cargo xtask test`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use stack_tests::shop;
use stack_tests::{Stack, request};
use testkit::eventually;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long the spans of a request may take to arrive (the exporters send every 200 ms), and how
/// often the receiver is looked at meanwhile.
const SPANS_TIMEOUT: Duration = Duration::from_secs(30);
const SPANS_INTERVAL: Duration = Duration::from_millis(100);

/// Every OTLP/HTTP JSON body posted to the receiver.
type Received = Arc<Mutex<Vec<Value>>>;

/// A minimal OTLP/HTTP receiver: answers every `POST /v1/traces` with `{}` and keeps its body.
async fn receiver() -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Received = Arc::default();
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, store.clone()));
        }
    });
    (port, received)
}

/// Requests of one connection (keep-alive), each with a `content-length` body.
async fn serve(mut stream: TcpStream, store: Received) {
    let mut buffer = Vec::new();
    loop {
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buffer.drain(..head_end + length).skip(head_end).collect();
        if head.starts_with("post /v1/traces")
            && let Ok(value) = serde_json::from_slice::<Value>(&body)
        {
            store.lock().unwrap().push(value);
        }
        let reply = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        if stream.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// A received span: its service, name, ids.
#[derive(Debug, Clone)]
struct Span {
    service: String,
    name: String,
    trace_id: String,
    span_id: String,
    parent: String,
}

fn spans(received: &Received) -> Vec<Span> {
    let mut out = Vec::new();
    for body in received.lock().unwrap().iter() {
        for resource in body["resourceSpans"].as_array().into_iter().flatten() {
            let service = resource["resource"]["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["key"] == "service.name")
                .and_then(|a| a["value"]["stringValue"].as_str())
                .unwrap_or_default()
                .to_string();
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                for span in scope["spans"].as_array().into_iter().flatten() {
                    let text = |k: &str| span[k].as_str().unwrap_or_default().to_ascii_lowercase();
                    out.push(Span {
                        service: service.clone(),
                        name: text("name"),
                        trace_id: text("traceId"),
                        span_id: text("spanId"),
                        parent: text("parentSpanId"),
                    });
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn one_request_is_one_trace_through_edge_core_and_database() {
    let (otlp, received) = receiver().await;
    let endpoint = format!("http://127.0.0.1:{otlp}");
    let logs = testkit::TestLogs::new("traces").unwrap();
    let stack = Stack::builder()
        .logs(logs.path())
        .env("SHOP_OTLP_ENDPOINT", &endpoint)
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .env("SHOP_LOG_FORMAT", "json")
        .env("SHOP_LOG", "info")
        .start()
        .await
        .unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let traceparent = format!("00-{trace_id}-{caller_span}-01");
    let answer = request(edge, "POST", "/v1/fr/fr/carts", &[("traceparent", traceparent.as_str())], Some(&json!({})))
        .await
        .unwrap();
    assert_eq!(answer.status, 201, "{}", answer.body);

    // The exporters send every 200 ms; wait (bounded) until the three parts have arrived.
    let trace = eventually("the trace's edge, core and database spans", SPANS_TIMEOUT, SPANS_INTERVAL, async || {
        let trace: Vec<Span> = spans(&received).into_iter().filter(|s| s.trace_id == trace_id).collect();
        let has = |service: &str, name: &str| trace.iter().any(|s| s.service == service && s.name.contains(name));
        if has("edge", "edge post") && has("core", "core post") && has("core", "db.") {
            Ok(trace)
        } else {
            Err(format!("{trace:#?}\nall: {:#?}", spans(&received)))
        }
    })
    .await;

    // The edge continues the caller's trace; core is the edge's child; the database work is
    // inside core's request.
    let edge_span = trace.iter().find(|s| s.service == "edge").unwrap();
    assert_eq!(edge_span.parent, caller_span, "{trace:#?}");
    assert_eq!(edge_span.name, "edge post /v1/{market}/{language}/carts", "{trace:#?}");
    let core_span = trace.iter().find(|s| s.service == "core" && s.name.starts_with("core ")).unwrap();
    assert_eq!(core_span.parent, edge_span.span_id, "{trace:#?}");
    assert_eq!(core_span.name, "core post /v1/{market}/{language}/carts", "{trace:#?}");
    let db: Vec<&Span> = trace.iter().filter(|s| s.name.starts_with("db.")).collect();
    assert!(!db.is_empty());
    let ids: Vec<&str> = trace.iter().map(|s| s.span_id.as_str()).collect();
    for span in &db {
        assert!(ids.contains(&span.parent.as_str()), "{span:?} hangs off no span of the trace");
    }
    assert!(db.iter().any(|s| s.parent == core_span.span_id), "{trace:#?}");

    // The edge's access log line of the request carries its trace id.
    let edge_log = std::fs::read_to_string(logs.path().join("edge-eu-west.log")).unwrap();
    let logged = edge_log.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).find(|record| {
        record["message"] == "request" && record["upstream"] == "/v1/fr/fr/carts" && record["method"] == "POST"
    });
    let logged = logged.unwrap_or_else(|| panic!("no access log line for the request:\n{edge_log}"));
    assert_eq!(logged["trace_id"], trace_id, "{logged}");

    // A checkout's trace goes on to the payment provider: core's call is a span of the
    // trace, and the provider continues it.
    let variant = shop::product_with_stock(staff, "TRACED", &[("fr", 1200)], "eu-par", 5).await.unwrap();
    let (cart, who) = shop::cart(edge, None, "fr", "fr", &[(variant.as_str(), 1)]).await.unwrap();
    let card = shop::card_token(stack.payments_port, "4242424242424242").await.unwrap();
    let checkout_trace = "0af7651916cd43dd8448eb211c80319c";
    let traceparent = format!("00-{checkout_trace}-b7ad6b7169203331-01");
    let headers = [("idempotency-key", "traced-checkout"), ("traceparent", traceparent.as_str())];
    let body = shop::checkout_body(&card, Some("traced@example.com"));
    let paid =
        shop::call(edge, &who, "POST", &format!("/v1/carts/{cart}/checkout"), &headers, Some(&body)).await.unwrap();
    assert_eq!(paid.status, 201, "{}", paid.body);
    eventually("a provider span in the checkout's trace", SPANS_TIMEOUT, SPANS_INTERVAL, async || {
        let trace: Vec<Span> = spans(&received).into_iter().filter(|s| s.trace_id == checkout_trace).collect();
        let call = trace.iter().find(|s| s.service == "core" && s.name.starts_with("payments post /v1/authorizations"));
        let provider = call.and_then(|c| trace.iter().find(|s| s.service == "payments" && s.parent == c.span_id));
        // Core's request span is exported when its answer is sent, possibly after the call's.
        let request_span = call.is_some_and(|c| trace.iter().any(|s| s.span_id == c.parent));
        let (Some(call), Some(provider), true) = (call, provider, request_span) else {
            return Err(format!("{trace:#?}"));
        };
        assert_eq!(provider.name, "payments post /v1/authorizations", "{trace:#?}");
        assert!(trace.iter().any(|s| s.span_id == call.parent && s.service == "core"), "{trace:#?}");
        assert!(trace.iter().any(|s| s.service == "core" && s.name == "db.transaction"), "{trace:#?}");
        Ok(())
    })
    .await;

    // Without a traceparent the edge starts a trace of its own, and core joins it.
    let answer = request(edge, "GET", "/v1/markets", &[], None).await.unwrap();
    assert_eq!(answer.status, 200);
    eventually("a fresh trace for /v1/markets", SPANS_TIMEOUT, SPANS_INTERVAL, async || {
        let all = spans(&received);
        let edge_markets = all.iter().find(|s| s.service == "edge" && s.name == "edge get /v1/markets");
        if let Some(edge_span) = edge_markets
            && edge_span.parent.is_empty()
            && all.iter().any(|s| s.service == "core" && s.parent == edge_span.span_id)
        {
            assert_ne!(edge_span.trace_id, trace_id);
            return Ok(());
        }
        Err(format!("{all:#?}"))
    })
    .await;
}
