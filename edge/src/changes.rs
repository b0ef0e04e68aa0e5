//! Following the catalog change feed: every `interval` the edge asks a core of its region for
//! the changes since it last asked (`GET /internal/v1/catalog-changes?since=…`) and purges what
//! the changes it has not seen make obsolete: the entries stored under the cache tags each
//! change names (a product's pages and the listings showing it, a category's listings and the
//! pages naming it…), or every entry for a change that names none. Purges are soft (see
//! [`crate::cache`]). A merchandiser's change is then served fresh within about one interval
//! and the purge grace, on every region's edge.
//!
//! The first answer after the edge starts holds the newest changes ever made; only those from
//! about the edge's start on can have made a page it cached obsolete, so a restarted edge does
//! not purge (twice) what it has just filled for last week's changes. An answer the core marks
//! `truncated` (full, so older changes since the time asked are missing) purges everything when
//! what it left out may not have been seen: changes from after the previous answer's clock (more
//! than a full answer within one interval, or after the feed was out of reach), or from about
//! the edge's start on in its first answer.

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
    Tags(BTreeSet<String>),
}

impl Purge {
    /// What an answer of the feed makes obsolete (times in unix microseconds):
    ///
    /// - `fresh`: its changes not seen before; from `relevant_from` on when given (the first
    ///   answer: older ones cannot have touched a page this edge holds);
    /// - `left_out_before`: when the answer was full, the time of the oldest change it gives
    ///   (those it left out are older). They may matter from `unseen_from` on (the first
    ///   answer's `relevant_from`; for a later one, the previous answer's clock, after which
    ///   no change was seen), and then everything is purged.
    fn of_answer(
        fresh: &[Change],
        left_out_before: Option<i64>,
        relevant_from: Option<i64>,
        unseen_from: i64,
    ) -> Option<Self> {
        if left_out_before.is_some_and(|oldest| oldest >= unseen_from) {
            return Some(Self::All);
        }
        let relevant = |c: &&Change| match (relevant_from, c.changed_at_micros) {
            (Some(from), Some(at)) => at >= from,
            _ => true,
        };
        let tags: Vec<Option<&[String]>> = fresh.iter().filter(relevant).map(|c| c.tags.as_deref()).collect();
        Self::of(&tags)
    }

    /// The purge of `changes` (the tags of each; `None`: a change of everything).
    fn of(changes: &[Option<&[String]>]) -> Option<Self> {
        if changes.is_empty() {
            None
        } else if changes.iter().any(Option::is_none) {
            Some(Self::All)
        } else {
            Some(Self::Tags(changes.iter().flatten().flat_map(|tags| tags.iter().cloned()).collect()))
        }
    }

    fn merge(self, other: Self) -> Self {
        match (self, other) {
            (Self::Tags(mut a), Self::Tags(b)) => {
                a.extend(b);
                Self::Tags(a)
            }
            _ => Self::All,
        }
    }

