//! Client-side balancing over every address the inference URL's host resolves to.
//!
//! One HTTP/2 connection multiplexes every call, so a plain channel to a Kubernetes Service
//! name pins all traffic to whichever pod the first connection reached. The chart therefore
//! points `INFERENCE_URL` at a headless Service, whose name resolves to every ready pod; this
//! module resolves it every `INFERENCE_RESOLVE_INTERVAL_SECS` and feeds the differences into a
//! balanced channel (one lazy connection per address, keyed by [`SocketAddr`]). An IP literal
//! resolves to itself, so it is simply a set of one.
//!
//! A failed resolution keeps the last known set (a DNS hiccup must not drop every replica) and
//! warns at most once a minute. The number of endpoints is published on a `watch` channel:
//! `None` until the first answer, so calls can fail fast when the set is known to be empty
//! instead of waiting out their deadline on a balancer with nothing to pick.

use std::{
    collections::HashSet,
    io,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use futures::future::BoxFuture;
use tokio::sync::{mpsc::Sender, watch};
use tonic::transport::{Channel, Endpoint, Uri, channel::Change};

/// Resolves `(host, port)` to socket addresses. Production uses [`dns_resolver`]; tests inject
/// a fixed or changing answer.
pub type Resolver =
    Arc<dyn Fn(String, u16) -> BoxFuture<'static, io::Result<Vec<SocketAddr>>> + Send + Sync>;

/// The number of balanced endpoints; `None` until the first resolution finished.
pub(super) type EndpointCount = watch::Receiver<Option<usize>>;

/// Queued endpoint changes: a resolution rarely changes more than a few addresses at once.
const CHANGES_CAPACITY: usize = 64;

/// At most one warning per this long while resolution keeps failing.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// The system resolver (`getaddrinfo` through `tokio::net::lookup_host`).
pub fn dns_resolver() -> Resolver {
    Arc::new(|host, port| {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect())
        })
    })
}

/// What to resolve and how to build each address's endpoint.
pub(super) struct Target {
    /// The configured URL: requests keep its authority (the Service name) as `:authority`.
    pub origin: Uri,
    pub connect_timeout: Duration,
}

