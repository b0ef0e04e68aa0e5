//! Following the catalog change feed: every `interval` the edge asks a core of its region for
//! the changes since it last asked (`GET /internal/v1/catalog-changes?since=…`) and purges what
//! the changes it has not seen make obsolete: a change of one product purges that product's
//! pages and the listings; any other change (categories, attributes, promotions) the whole
//! cache. A merchandiser's change is then served fresh within about one interval, on every
//! region's edge.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cache::ResponseCache;

/// What a batch of changes makes obsolete.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Purge {
    All,
    Products(BTreeSet<uuid::Uuid>),
}

impl Purge {
    /// The purge of `changes` (product of each; `None`: a change of the whole catalog).
    fn of(changes: &[Option<uuid::Uuid>]) -> Option<Self> {
        if changes.is_empty() {
            None
        } else if changes.iter().any(Option::is_none) {
            Some(Self::All)
        } else {
            Some(Self::Products(changes.iter().flatten().copied().collect()))
        }
    }

    fn merge(self, other: Self) -> Self {
        match (self, other) {
            (Self::Products(mut a), Self::Products(b)) => {
                a.extend(b);
                Self::Products(a)
            }
            _ => Self::All,
        }
    }

    fn apply(&self, cache: &ResponseCache) {
        match self {
            Self::All => cache.purge_all(),
            Self::Products(products) => products.iter().for_each(|p| cache.purge_product(*p)),
        }
    }
}

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
        let mut purge_again: Option<(Instant, Purge)> = None;
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tick.tick() => {}
            }
            if let Some((at, purge)) = &purge_again
                && Instant::now() >= *at
            {
                purge.apply(&self.cache);
                purge_again = None;
            }
            let asked = since.map_or(0, |s| s - OVERLAP_MICROS);
            let Some(feed) = self.ask(asked).await else { continue };
            let fresh: Vec<(String, Option<uuid::Uuid>)> =
                feed.changes.into_iter().filter(|(id, _)| !seen.contains_key(id)).collect();
            // Pages may have been cached before the first answer came: the first answer's
            // changes count too (the cache is small then, nothing much is lost).
            let products: Vec<Option<uuid::Uuid>> = fresh.iter().map(|(_, p)| *p).collect();
            if let Some(purge) = Purge::of(&products) {
                purge.apply(&self.cache);
                tracing::info!(changes = fresh.len(), whole = purge == Purge::All, "catalog changed: cache purged");
                // A fill that asked core before the change may store the old page after this
                // purge: purge the same again once the change has settled.
                let again = match purge_again.take() {
                    Some((_, earlier)) => earlier.merge(purge),
                    None => purge,
                };
                purge_again = Some((Instant::now() + SETTLE, again));
            }
            let now = Instant::now();
            seen.extend(fresh.into_iter().map(|(id, _)| (id, now)));
            seen.retain(|_, at| now.duration_since(*at) < Duration::from_secs(60));
            since = Some(feed.now_micros);
        }
    }
}

struct Feed {
    /// Each change's id and product.
    changes: Vec<(String, Option<uuid::Uuid>)>,
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
    let changes = v["changes"]
        .as_array()?
        .iter()
        .filter_map(|c| {
            let product = c["product_id"].as_str().and_then(|p| p.parse().ok());
            c["id"].as_str().map(|id| (id.to_string(), product))
        })
        .collect();
    Some(Feed { changes, now_micros: v["now_micros"].as_i64()? })
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
        let p = uuid::Uuid::new_v4();
        let body = format!(
            r#"{{"now_micros": 42, "changes": [{{"id": "a", "product_id": "{p}"}}, {{"id": "b", "product_id": null}}]}}"#
        );
        let feed = parse(body.as_bytes()).unwrap();
        assert_eq!((feed.changes, feed.now_micros), (vec![("a".to_string(), Some(p)), ("b".to_string(), None)], 42));
        assert!(parse(b"{}").is_none());
    }

    #[test]
    fn a_change_without_a_product_purges_everything() {
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        assert_eq!(Purge::of(&[]), None);
        assert_eq!(Purge::of(&[Some(a), Some(b), Some(a)]), Some(Purge::Products([a, b].into())));
        assert_eq!(Purge::of(&[Some(a), None]), Some(Purge::All));
        assert_eq!(Purge::Products([a].into()).merge(Purge::Products([b].into())), Purge::Products([a, b].into()));
        assert_eq!(Purge::Products([a].into()).merge(Purge::All), Purge::All);
    }
}
