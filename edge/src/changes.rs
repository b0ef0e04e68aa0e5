//! Following the catalog change feed: every `interval` the edge asks a core of its region for
//! the changes since it last asked (`GET /internal/v1/catalog-changes?since=…`) and, when there
//! is any it has not seen, purges its cache. A merchandiser's change is then served fresh
//! within about one interval, on every region's edge.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cache::ResponseCache;

/// How far back each request reaches before the previous answer's clock, so that a change
/// committed late (its timestamp is its transaction's start) is still seen. Changes are
/// deduplicated by id.
const OVERLAP_MICROS: i64 = 5_000_000;
/// How long one request to core may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// After a change, the cache is purged again this much later: cores reload the catalog's
/// metadata (categories, attributes) every 2 s by default, so a page asked for in between may
/// have been cached from the old metadata.
const SETTLE: Duration = Duration::from_millis(2500);

pub struct ChangeFollower {
    cores: Vec<SocketAddr>,
    cache: Arc<ResponseCache>,
    interval: Duration,
}

impl ChangeFollower {
    pub fn new(cores: Vec<SocketAddr>, cache: Arc<ResponseCache>, interval: Duration) -> Self {
        Self { cores, cache, interval }
    }
}

#[async_trait]
impl BackgroundService for ChangeFollower {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut since: Option<i64> = None;
        let mut seen: HashMap<String, Instant> = HashMap::new();
        let mut purge_again: Option<Instant> = None;
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tick.tick() => {}
            }
            if purge_again.is_some_and(|at| Instant::now() >= at) {
                self.cache.purge_all();
                purge_again = None;
            }
            let asked = since.map_or(0, |s| s - OVERLAP_MICROS);
            let Some(feed) = self.ask(asked).await else { continue };
            let fresh: Vec<String> = feed.ids.into_iter().filter(|id| !seen.contains_key(id)).collect();
            // Pages may have been cached before the first answer came: the first answer's
            // changes count too (the cache is small then, nothing much is lost).
            if !fresh.is_empty() {
                self.cache.purge_all();
                purge_again = Some(Instant::now() + SETTLE);
                tracing::info!(changes = fresh.len(), "catalog changed: cache purged");
            }
            let now = Instant::now();
            seen.extend(fresh.into_iter().map(|id| (id, now)));
            seen.retain(|_, at| now.duration_since(*at) < Duration::from_secs(60));
            since = Some(feed.now_micros);
        }
    }
}

struct Feed {
    ids: Vec<String>,
    now_micros: i64,
}

impl ChangeFollower {
    /// The feed from the first core that answers.
    async fn ask(&self, since: i64) -> Option<Feed> {
        for core in &self.cores {
            match tokio::time::timeout(
                REQUEST_TIMEOUT,
                get(*core, &format!("/internal/v1/catalog-changes?since={since}")),
            )
            .await
            {
                Ok(Ok(body)) => match parse(&body) {
                    Some(feed) => return Some(feed),
                    None => tracing::warn!(core = %core, "malformed catalog change feed"),
                },
                Ok(Err(e)) => tracing::debug!(core = %core, error = %e, "catalog change feed unavailable"),
                Err(_) => tracing::debug!(core = %core, "catalog change feed timed out"),
            }
        }
        None
    }
}

fn parse(body: &[u8]) -> Option<Feed> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let ids = v["changes"].as_array()?.iter().filter_map(|c| c["id"].as_str().map(str::to_string)).collect();
    Some(Feed { ids, now_micros: v["now_micros"].as_i64()? })
}

/// One `GET` over HTTP/1.1 with `Connection: close`; the body of a 200.
async fn get(core: SocketAddr, target: &str) -> std::io::Result<Vec<u8>> {
    let mut stream = tokio::net::TcpStream::connect(core).await?;
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {core}\r\nUser-Agent: shop-edge change-feed\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.take(8 * 1024 * 1024).read_to_end(&mut answer).await?;
    let split =
        answer.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&answer[..split]);
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(std::io::Error::other(head.lines().next().unwrap_or_default().to_string()));
    }
    let body = answer[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        return Ok(dechunk(&body));
    }
    Ok(body)
}

/// The payload of a chunked body.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&body[..line_end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        let Some(chunk) = body.get(start..start + size) else { break };
        out.extend_from_slice(chunk);
        body = body.get(start + size + 2..).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(dechunk(b"4\r\nWiki\r\n6\r\npedia \r\n0\r\n\r\n"), b"Wikipedia ");
    }

    #[test]
    fn the_feed_is_read() {
        let feed = parse(br#"{"now_micros": 42, "changes": [{"id": "a"}, {"id": "b"}]}"#).unwrap();
        assert_eq!((feed.ids, feed.now_micros), (vec!["a".to_string(), "b".to_string()], 42));
        assert!(parse(b"{}").is_none());
    }
}
