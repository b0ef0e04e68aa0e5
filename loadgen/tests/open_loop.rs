//! The open loop against a small local server: every request due is sent and answered, and a
//! server stall counts in the latency of every request due during it (no coordinated omission).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const BODY: &str = "{\"ok\":true}";

/// A keep-alive HTTP/1.1 server on a free port, one thread per connection, that sleeps `stall`
/// before answering the `stall_at`-th request it gets (counted over all connections).
fn server(stall_at: u64, stall: Duration) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let served = Arc::new(AtomicU64::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let count = count.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                let mut line = String::new();
                loop {
                    // The request head, up to its empty line.
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    if count.fetch_add(1, Ordering::SeqCst) + 1 == stall_at {
                        std::thread::sleep(stall);
                    }
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{BODY}",
                        BODY.len()
                    );
                    if writer.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (address, served)
}

#[test]
fn every_request_due_is_sent_once_and_answered() {
    let (address, served) = server(0, Duration::ZERO);
    let run = loadgen::run(address, "/product", 4, 2_000, Duration::from_secs(1)).unwrap();
    assert_eq!(run.answered, 2_000);
    assert_eq!((run.errors, run.unanswered), (0, 0));
    assert_eq!(served.load(Ordering::SeqCst), 2_000);
    assert_eq!(run.latency_us.len(), 2_000);
}

#[test]
fn a_stall_delays_every_request_due_during_it() {
    // One connection, a request due every millisecond, and the 100th answer held for 200 ms:
    // the requests due during those 200 ms wait for the connection, and each counts its wait
    // from when it was due. A closed loop would record one slow request.
    let (address, _) = server(100, Duration::from_millis(200));
    let run = loadgen::run(address, "/", 1, 1_000, Duration::from_secs(1)).unwrap();
    assert_eq!(run.answered, 1_000);
    let slow = run.latency_us.count_between(100_000, u64::MAX);
    assert!(slow >= 100, "{slow} requests took 100 ms or more; at least 100 were due in the stall's first 100 ms");
    assert!(run.latency_us.max() >= 200_000, "the held request waited 200 ms");
}
