//! Rate limiting: the contract's per-route quotas, enforced exactly across replicas through one
//! Redis script call per request, with a per-replica in-memory fallback.
//!
//! - Algorithm: GCRA ([`gcra`]), several quotas (100/hour and 1000/day) in one atomic call.
//! - Subject: the client address ([`client_ip`]; forwarded headers only from `TRUSTED_PROXIES`)
//!   on the routes that identify a caller (register, login, OAuth), whatever token is sent, so
//!   a token cannot lift their limits; elsewhere the user (verified JWT `sub`) when
//!   authenticated, else the client address. Login is also limited per target account
//!   ([`Limiter::check_login_account`]), so rotating addresses cannot guess one password.
//! - Redis failure (`RATELIMIT_FAIL_MODE`): `memory` (default) keeps enforcing the same
//!   quotas per replica, `open` admits everything, `closed` answers 503. A failed call opens the
//!   circuit in [`RedisLink`], so later requests skip Redis until it answers again.
//! - Headers ([`layer`]): `X-RateLimit-Limit`, `-Remaining`, `-Reset` (seconds until the
//!   quota is whole again, like the IETF RateLimit draft, not an epoch) and `Retry-After`.

mod client_ip;
mod gcra;
pub mod layer;
mod rules;
mod store;

use std::net::IpAddr;
use std::sync::Arc;

use http::Method;

pub use client_ip::{BadCidr, Cidr, client_ip, parse_trusted};
pub use rules::{Policy, Quota, Rules, RulesError, identifies_caller};
pub use store::Outcome;

use crate::redis_link::RedisLink;
use gcra::Cell;
use store::MemoryStore;

/// What the limiter does while Redis is unreachable (`RATELIMIT_FAIL_MODE`).
pub use crate::config::FailMode as FailureMode;

/// The limiter's settings, taken from [`crate::config::Config`].
#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// `RATELIMIT_ENABLED`.
    pub enabled: bool,
    /// `RATELIMIT_FAIL_MODE`: memory, open or closed.
    pub failure_mode: FailureMode,
    /// `RATELIMIT_MULTIPLIER` (default 1): every limit is multiplied, for load tests.
    pub multiplier: f64,
    /// `RATELIMIT_OVERRIDES`, such as `login=100/minute;default=1000/hour,10000/day`.
    pub overrides: String,
    /// `TRUSTED_PROXIES`: addresses or CIDR blocks whose forwarded headers are believed.
    pub trusted_proxies: Vec<String>,
    /// Prefix of every key (default `mt:rl:`), so tests and deployments can share a Redis.
    pub key_prefix: String,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            failure_mode: FailureMode::Memory,
            multiplier: 1.0,
            overrides: String::new(),
            trusted_proxies: Vec::new(),
            key_prefix: "mt:rl:".into(),
        }
    }
}

/// The limiter settings are invalid; the message names the variable.
#[derive(Debug, thiserror::Error)]
pub enum LimitConfigError {
    /// Bad `RATE_LIMIT_OVERRIDES` or `RATE_LIMIT_MULTIPLIER`.
    #[error(transparent)]
    Rules(#[from] RulesError),
    /// Bad `TRUSTED_PROXIES`.
    #[error(transparent)]
    Proxies(#[from] BadCidr),
}

/// Who a request is counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// An authenticated user, by the verified token's `sub`.
    User(String),
    /// An anonymous client, by address.
    Client(IpAddr),
    /// The account a sign-in names: the SHA-256 of its normalised email, so no address
    /// reaches Redis.
    Account(String),
}

impl Subject {
    /// The key fragment, inside a Redis hash tag so all of a subject's keys share a slot.
    fn tag(&self) -> String {
        match self {
            Self::User(id) => format!("{{u:{}}}", id.replace(['{', '}'], "")),
            Self::Client(ip) => format!("{{ip:{ip}}}"),
            Self::Account(digest) => format!("{{a:{}}}", digest.replace(['{', '}'], "")),
        }
    }
}

/// Which store answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// The shared Redis script.
    Redis,
    /// This replica's memory.
    Memory,
}

impl Storage {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Redis => "redis",
            Self::Memory => "memory",
        }
    }
}

/// The limiter's answer for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No quota applies (limiting disabled, exempt route, or Redis down in `open` mode).
    Unlimited,
    /// A store decided; `outcome.allowed` says which way.
    Decided {
        /// The quota state to report in headers.
        outcome: Outcome,
        /// Which store decided.
        storage: Storage,
    },
    /// Redis is down and the mode is `closed`: answer 503.
    Unavailable,
}

/// The rate limiter shared by every request of a replica.
pub struct Limiter {
    settings: LimitSettings,
    rules: Rules,
    trusted: Vec<Cidr>,
    /// `None` when no `REDIS_URL` is configured: memory is then the intended store.
    redis: Option<Arc<RedisLink>>,
    memory: MemoryStore,
    sha: String,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("settings", &self.settings)
            .field("rules", &self.rules)
            .field("storage", &self.storage_status().0)
            .finish_non_exhaustive()
    }
}

