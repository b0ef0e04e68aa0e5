//! A signed POST sent until it is acknowledged: the partners' webhooks and callbacks (the
//! warehouse system's, a carrier's tracking events) are delivered this way.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use tracing::debug;

use crate::sign;

/// A signed POST sent until it is acknowledged (the warehouse system's callbacks, a carrier's
/// tracking webhooks): signed with [`sign`] under `header` at each attempt, each
/// attempt bounded by 10 s, retried with doubling delays from `retry_base` (at most 30 s
/// apart), `max_attempts` in all. `on_attempt` runs before each attempt (for audits). `true`
/// once a 2xx answered.
pub async fn post_signed_until_acknowledged(
    client: &Client<HttpConnector, Full<Bytes>>,
    post: SignedPost<'_>,
    retry_base: Duration,
    max_attempts: u32,
    mut on_attempt: impl FnMut(),
) -> bool {
    let mut delay = retry_base;
    for attempt in 1..=max_attempts {
        on_attempt();
        let t = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let request = hyper::Request::post(post.url)
            .header("content-type", post.content_type)
            .header(post.header, sign(post.secret, t, &post.body))
            .body(Full::new(post.body.clone()));
        let acknowledged = match request {
            Ok(request) => match tokio::time::timeout(Duration::from_secs(10), client.request(request)).await {
                Ok(Ok(response)) => {
                    let status = response.status();
                    let _ = response.into_body().collect().await;
                    status.is_success()
                }
                _ => false,
            },
            Err(_) => false,
        };
        if acknowledged {
            return true;
        }
        debug!(attempt, url = post.url, "signed post not acknowledged, retrying");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(30));
    }
    false
}

/// What [`post_signed_until_acknowledged`] sends.
#[derive(Debug, Clone)]
pub struct SignedPost<'a> {
    pub url: &'a str,
    pub content_type: &'a str,
    /// The signature header's name.
    pub header: &'a str,
    pub secret: &'a [u8],
    pub body: Bytes,
}
