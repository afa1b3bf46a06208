//! One shared Redis connection for the rate limiter, the model-result cache and health, with a
//! circuit breaker.
//!
//! A multiplexed connection carries every request of a replica, so a decision costs one round
//! trip and no pool checkout. Connect and response timeouts are short (100 ms by default): a
//! Redis that hangs must not add latency to requests. The first failure opens the circuit, after
//! which callers get `None` at once and fall back (memory limiter, cache bypass) without touching
//! the network; a background task reconnects and closes the circuit when Redis answers `PING`.
//! While the circuit is closed the same task pings on an interval, which keeps the latency figure
//! the health report shows fresh without any request paying for it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError};

/// Timeouts and the reconnect interval; defaults suit a Redis in the same cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisTimeouts {
    /// Longest wait for a TCP connect and handshake.
    pub connect: Duration,
    /// Longest wait for one reply; past it the call counts as a failure.
    pub response: Duration,
    /// How often the background task pings (circuit closed) or reconnects (circuit open).
    pub probe_interval: Duration,
}

impl Default for RedisTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_millis(100),
            response: Duration::from_millis(100),
            probe_interval: Duration::from_millis(1000),
        }
    }
}

/// The Redis URL could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("invalid REDIS_URL ({redacted}): {reason}")]
pub struct InvalidRedisUrl {
    /// The URL with its password removed, safe to log.
    pub redacted: String,
    reason: String,
}

/// A shared, self-healing Redis connection. Cheap to share behind an `Arc`.
pub struct RedisLink {
    client: Client,
    redacted_url: String,
    timeouts: RedisTimeouts,
    /// The live connection while the circuit is closed. A std mutex: it is held only to clone or
    /// replace the handle, never across an await.
    conn: Mutex<Option<MultiplexedConnection>>,
    /// Whether Redis answered the latest call or probe.
    up: AtomicBool,
    /// Latency of the latest successful probe, in microseconds (0 before the first one).
    latency_us: AtomicU64,
    /// Wakes the background task when a caller saw a failure, so reconnecting starts at once.
    wake: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLink")
            .field("url", &self.redacted_url)
            .field("up", &self.is_up())
            .finish_non_exhaustive()
    }
}

impl RedisLink {
    /// Parses the URL (applying `password` when the URL carries none) without connecting; call
    /// [`RedisLink::start`] to connect in the background.
    pub fn new(
        url: &str,
        password: Option<&str>,
        timeouts: RedisTimeouts,
    ) -> Result<Arc<Self>, InvalidRedisUrl> {
        let redacted_url = redact_url(url);
        let invalid = |e: RedisError| InvalidRedisUrl {
            redacted: redacted_url.clone(),
            reason: e.to_string(),
        };
        let mut info = redis::IntoConnectionInfo::into_connection_info(url).map_err(invalid)?;
        if let Some(pw) = password.filter(|p| !p.is_empty())
            && info.redis_settings().password().is_none()
        {
            let settings = info.redis_settings().clone().set_password(pw);
            info = info.set_redis_settings(settings);
        }
        let client = Client::open(info).map_err(invalid)?;
        Ok(Arc::new(Self {
            client,
            redacted_url,
            timeouts,
            conn: Mutex::new(None),
            up: AtomicBool::new(false),
            latency_us: AtomicU64::new(0),
            wake: Arc::default(),
        }))
    }

    /// Spawns the task that connects, probes and reconnects. It ends when the last `Arc` of the
    /// link is dropped, so a stopped gateway leaves nothing behind.
    pub fn start(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(supervise(weak));
    }

    /// The connection, or `None` at once while the circuit is open.
    pub fn connection(&self) -> Option<MultiplexedConnection> {
        if !self.up.load(Ordering::Acquire) {
            return None;
        }
        self.conn.lock().expect("redis link mutex").clone()
    }

    /// Records a failed call: opens the circuit so later calls skip Redis until the background
    /// task has reconnected. Server-side script errors are not connectivity failures.
    pub fn report_failure(&self, err: &RedisError) {
        if !is_connectivity_error(err) {
            return;
        }
        crate::metrics::record_redis_up(false);
        if self.up.swap(false, Ordering::AcqRel) {
            tracing::warn!(error = %err, url = %self.redacted_url, "redis unavailable, circuit open");
        }
        *self.conn.lock().expect("redis link mutex") = None;
        self.wake.notify_one();
    }