impl Limiter {
    /// Validates the settings; `redis` is the shared link when `REDIS_URL` is set.
    pub fn new(
        settings: LimitSettings,
        redis: Option<Arc<RedisLink>>,
    ) -> Result<Self, LimitConfigError> {
        let rules = Rules::new(&settings.overrides, settings.multiplier)?;
        let trusted = parse_trusted(&settings.trusted_proxies.join(","))?;
        Ok(Self {
            settings,
            rules,
            trusted,
            redis,
            memory: MemoryStore::default(),
            sha: store::script_sha(),
        })
    }

    /// The effective quotas.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The trusted proxy blocks, for resolving client addresses.
    pub fn trusted_proxies(&self) -> &[Cidr] {
        &self.trusted
    }

    /// Decides whether `subject` may make this request now, recording the decision metric.
    pub async fn check(&self, subject: &Subject, method: &Method, route: &str) -> Decision {
        if !self.settings.enabled || rules::is_exempt(method, route) {
            return Decision::Unlimited;
        }
        let (policy, per_route) = self.rules.for_route(method, route);
        let (keys, cells) = self.keys(subject, policy, per_route.then_some((method, route)));
        let decision = self.decide(&keys, &cells).await;
        record(policy.name, &decision);
        decision
    }

    /// Decides a password sign-in against the account `email` names, under the login policy:
    /// the per-address limit alone lets an attacker with many addresses guess one account's
    /// password.
    pub async fn check_login_account(&self, email: &str) -> Decision {
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(email.as_bytes()));
        let subject = Subject::Account(digest);
        self.check(&subject, &Method::POST, "/api/auth/login").await
    }

    fn keys(
        &self,
        subject: &Subject,
        policy: &Policy,
        route: Option<(&Method, &str)>,
    ) -> (Vec<String>, Vec<Cell>) {
        let scope = route.map_or(String::new(), |(m, r)| format!(":{m} {r}"));
        let base = format!(
            "{}{}:{}{scope}",
            self.settings.key_prefix,
            subject.tag(),
            policy.name
        );
        policy
            .quotas
            .iter()
            .map(|q| {
                let period_us = u64::try_from(q.period.as_micros()).unwrap_or(u64::MAX);
                (
                    format!("{base}:{}", q.label()),
                    Cell::new(q.limit, period_us),
                )
            })
            .unzip()
    }

    async fn decide(&self, keys: &[String], cells: &[Cell]) -> Decision {
        let Some(link) = &self.redis else {
            return self.in_memory(keys, cells);
        };
        if let Some(mut conn) = link.connection() {
            let call = store::check_redis(&mut conn, &self.sha, keys, cells);
            let result = match tokio::time::timeout(link.timeouts().response, call).await {
                Ok(r) => r,
                Err(_) => Err(crate::redis_link::timeout_error()),
            };
            match result {
                Ok(outcome) => {
                    return Decision::Decided {
                        outcome,
                        storage: Storage::Redis,
                    };
                }
                Err(e) => {
                    tracing::warn!(error = %e, "rate-limit script failed, using the fallback");
                    link.report_failure(&e);
                }
            }
        }
        match self.settings.failure_mode {
            FailureMode::Memory => self.in_memory(keys, cells),
            FailureMode::Open => Decision::Unlimited,
            FailureMode::Closed => Decision::Unavailable,
        }
    }

    fn in_memory(&self, keys: &[String], cells: &[Cell]) -> Decision {
        Decision::Decided {
            outcome: self.memory.check(keys, cells),
            storage: Storage::Memory,
        }
    }

    /// The store in use now, for the health report: `redis`, `memory`, `memory (redis
    /// unavailable)`, `none (redis unavailable, failing open|closed)` or `disabled`; and whether
    /// that is degraded.
    pub fn storage_status(&self) -> (String, bool) {
        if !self.settings.enabled {
            return ("disabled".into(), false);
        }
        match &self.redis {
            None => ("memory".into(), false),
            Some(link) if link.is_up() => ("redis".into(), false),
            Some(_) => {
                let text = match self.settings.failure_mode {
                    FailureMode::Memory => "memory (redis unavailable)",
                    FailureMode::Open => "none (redis unavailable, failing open)",
                    FailureMode::Closed => "none (redis unavailable, failing closed)",
                };
                (text.into(), true)
            }
        }
    }
}

fn record(policy: &'static str, decision: &Decision) {
    let (outcome, storage) = match decision {
        Decision::Unlimited => ("unlimited", "none"),
        Decision::Unavailable => ("unavailable", "none"),
        Decision::Decided { outcome, storage } => (
            if outcome.allowed {
                "allowed"
            } else {
                "limited"
            },
            storage.as_str(),
        ),
    };
    crate::metrics::record_rate_limit(policy, outcome, storage);
}

#[cfg(test)]
mod tests;
