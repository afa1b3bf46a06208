//! Caching of model results, in Redis (shared by replicas) or this process's memory.
//!
//! Keys are `mt:cache:<kind>:<model version>:<sha256 of the text>`: a new model version never
//! serves an old score, and the journal text itself never becomes a key (keys show up in
//! `MONITOR`, `KEYS` and slow logs; they are not treated as secret the way values are).
//! The cache is an optimisation only: a Redis error, timeout or open circuit is a miss that
//! skips the write, never a failed request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::config::CacheType;
use crate::inference::InferenceClient;
use crate::redis_link::RedisLink;

/// What a lookup found, for the `X-Cache` header and the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Served from the cache.
    Hit,
    /// Computed and stored.
    Miss,
    /// Computed without the cache (disabled, or Redis unavailable).
    Bypass,
}

impl CacheStatus {
    /// `HIT`, `MISS` or `BYPASS`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "HIT",
            Self::Miss => "MISS",
            Self::Bypass => "BYPASS",
        }
    }
}

/// The model-result cache shared by a replica's handlers.
#[derive(Clone)]
pub struct ModelCache {
    backend: Backend,
    ttl: Duration,
}

#[derive(Clone)]
enum Backend {
    Redis(Arc<RedisLink>),
    Memory(Arc<MemoryCache>),
    Disabled,
}

impl std::fmt::Debug for ModelCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelCache")
            .field("backend", &self.status().0)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl ModelCache {
    /// A cache of `kind` with entries living `ttl` (`CACHE_DEFAULT_TIMEOUT`). Redis without a
    /// link (no `REDIS_URL`) degrades to memory.
    pub fn new(kind: CacheType, redis: Option<Arc<RedisLink>>, ttl: Duration) -> Self {
        let backend = match (kind, redis) {
            (CacheType::Redis, Some(link)) => Backend::Redis(link),
            (CacheType::None, _) => Backend::Disabled,
            _ => Backend::Memory(Arc::new(MemoryCache::default())),
        };
        Self { backend, ttl }
    }

    /// Returns the cached value for (`kind`, `version`, `text`), or computes, stores and returns
    /// it. `kind` names what is cached (`roberta`, `lstm`, `both`); `version` the model
    /// version(s). Errors from `compute` are returned and never cached.
    pub async fn get_or_compute<T, E, Fut>(
        &self,
        kind: &str,
        version: &str,
        text: &str,
        compute: impl FnOnce() -> Fut,
    ) -> Result<(T, CacheStatus), E>
    where
        T: Serialize + DeserializeOwned,
        Fut: Future<Output = Result<T, E>>,
    {
        let key = cache_key(kind, version, text);
        let (found, usable) = self.lookup(&key).await;
        if let Some(value) = found.and_then(|b| serde_json::from_slice(&b).ok()) {
            record(CacheStatus::Hit);
            return Ok((value, CacheStatus::Hit));
        }
        let value = compute().await?;
        let status = if usable {
            self.store(&key, &value).await;
            CacheStatus::Miss
        } else {
            CacheStatus::Bypass
        };
        record(status);
        Ok((value, status))
    }

    /// The bytes under `key` and whether the backend is usable right now.
    async fn lookup(&self, key: &str) -> (Option<Vec<u8>>, bool) {
        match &self.backend {
            Backend::Disabled => (None, false),
            Backend::Memory(map) => (map.get(key), true),
            Backend::Redis(link) => {
                let Some(mut conn) = link.connection() else {
                    return (None, false);
                };
                let mut get = redis::cmd("GET");
                get.arg(key);
                match bounded(link, get.query_async(&mut conn)).await {
                    Ok(found) => (found, true),
                    Err(()) => (None, false),
                }
            }
        }
    }

    async fn store<T: Serialize>(&self, key: &str, value: &T) {
        let Ok(bytes) = serde_json::to_vec(value) else {
            return;
        };
        match &self.backend {
            Backend::Disabled => {}
            Backend::Memory(map) => map.put(key, bytes, self.ttl),
            Backend::Redis(link) => {
                let Some(mut conn) = link.connection() else {
                    return;
                };
                let ttl_secs = self.ttl.as_secs().max(1);
                let mut set = redis::cmd("SET");
                set.arg(key).arg(bytes).arg("EX").arg(ttl_secs);
                let _ = bounded(link, set.query_async::<()>(&mut conn)).await;
            }
        }
    }

    /// `redis`, `memory`, `disabled`, or `bypassed (redis unavailable)`, and whether degraded.
    pub fn status(&self) -> (String, bool) {
        match &self.backend {
            Backend::Disabled => ("disabled".into(), false),
            Backend::Memory(_) => ("memory".into(), false),
            Backend::Redis(link) if link.is_up() => ("redis".into(), false),
            Backend::Redis(_) => ("bypassed (redis unavailable)".into(), true),
        }
    }
}