    /// Whether the circuit is closed (Redis answered the latest call or probe).
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Latency of the latest successful `PING`, if any.
    pub fn latency(&self) -> Option<Duration> {
        match self.latency_us.load(Ordering::Relaxed) {
            0 => None,
            us => Some(Duration::from_micros(us)),
        }
    }

    /// The URL with any password replaced by `***`, for logs and the health report.
    pub fn redacted_url(&self) -> &str {
        &self.redacted_url
    }

    /// The configured timeouts (callers bound their own calls with `response`).
    pub fn timeouts(&self) -> RedisTimeouts {
        self.timeouts
    }

    /// One probe: connects when needed, then `PING`s; updates the circuit and latency.
    async fn probe(&self) {
        let conn = self.conn.lock().expect("redis link mutex").clone();
        let conn = match conn {
            Some(c) => Ok(c),
            None => self.connect().await,
        };
        let result = match conn {
            Ok(mut c) => ping(&mut c, self.timeouts.response)
                .await
                .map(|lat| (c, lat)),
            Err(e) => Err(e),
        };
        match result {
            Ok((c, latency)) => self.mark_up(c, latency),
            Err(e) => self.report_failure(&e),
        }
    }

    async fn connect(&self) -> Result<MultiplexedConnection, RedisError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeouts.connect))
            .set_response_timeout(Some(self.timeouts.response));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }

    fn mark_up(&self, conn: MultiplexedConnection, latency: Duration) {
        *self.conn.lock().expect("redis link mutex") = Some(conn);
        let us = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.latency_us.store(us, Ordering::Relaxed);
        crate::metrics::record_redis_up(true);
        if !self.up.swap(true, Ordering::AcqRel) {
            tracing::info!(url = %self.redacted_url, "redis connected, circuit closed");
        }
    }
}

/// The background loop: probe, then sleep until the interval passes or a caller reports a failure.
async fn supervise(link: Weak<RedisLink>) {
    loop {
        let Some(strong) = link.upgrade() else { return };
        strong.probe().await;
        let interval = strong.timeouts.probe_interval;
        // Wait without holding the Arc, so dropping the gateway ends this task.
        let wake = strong.wake.clone();
        drop(strong);
        let woken = tokio::time::timeout(interval, wake.notified())
            .await
            .is_ok();
        if woken {
            // A failure just happened: back off briefly instead of hammering a dead server.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn ping(conn: &mut MultiplexedConnection, timeout: Duration) -> Result<Duration, RedisError> {
    let started = Instant::now();
    let reply = tokio::time::timeout(timeout, redis::cmd("PING").query_async::<String>(conn)).await;
    match reply {
        Ok(Ok(_)) => Ok(started.elapsed()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(timeout_error()),
    }
}

/// The error a caller reports when its own `tokio::time::timeout` fired.
pub fn timeout_error() -> RedisError {
    RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "redis call timed out",
    ))
}

/// Whether an error means Redis is unreachable (as opposed to a bad command or script).
fn is_connectivity_error(err: &RedisError) -> bool {
    err.is_io_error()
        || err.is_timeout()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || err.is_unrecoverable_error()
}

/// Replaces the password in `scheme://user:password@host/...` with `***`; other URLs unchanged.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let user = rest[..at].split(':').next().unwrap_or("");
    format!("{scheme}://{user}:***@{}", &rest[at + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_removes_the_password_and_keeps_the_host() {
        assert_eq!(
            redact_url("redis://:s3cret@cache:6379/0"),
            "redis://:***@cache:6379/0"
        );
        assert_eq!(
            redact_url("rediss://app:p@ss@cache:6380"),
            "rediss://app:***@cache:6380"
        );
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
    }

    #[test]
    fn an_invalid_url_is_reported_without_its_password() {
        let err = RedisLink::new("redis://:hunter2@", None, RedisTimeouts::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
