//! Where quota state lives: Redis (shared by every replica, one atomic script call per decision)
//! or this process's memory (the fallback, and the store when no Redis is configured).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{RedisError, ServerErrorKind};

use super::gcra::{self, Cell};

/// The decision for one request across all its quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Whether every quota admitted the request.
    pub allowed: bool,
    /// The limit of the quota that decided (see `script.lua` for which one).
    pub limit: u64,
    /// Requests left in that quota.
    pub remaining: u64,
    /// Time until that quota is fully reset.
    pub reset: Duration,
    /// Time until a refused request would be admitted (zero when admitted).
    pub retry_after: Duration,
}

impl Outcome {
    fn from_micros(
        allowed: bool,
        limit: u64,
        remaining: u64,
        reset_us: u64,
        retry_us: u64,
    ) -> Self {
        Self {
            allowed,
            limit,
            remaining,
            reset: Duration::from_micros(reset_us),
            retry_after: Duration::from_micros(retry_us),
        }
    }
}

/// The GCRA script; see `script.lua`.
const SCRIPT: &str = include_str!("script.lua");

/// Runs the quota script: `EVALSHA`, and `EVAL` (which also caches it) when the server answers
/// `NOSCRIPT` after a restart or `SCRIPT FLUSH`. One round trip in the steady state.
pub async fn check_redis(
    conn: &mut MultiplexedConnection,
    sha: &str,
    keys: &[String],
    cells: &[Cell],
) -> Result<Outcome, RedisError> {
    let reply = script_cmd("EVALSHA", sha, keys, cells)
        .query_async::<Vec<u64>>(conn)
        .await;
    let reply = match reply {
        Err(e) if e.kind() == redis::ErrorKind::Server(ServerErrorKind::NoScript) => {
            script_cmd("EVAL", SCRIPT, keys, cells)
                .query_async::<Vec<u64>>(conn)
                .await?
        }
        other => other?,
    };
    match reply.as_slice() {
        [allowed, limit, remaining, reset, retry] => Ok(Outcome::from_micros(
            *allowed == 1,
            *limit,
            *remaining,
            *reset,
            *retry,
        )),
        _ => Err(RedisError::from((
            redis::ErrorKind::UnexpectedReturnType,
            "rate-limit script returned an unexpected shape",
        ))),
    }
}

fn script_cmd(verb: &str, body: &str, keys: &[String], cells: &[Cell]) -> redis::Cmd {
    let mut cmd = redis::cmd(verb);
    cmd.arg(body).arg(keys.len()).arg(keys);
    for cell in cells {
        cmd.arg(cell.limit).arg(cell.interval);
    }
    cmd
}

/// The SHA-1 Redis names the script by.
pub fn script_sha() -> String {
    redis::Script::new(SCRIPT).get_hash().to_owned()
}

/// Per-replica quota state with the same algorithm, for when Redis is absent or down.
pub struct MemoryStore {
    /// Base of this store's clock; microseconds since it are the GCRA time.
    epoch: Instant,
    /// TAT per key. A std mutex: held for a few map operations, never across an await.
    tats: Mutex<HashMap<String, u64>>,
}

/// Past this many keys a decision first drops the ones whose bucket has drained.
const SWEEP_ABOVE: usize = 100_000;

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            epoch: Instant::now(),
            tats: Mutex::new(HashMap::new()),
        }
    }
}

impl MemoryStore {
    /// Decides atomically (under the lock) like the Redis script does.
    pub fn check(&self, keys: &[String], cells: &[Cell]) -> Outcome {
        // Start at one hour so `now` never underflows a reset computation.
        let now =
            u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX) + 3_600_000_000;
        let mut tats = self.tats.lock().expect("memory limiter mutex");
        if tats.len() > SWEEP_ABOVE {
            tats.retain(|_, tat| *tat > now);
        }
        let verdicts: Vec<_> = keys
            .iter()
            .zip(cells)
            .map(|(k, c)| (k, *c, gcra::evaluate(*c, tats.get(k).copied(), now)))
            .collect();
        let refused = verdicts
            .iter()
            .filter(|(_, _, v)| !v.allowed)
            .max_by_key(|(_, _, v)| v.retry_us);
        if let Some((_, cell, v)) = refused {
            return Outcome::from_micros(false, cell.limit, 0, v.reset_us, v.retry_us);
        }
        for (key, _, v) in &verdicts {
            tats.insert((*key).clone(), v.new_tat);
        }
        let (_, cell, v) = verdicts
            .iter()
            .min_by_key(|(_, _, v)| v.remaining)
            .expect("a policy has at least one quota");
        Outcome::from_micros(true, cell.limit, v.remaining, v.reset_us, 0)
    }
}