/// A balanced channel over `target`'s addresses, re-resolved every `interval` by a task that
/// ends when the last clone of the channel is dropped. Must run inside a tokio runtime.
pub(super) fn balanced(
    target: Target,
    interval: Duration,
    resolver: Resolver,
) -> Option<(Channel, EndpointCount)> {
    let host = target.origin.host()?.trim_matches(['[', ']']).to_owned();
    let port = target
        .origin
        .port_u16()
        .unwrap_or(if target.origin.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let (channel, changes) = Channel::balance_channel(CHANGES_CAPACITY);
    let (count_tx, count_rx) = watch::channel(None);
    let refresher = Refresher {
        target,
        host,
        port,
        resolver,
        changes,
        count: count_tx,
        known: HashSet::new(),
        last_warning: None,
    };
    tokio::spawn(refresher.run(interval));
    Some((channel, count_rx))
}

/// The resolution loop's state.
struct Refresher {
    target: Target,
    host: String,
    port: u16,
    resolver: Resolver,
    changes: Sender<Change<SocketAddr, Endpoint>>,
    count: watch::Sender<Option<usize>>,
    known: HashSet<SocketAddr>,
    last_warning: Option<Instant>,
}

impl Refresher {
    async fn run(mut self, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                // The balancer (and so every client clone) is gone: nothing left to feed.
                () = self.changes.closed() => return,
                _ = ticker.tick() => {}
            }
            let answer = (self.resolver)(self.host.clone(), self.port).await;
            match answer {
                Ok(addrs) => {
                    if self.apply(addrs.into_iter().collect()).await.is_err() {
                        return;
                    }
                }
                Err(error) => self.warn(&error),
            }
            self.count.send_replace(Some(self.known.len()));
        }
    }

    /// Sends the differences between the known set and `fresh`; `Err` when the balancer is gone.
    async fn apply(&mut self, fresh: HashSet<SocketAddr>) -> Result<(), ()> {
        for gone in self.known.difference(&fresh) {
            tracing::info!(addr = %gone, "inference endpoint removed");
            let change = Change::Remove(*gone);
            self.changes.send(change).await.map_err(drop)?;
        }
        for new in fresh.difference(&self.known) {
            let Some(endpoint) = self.endpoint(*new) else {
                continue;
            };
            tracing::info!(addr = %new, "inference endpoint added");
            let change = Change::Insert(*new, endpoint);
            self.changes.send(change).await.map_err(drop)?;
        }
        self.known = fresh;
        Ok(())
    }

    /// The endpoint for one address, with the configured URL's scheme, timeouts and authority.
    fn endpoint(&self, addr: SocketAddr) -> Option<Endpoint> {
        let scheme = self.target.origin.scheme_str().unwrap_or("http");
        let endpoint = Endpoint::from_shared(format!("{scheme}://{addr}")).ok()?;
        Some(
            endpoint
                .origin(self.target.origin.clone())
                .connect_timeout(self.target.connect_timeout)
                .tcp_nodelay(true),
        )
    }

    fn warn(&mut self, error: &io::Error) {
        let due = self
            .last_warning
            .is_none_or(|at| at.elapsed() >= WARN_EVERY);
        if due {
            self.last_warning = Some(Instant::now());
            tracing::warn!(
                host = %self.host,
                %error,
                kept = self.known.len(),
                "resolving the inference host failed; keeping the last known endpoints"
            );
        } else {
            tracing::debug!(host = %self.host, %error, "resolving the inference host failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::inference::InferenceClient;

    const EVERY: Duration = Duration::from_millis(20);

    /// A resolver answering whatever `answer` holds at the time it is asked.
    fn scripted(answer: Arc<Mutex<io::Result<Vec<SocketAddr>>>>) -> Resolver {
        Arc::new(move |_, _| {
            let result = match &*answer.lock().unwrap() {
                Ok(addrs) => Ok(addrs.clone()),
                Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
            };
            Box::pin(async move { result })
        })
    }

    fn client(resolver: Resolver) -> InferenceClient {
        InferenceClient::with_resolver(
            "http://inference-headless.test:50051",
            Duration::from_millis(200),
            Duration::from_secs(5),
            EVERY,
            resolver,
        )
        .unwrap()
    }

    /// Waits until the client's endpoint count satisfies `done`, for up to a second.
    async fn count_becomes(client: &InferenceClient, done: impl Fn(Option<usize>) -> bool) {
        let mut count = client.endpoints.clone();
        let waited = tokio::time::timeout(Duration::from_secs(1), count.wait_for(|n| done(*n)));
        assert!(waited.await.is_ok(), "count is {:?}", *count.borrow());
    }

    async fn assert_fails_fast_unavailable(client: &InferenceClient) {
        let started = Instant::now();
        let error = client.classify(vec!["hi".into()], &[]).await.unwrap_err();
        assert_eq!(error.code(), Some(tonic::Code::Unavailable), "{error}");
        assert!(error.is_transient());
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "not waiting out the deadline"
        );
    }

    #[tokio::test]
    async fn an_empty_answer_fails_calls_fast_as_unavailable() {
        let client = client(scripted(Arc::new(Mutex::new(Ok(vec![])))));
        assert_fails_fast_unavailable(&client).await;
    }

    #[tokio::test]
    async fn a_failing_first_resolution_fails_calls_fast_as_unavailable() {
        let answer = Arc::new(Mutex::new(Err(io::Error::other("no such host"))));
        let client = client(scripted(answer));
        assert_fails_fast_unavailable(&client).await;
    }

    #[tokio::test]
    async fn a_failed_resolution_keeps_the_last_set_and_a_new_answer_replaces_it() {
        let (a, b) = (
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.2:1".parse().unwrap(),
        );
        let answer = Arc::new(Mutex::new(Ok(vec![a, b])));
        let client = client(scripted(answer.clone()));
        count_becomes(&client, |n| n == Some(2)).await;

        *answer.lock().unwrap() = Err(io::Error::other("resolver timed out"));
        tokio::time::sleep(EVERY * 5).await;
        assert_eq!(*client.endpoints.borrow(), Some(2), "kept through failures");

        *answer.lock().unwrap() = Ok(vec![a]);
        count_becomes(&client, |n| n == Some(1)).await;
    }

    #[tokio::test]
    async fn an_ip_literal_url_is_one_endpoint() {
        let client = InferenceClient::new(
            "http://127.0.0.1:1",
            Duration::from_millis(200),
            Duration::from_secs(5),
        )
        .unwrap();
        count_becomes(&client, |n| n == Some(1)).await;
    }
}