    fn apply(&self, cache: &ResponseCache) {
        match self {
            Self::All => cache.purge_all(),
            Self::Tags(tags) if tags.is_empty() => {}
            Self::Tags(tags) => {
                cache.purge_tags(&tags.iter().cloned().collect::<Vec<_>>());
            }
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
    /// Before the edge's first fill: the cache holds nothing older.
    created: Instant,
}

impl ChangeFollower {
    pub fn new(cores: Vec<SocketAddr>, cache: Arc<ResponseCache>, interval: Duration) -> Self {
        Self { cores, cache, interval, created: Instant::now() }
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
            // A full answer left out changes older than its oldest.
            let left_out_before = feed
                .truncated
                .then(|| feed.changes.iter().filter_map(|c| c.changed_at_micros).min().unwrap_or(i64::MAX));
            let fresh: Vec<Change> = feed.changes.into_iter().filter(|c| !seen.contains_key(&c.id)).collect();
            // The first answer reaches back to the newest changes ever made. Pages may have been
            // cached before it came, but every one was filled after this edge started, from a
            // core that showed any change older than that start by `SETTLE` (a commit's time
            // being its transaction's start, by `OVERLAP_MICROS` more): only newer changes can
            // have made one obsolete. A restarted edge then keeps what it cached meanwhile,
            // instead of purging it twice (now and after `SETTLE`) for last week's changes.
            let (relevant_from, unseen_from) = match since {
                None => {
                    let age = self.created.elapsed() + SETTLE;
                    let from =
                        feed.now_micros - i64::try_from(age.as_micros()).unwrap_or(i64::MAX / 2) - OVERLAP_MICROS;
                    (Some(from), from)
                }
                // Every change up to the previous answer's clock was seen.
                Some(previous) => (None, previous),
            };
            if let Some(purge) = Purge::of_answer(&fresh, left_out_before, relevant_from, unseen_from) {
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
            seen.extend(fresh.into_iter().map(|c| (c.id, now)));
            seen.retain(|_, at| now.duration_since(*at) < Duration::from_secs(60));
            since = Some(feed.now_micros);
        }
    }
}

struct Feed {
    changes: Vec<Change>,
    /// The answer is full: older changes since the time asked may be missing.
    truncated: bool,
    now_micros: i64,
}

/// One change of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Change {
    id: String,
    /// The cache tags it makes obsolete; `None`: everything.
    tags: Option<Vec<String>>,
    /// Unix microseconds (its transaction's start).
    changed_at_micros: Option<i64>,
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
            let tags =
                c["tags"].as_array().map(|tags| tags.iter().filter_map(|t| t.as_str().map(str::to_string)).collect());
            let changed_at_micros = c["changed_at_micros"].as_i64();
            c["id"].as_str().map(|id| Change { id: id.to_string(), tags, changed_at_micros })
        })
        .collect();
    let truncated = v["truncated"].as_bool().unwrap_or(false);
    Some(Feed { changes, truncated, now_micros: v["now_micros"].as_i64()? })
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
        let body = r#"{"now_micros": 42, "truncated": true, "changes": [
            {"id": "a", "subject": "product", "tags": ["p:1", "c:2"], "changed_at_micros": 41},
            {"id": "b", "subject": "attribute", "tags": null}]}"#;
        let feed = parse(body.as_bytes()).unwrap();
        let a = Change { id: "a".into(), tags: Some(vec!["p:1".into(), "c:2".into()]), changed_at_micros: Some(41) };
        assert_eq!((feed.changes, feed.truncated, feed.now_micros), (vec![a, change("b", None, None)], true, 42));
        assert!(!parse(br#"{"now_micros": 1, "changes": []}"#).unwrap().truncated);
        assert!(parse(b"{}").is_none());
    }

    /// A change of the tag `tag`, or of everything.
    fn change(id: &str, tag: Option<&str>, at: Option<i64>) -> Change {
        Change { id: id.to_string(), tags: tag.map(|t| vec![t.to_string()]), changed_at_micros: at }
    }

    fn tags(tags: &[&str]) -> Purge {
        Purge::Tags(tags.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn the_first_answer_purges_only_changes_a_cached_page_may_predate() {
        let old_whole = change("1", None, Some(100));
        let old_product = change("2", Some("p:a"), Some(150));
        let recent = change("3", Some("p:b"), Some(1_000));
        let first = |fresh: &[Change], left_out_before| Purge::of_answer(fresh, left_out_before, Some(500), 500);
        // Last week's changes, on a fresh edge: nothing to purge.
        assert_eq!(first(&[old_product.clone(), old_whole.clone()], None), None);
        // A change from about the edge's start counts, the older ones do not.
        assert_eq!(first(&[recent.clone(), old_product.clone(), old_whole.clone()], None), Some(tags(&["p:b"])));
        // A change without a time counts.
        assert_eq!(first(&[change("4", None, None)], None), Some(Purge::All));
        // A full answer whose oldest change is recent may have left out other recent ones.
        assert_eq!(first(std::slice::from_ref(&recent), Some(1_000)), Some(Purge::All));
        // One that reaches back before the edge's start left out only older ones.
        assert_eq!(first(&[recent.clone(), old_whole.clone()], Some(100)), Some(tags(&["p:b"])));
    }

    #[test]
    fn later_answers_purge_what_was_not_seen_and_everything_when_they_left_out_unseen_changes() {
        let later = |fresh: &[Change], left_out_before| Purge::of_answer(fresh, left_out_before, None, 2_000);
        // Every change not seen counts, however old its time (a late commit).
        assert_eq!(later(&[change("1", Some("p:a"), Some(150))], None), Some(tags(&["p:a"])));
        assert_eq!(later(&[], None), None);
        // Full, but reaching back before the previous answer's clock: what it left out was seen.
        assert_eq!(later(&[change("2", Some("p:b"), Some(2_500))], Some(1_500)), Some(tags(&["p:b"])));
        // Full, and all of it newer than the previous answer: unseen changes were left out.
        assert_eq!(later(&[change("3", Some("p:b"), Some(2_500))], Some(2_100)), Some(Purge::All));
        assert_eq!(later(&[], Some(2_100)), Some(Purge::All));
    }

    #[test]
    fn a_change_without_tags_purges_everything() {
        let (a, b) = (vec!["p:a".to_string()], vec!["p:b".to_string(), "c:x".to_string()]);
        assert_eq!(Purge::of(&[]), None);
        assert_eq!(Purge::of(&[Some(&a), Some(&b), Some(&a)]), Some(tags(&["c:x", "p:a", "p:b"])));
        assert_eq!(Purge::of(&[Some(&a), None]), Some(Purge::All));
        assert_eq!(tags(&["p:a"]).merge(tags(&["p:b"])), tags(&["p:a", "p:b"]));
        assert_eq!(tags(&["p:a"]).merge(Purge::All), Purge::All);
    }
}
