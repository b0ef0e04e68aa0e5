//! `loadgen`: an open-loop HTTP/1.1 load generator: requests at a fixed rate, latency counted
//! from when each request was due.
//!
//! `wrk` is a closed loop: each connection sends its next request when the last answer arrives,
//! so the faster server is given more requests on the same client, and its p99 is measured at a
//! higher load than a slower server's. Here request `k` is due at `start + k / rate` whatever
//! the server does. It goes out on the first idle connection of the pool; when every connection
//! waits for an answer, due requests wait too, and that wait counts in their latency (no
//! coordinated omission). One thread spins on `epoll` with a zero timeout, so a request leaves
//! within microseconds of being due; it is meant to have a CPU to itself, and to be built with
//! optimizations (`cargo xtask bench edge` builds and runs the release binary).

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};

/// What one open-loop run measured.
pub struct OpenLoopRun {
    /// Answers with a 2xx status.
    pub answered: u64,
    /// Answers with a status other than 2xx.
    pub errors: u64,
    /// Requests due but never answered by the end of the run and its drain.
    pub unanswered: u64,
    /// Answers per second over the run.
    pub rps: f64,
    /// Latency from due time to the answer's last byte, in microseconds.
    pub latency_us: Histogram<u64>,
    /// The generator's own longest pause between two passes of its loop (descheduled, or
    /// slowed), and how many passes took more than a millisecond: a pause delays every request
    /// due during it, whatever the server does.
    pub longest_pause: Duration,
    pub pauses_over_1ms: u64,
}

impl OpenLoopRun {
    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.latency_us.value_at_quantile(q) as f64 / 1000.0
    }
}

/// One keep-alive connection of the pool.
struct Connection {
    stream: TcpStream,
    input: Vec<u8>,
    /// When the request in flight on it was due; `None` when idle.
    due: Option<Instant>,
    /// The answer being read: its status and whole length, once its head is in.
    answer: Option<(u16, usize)>,
}

/// Sends `GET target` to `address` at `rate` requests per second for `duration` over up to
/// `connections` keep-alive connections, then waits up to two seconds for the answers still due.
pub fn run(
    address: SocketAddr,
    target: &str,
    connections: usize,
    rate: u64,
    duration: Duration,
) -> Result<OpenLoopRun> {
    if rate == 0 || connections == 0 {
        bail!("an open-loop run needs a rate and connections");
    }
    let request = format!("GET {target} HTTP/1.1\r\nHost: {address}\r\n\r\n").into_bytes();
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
    let mut pool = Vec::with_capacity(connections);
    for i in 0..connections {
        let stream = TcpStream::connect(address).with_context(|| format!("connecting to {address}"))?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        epoll.add(&stream, EpollEvent::new(EpollFlags::EPOLLIN, i as u64))?;
        pool.push(Connection { stream, input: Vec::with_capacity(16 * 1024), due: None, answer: None });
    }
    let mut idle: VecDeque<usize> = (0..connections).collect();
    let mut latency_us = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut events = vec![EpollEvent::empty(); connections];
    let interval = Duration::from_secs(1).as_nanos() as f64 / rate as f64;
    let total = (duration.as_secs_f64() * rate as f64) as u64;
    let (mut sent, mut answered, mut errors) = (0u64, 0u64, 0u64);
    let start = Instant::now();
    let drain_until = start + duration + Duration::from_secs(2);
    let mut last_answer = start;
    let mut chunk = vec![0u8; 64 * 1024];
    let (mut longest_pause, mut pauses_over_1ms, mut previous) = (Duration::ZERO, 0u64, start);
    loop {
        let now = Instant::now();
        let pause = now - previous;
        previous = now;
        longest_pause = longest_pause.max(pause);
        pauses_over_1ms += u64::from(pause > Duration::from_millis(1));
        // Every request due by now goes out on an idle connection, oldest first.
        while sent < total && !idle.is_empty() {
            let due = start + Duration::from_nanos((sent as f64 * interval) as u64);
            if due > now {
                break;
            }
            let i = idle.pop_front().expect("an idle connection");
            let conn = &mut pool[i];
            match conn.stream.write(&request) {
                Ok(n) if n == request.len() => conn.due = Some(due),
                _ => bail!("a {}-byte request did not fit an idle connection's socket", request.len()),
            }
            sent += 1;
        }
        let in_flight = connections - idle.len();
        if (sent == total && in_flight == 0) || now > drain_until {
            break;
        }
        let ready = epoll.wait(&mut events, EpollTimeout::ZERO)?;
        for event in &events[..ready] {
            let i = event.data() as usize;
            let conn = &mut pool[i];
            loop {
                match conn.stream.read(&mut chunk) {
                    Ok(0) => bail!("{address} closed a keep-alive connection"),
                    Ok(n) => conn.input.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e).context("reading an answer"),
                }
            }
            let Some(due) = conn.due else { bail!("{address} answered a request that was not asked") };
            if conn.answer.is_none() {
                conn.answer = answer_head(&conn.input)?;
            }
            let Some((status, length)) = conn.answer.filter(|(_, length)| conn.input.len() >= *length) else {
                continue;
            };
            let finished = Instant::now();
            conn.input.drain(..length);
            conn.due = None;
            conn.answer = None;
            idle.push_back(i);
            last_answer = finished;
            if (200..300).contains(&status) {
                answered += 1;
                latency_us.saturating_record(finished.saturating_duration_since(due).as_micros().max(1) as u64);
            } else {
                errors += 1;
            }
        }
    }
    let elapsed = last_answer.saturating_duration_since(start).max(Duration::from_millis(1));
    Ok(OpenLoopRun {
        answered,
        errors,
        unanswered: total - answered - errors,
        rps: (answered + errors) as f64 / elapsed.as_secs_f64(),
        latency_us,
        longest_pause,
        pauses_over_1ms,
    })
}

/// The status and whole length (head and body) of the answer at the start of `input`, once its
/// head is there.
fn answer_head(input: &[u8]) -> Result<Option<(u16, usize)>> {
    let mut fields = [httparse::EMPTY_HEADER; 64];
    let mut answer = httparse::Response::new(&mut fields);
    let httparse::Status::Complete(head_len) = answer.parse(input).context("an answer head that does not parse")?
    else {
        return Ok(None);
    };
    let status = answer.code.context("an answer without a status")?;
    let length = answer
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .context("an answer without Content-Length")?;
    let length: usize = std::str::from_utf8(length.value)?.trim().parse()?;
    Ok(Some((status, head_len + length)))
}

#[cfg(test)]
mod tests {
    use super::answer_head;

    #[test]
    fn an_answer_is_measured_once_its_head_is_there() {
        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello";
        assert_eq!(answer_head(&answer[..20]).unwrap(), None);
        assert_eq!(answer_head(&answer[..answer.len() - 5]).unwrap(), Some((200, answer.len())));
        let mut two = answer.to_vec();
        two.extend_from_slice(answer);
        assert_eq!(answer_head(&two).unwrap(), Some((200, answer.len())));
        assert_eq!(answer_head(b"HTTP/1.1 503 Busy\r\ncontent-length: 0\r\n\r\n").unwrap(), Some((503, 40)));
        assert!(answer_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").is_err());
    }
}