/// Awaits a Redis call within the link's response timeout; a failure opens the circuit.
async fn bounded<T>(
    link: &RedisLink,
    call: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, ()> {
    let result = match tokio::time::timeout(link.timeouts().response, call).await {
        Ok(r) => r,
        Err(_) => Err(crate::redis_link::timeout_error()),
    };
    result.map_err(|e| {
        tracing::debug!(error = %e, "cache bypassed");
        link.report_failure(&e);
    })
}

/// The response header that says whether a result came from the cache (`HIT`, `MISS`, `BYPASS`).
pub const X_CACHE: &str = "x-cache";

/// The loaded models' versions as one key part (`lstm=v2,roberta=v1`), or `None` when the
/// inference service cannot say (the call will fail anyway, so nothing is cached).
pub async fn model_versions(inference: &InferenceClient) -> Option<String> {
    let models = inference.models().await.ok()?;
    let mut parts: Vec<String> = models
        .iter()
        .map(|m| format!("{}={}", m.model.as_str(), m.version))
        .collect();
    parts.sort();
    Some(parts.join(","))
}

/// `mt:cache:<kind>:<version>:<hex sha256(text)>`.
pub fn cache_key(kind: &str, version: &str, text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("mt:cache:{kind}:{version}:{hex}")
}

fn record(status: CacheStatus) {
    let result = match status {
        CacheStatus::Hit => "hit",
        CacheStatus::Miss => "miss",
        CacheStatus::Bypass => "bypass",
    };
    crate::metrics::record_cache(result);
}

/// A bounded in-process map with expiry.
#[derive(Default)]
struct MemoryCache {
    /// A std mutex: held for one map operation, never across an await.
    entries: Mutex<HashMap<String, (Instant, Vec<u8>)>>,
}

/// Past this many entries, expired ones are dropped, and if that is not enough, all of them.
const MEMORY_CAPACITY: usize = 10_000;

impl MemoryCache {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let entries = self.entries.lock().expect("cache mutex");
        let (expires, bytes) = entries.get(key)?;
        (*expires > Instant::now()).then(|| bytes.clone())
    }

    fn put(&self, key: &str, bytes: Vec<u8>, ttl: Duration) {
        let mut entries = self.entries.lock().expect("cache mutex");
        if entries.len() >= MEMORY_CAPACITY {
            let now = Instant::now();
            entries.retain(|_, (expires, _)| *expires > now);
            if entries.len() >= MEMORY_CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key.to_owned(), (Instant::now() + ttl, bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis_link::RedisTimeouts;

    #[test]
    fn keys_hash_the_text_and_carry_the_model_version() {
        let key = cache_key("both", "r1+l2", "I feel great today");
        assert!(key.starts_with("mt:cache:both:r1+l2:"));
        assert!(!key.contains("great"));
        assert_eq!(key.len(), "mt:cache:both:r1+l2:".len() + 64);
        assert_ne!(key, cache_key("both", "r2+l2", "I feel great today"));
    }

    async fn compute_count(cache: &ModelCache, calls: &Mutex<u32>) -> CacheStatus {
        let (value, status) = cache
            .get_or_compute("both", "v1", "same text", || async {
                *calls.lock().unwrap() += 1;
                Ok::<_, ()>(vec![0.25_f32, 0.75])
            })
            .await
            .unwrap();
        assert_eq!(value, vec![0.25, 0.75]);
        status
    }

    #[tokio::test]
    async fn the_second_lookup_is_a_hit_in_memory() {
        let cache = ModelCache::new(CacheType::Memory, None, Duration::from_secs(60));
        let calls = Mutex::new(0);
        assert_eq!(compute_count(&cache, &calls).await, CacheStatus::Miss);
        assert_eq!(compute_count(&cache, &calls).await, CacheStatus::Hit);
        assert_eq!(*calls.lock().unwrap(), 1);
    }

    #[tokio::test]
    async fn an_unreachable_redis_bypasses_the_cache_and_still_answers() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("redis://127.0.0.1:{port}");
        let link = RedisLink::new(&url, None, RedisTimeouts::default()).unwrap();
        link.start();
        let cache = ModelCache::new(CacheType::Redis, Some(link), Duration::from_secs(60));
        let calls = Mutex::new(0);
        assert_eq!(compute_count(&cache, &calls).await, CacheStatus::Bypass);
        assert_eq!(compute_count(&cache, &calls).await, CacheStatus::Bypass);
        assert_eq!(*calls.lock().unwrap(), 2);
        assert!(cache.status().1);
    }

    #[tokio::test]
    async fn errors_are_returned_and_not_cached() {
        let cache = ModelCache::new(CacheType::Memory, None, Duration::from_secs(60));
        let failed = cache
            .get_or_compute("lstm", "v1", "x", || async { Err::<Vec<f32>, _>("down") })
            .await;
        assert_eq!(failed.err(), Some("down"));
        let calls = Mutex::new(0);
        let (_, status) = cache
            .get_or_compute("lstm", "v1", "x", || async {
                *calls.lock().unwrap() += 1;
                Ok::<_, ()>(1)
            })
            .await
            .unwrap();
        assert_eq!(status, CacheStatus::Miss);
    }
}
