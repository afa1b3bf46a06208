//! Typed configuration, read once at start-up from environment-style variables.
//!
//! [`Config::from_iter`] reads any `(name, value)` iterator, so tests build a configuration from a
//! map and never touch the process environment; `main` passes `std::env::vars()`. Every
//! environment (`APP_ENV`) has its own defaults. [`Config::from_iter`] also validates: in
//! staging and production it refuses a missing, placeholder or guessable JWT secret, and in
//! production other unsafe settings too, listing every problem at once and naming the variable,
//! never its value. Secrets are wrapped in [`Secret`], whose `Debug` and `Display` print
//! `[redacted]`, so logging the whole configuration is safe.
//!
//! The core's variables (each field of [`Config`] documents its own; "dev" means development and
//! testing, "deployed" staging and production):
//!
//! | variable | default |
//! |---|---|
//! | `APP_ENV` | `development` (`staging`, `production`, `testing`) |
//! | `HOST`, `PORT` | `127.0.0.1` dev, `0.0.0.0` deployed; `5001` |
//! | `DATABASE_URL` | `sqlite://./data/moodtracker.db` (required in production) |
//! | `DATABASE_MAX_CONNECTIONS` | `10` |
//! | `JWT_SECRET_KEY` (else `SECRET_KEY`) | a dev placeholder; staging and production: required, 32+ bytes, 128+ bits estimated |
//! | `JWT_EXPIRATION_MINUTES` (or `JWT_EXPIRATION_HOURS`), `REFRESH_TOKEN_DAYS` | `15`, `30` |
//! | `REFRESH_GRACE_SECS` | `10` |
//! | `FRONTEND_URL`, `CORS_ORIGINS` (comma list) | dev adds the localhost dev servers |
//! | `ENABLE_SECURITY_HEADERS` | `true` (HSTS in production only) |
//! | `WEB_ENABLED` | `true`: the web app at `/` (false: the API alone) |
//! | `INFERENCE_URL` | `http://127.0.0.1:50051` |
//! | `INFERENCE_CONNECT_TIMEOUT_MS`, `INFERENCE_TIMEOUT_MS` | `1000`, `10000` |
//! | `INFERENCE_RESOLVE_INTERVAL_SECS` | `5` |
//! | `REQUEST_TIMEOUT_SECS`, `CSV_TIMEOUT_SECS` | `30`, `300` |
//! | `BODY_LIMIT_BYTES` | `1048576` (the CSV route: 10 MiB) |
//! | `SHUTDOWN_GRACE_SECS`, `RESCORE_INTERVAL_SECS` | `20`, `5` |
//! | `LOG_LEVEL`, `LOG_FORMAT` | `debug` dev / `info`; `text` dev / `json` deployed |
//! | `REDIS_URL`, `REDIS_PASSWORD`, `REDIS_TIMEOUT_MS` | unset (required in production), `50` |
//! | `CACHE_TYPE`, `CACHE_DEFAULT_TIMEOUT` | `redis` with `REDIS_URL` else `memory`; `300` |
//! | `TRUSTED_PROXIES`, `RATELIMIT_*`, `METRICS_ADDR`, `OTEL_*`, `GOOGLE_*`, `GITHUB_*` | see the fields |

use std::{fmt, net::SocketAddr, time::Duration};

use serde::Deserialize;

/// Secrets that ship in tutorials, `.env.example` files and the original service; a production
/// JWT secret equal to one of these (case-insensitive) is refused however long it is.
const PLACEHOLDER_SECRETS: &[&str] = &[
    "dev-secret-key-change-in-production",
    "dev-jwt-secret-change-in-production",
    "your-secret-key",
    "your-secret-key-here",
    "your-jwt-secret-key",
    "your-jwt-secret-key-change-in-production",
    "jwt-secret-key",
    "change-me",
    "changeme",
    "change-this-in-production",
    "secret",
    "supersecret",
    "please-change-me",
    "moodtracker-dev-secret-not-for-production-use",
];

/// The signing secret development and testing use when none is configured. Being a known
/// placeholder, production refuses it.
const DEV_JWT_SECRET: &str = "moodtracker-dev-secret-not-for-production-use";

/// The shortest JWT secret staging and production accept: HS256's key should be at least its
/// 32-byte output.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// The least estimated entropy of a staging or production JWT secret ([`estimated_bits`]).
pub const MIN_JWT_SECRET_BITS: f64 = 128.0;

/// How to make a secret that passes, quoted by the refusal.
const MAKE_A_SECRET: &str = "make one with: openssl rand -base64 48";

/// The origins the original service allowed (the React dev servers), used outside production.
const DEV_CORS_ORIGINS: &[&str] = &[
    "http://localhost:3000",
    "http://localhost:5173",
    "http://127.0.0.1:3000",
    "http://127.0.0.1:5173",
    "http://localhost:5174",
];

/// A value that must never reach a log line or an error message.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    /// The secret itself; call only where it is used, never to log it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `APP_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Staging,
    Production,
    Testing,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Staging => "staging",
            Self::Production => "production",
            Self::Testing => "testing",
        }
    }
    fn is_deployed(self) -> bool {
        matches!(self, Self::Staging | Self::Production)
    }
}

/// `CACHE_TYPE`: where model results are cached. Flask-Caching's names are accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum CacheType {
    #[serde(alias = "redis", alias = "RedisCache")]
    Redis,
    #[serde(alias = "memory", alias = "simple", alias = "SimpleCache")]
    Memory,
    #[serde(alias = "none", alias = "null", alias = "NullCache")]
    None,
}

/// `RATELIMIT_FAIL_MODE`: what rate limiting does while Redis is unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Enforce the limits per replica in memory (the default).
    Memory,
    /// Let every request through.
    Open,
    /// Refuse every limited request with 503.
    Closed,
}

/// The variables as they arrive: everything optional, so defaults can depend on `APP_ENV`.
/// Field names are the variable names lower-cased (envy's convention).
#[derive(Debug, Default, Deserialize)]
struct Raw {
    app_env: Option<Environment>,
    host: Option<String>,
    port: Option<u16>,
    database_url: Option<String>,
    database_max_connections: Option<u32>,
    redis_url: Option<String>,
    redis_password: Option<String>,
    redis_timeout_ms: Option<u64>,
    cache_type: Option<CacheType>,
    cache_default_timeout: Option<u64>,
    jwt_secret_key: Option<String>,
    secret_key: Option<String>,
    jwt_expiration_minutes: Option<u64>,
    jwt_expiration_hours: Option<u64>,
    refresh_token_days: Option<u64>,
    refresh_grace_secs: Option<u64>,
    log_level: Option<String>,
    log_format: Option<String>,
    enable_security_headers: Option<bool>,
    web_enabled: Option<bool>,
    frontend_url: Option<String>,
    cors_origins: Option<String>,
    inference_url: Option<String>,
    inference_connect_timeout_ms: Option<u64>,
    inference_timeout_ms: Option<u64>,
    inference_resolve_interval_secs: Option<u64>,
    trusted_proxies: Option<String>,
    request_timeout_secs: Option<u64>,
    csv_timeout_secs: Option<u64>,
    body_limit_bytes: Option<usize>,
    shutdown_grace_secs: Option<u64>,
    rescore_interval_secs: Option<u64>,
    ratelimit_enabled: Option<bool>,
    ratelimit_fail_mode: Option<FailMode>,
    ratelimit_multiplier: Option<f64>,
    ratelimit_overrides: Option<String>,
    ratelimit_key_prefix: Option<String>,
    metrics_addr: Option<SocketAddr>,
    otel_exporter_otlp_endpoint: Option<String>,
    otel_service_name: Option<String>,
    /// The `GOOGLE_*` and `GITHUB_*` sign-in variables (see `oauth::OAuthConfig`).
    #[serde(flatten)]
    oauth: crate::oauth::OAuthConfig,
}

/// The gateway's effective configuration. `Debug` is safe to log: secrets print `[redacted]`.
#[derive(Debug, Clone)]
pub struct Config {
    /// `APP_ENV` (default development).
    pub environment: Environment,
    /// `HOST` (default 127.0.0.1; 0.0.0.0 in staging and production, where a pod must answer
    /// on its own address) and `PORT` (default 5001, the port the frontend hard-codes).
    pub listen: SocketAddr,
    /// `DATABASE_URL`: `postgres://…` for PostgreSQL, else SQLite (default
    /// `sqlite://./data/moodtracker.db`; production requires it to be set).
    pub database_url: Secret<String>,
    /// `DATABASE_MAX_CONNECTIONS` (default 10).
    pub database_max_connections: u32,
    /// `REDIS_URL` (no default: without it rate limits and the cache stay in memory).
    pub redis_url: Option<Secret<String>>,
    /// `REDIS_PASSWORD`, for a `REDIS_URL` without credentials.
    pub redis_password: Option<Secret<String>>,
    /// `REDIS_TIMEOUT_MS` (default 50): one Redis round trip; short so a dead Redis costs no
    /// latency.
    pub redis_timeout: Duration,
    /// `CACHE_TYPE` (default `redis` when `REDIS_URL` is set, else `memory`).
    pub cache_type: CacheType,
    /// `CACHE_DEFAULT_TIMEOUT` seconds (default 300).
    pub cache_default_timeout: Duration,
    /// `JWT_SECRET_KEY`, else `SECRET_KEY`; in development and testing a development default.
    pub jwt_secret: Secret<String>,
    /// `SECRET_KEY`, kept for parity with the original; the JWT secret falls back to it.
    pub secret_key: Option<Secret<String>>,
    /// `JWT_EXPIRATION_MINUTES` (default 15), else `JWT_EXPIRATION_HOURS`: the access token's
    /// lifetime. Short, as the refresh token renews it; signing out ends it sooner still.
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_DAYS` (default 30): a refresh token family's lifetime.
    pub refresh_token_ttl: Duration,
    /// `REFRESH_GRACE_SECS` (default 10): how long after a refresh token is spent a repeat of
    /// it (a second tab refreshing at the same moment) gets the same new refresh token instead
    /// of revoking the family as a reuse.
    pub refresh_grace: Duration,
    /// `LOG_LEVEL` (default `debug` in development, else `info`): a tracing `EnvFilter`.
    pub log_level: String,
    /// `LOG_FORMAT` `json` or `text` (default `text` in development and testing, else `json`).
    pub log_format: String,
    /// `ENABLE_SECURITY_HEADERS` (default true); HSTS is added in production only.
    pub security_headers: bool,
    /// `WEB_ENABLED` (default true): serve the web app (`/`, its pages and `/static/…`) beside
    /// the API. False leaves the API alone, unchanged.
    pub web_enabled: bool,
    /// `FRONTEND_URL` and the comma-separated `CORS_ORIGINS`; outside production the original's
    /// localhost dev-server origins are added. `*` anywhere opens CORS to any origin, which
    /// production refuses.
    pub cors_origins: Vec<String>,
    /// `INFERENCE_URL` (default `http://127.0.0.1:50051`).
    pub inference_url: String,
    /// `INFERENCE_CONNECT_TIMEOUT_MS` (default 1000).
    pub inference_connect_timeout: Duration,
    /// `INFERENCE_TIMEOUT_MS` (default 10000): one gRPC call, end to end.
    pub inference_timeout: Duration,
    /// `INFERENCE_RESOLVE_INTERVAL_SECS` (default 5, at least 1): how often the inference URL's
    /// host is resolved again, so calls spread over every replica a headless Service lists.
    pub inference_resolve_interval: Duration,
    /// `TRUSTED_PROXIES`: comma-separated addresses or CIDR blocks whose `X-Forwarded-For` is
    /// believed (default none: the peer address is the client).
    pub trusted_proxies: Vec<String>,
    /// `REQUEST_TIMEOUT_SECS` (default 30): a request running longer gets 408.
    pub request_timeout: Duration,
    /// `CSV_TIMEOUT_SECS` (default 300, the frontend's own upload timeout): for `/api/analyze/csv`.
    pub csv_timeout: Duration,
    /// `BODY_LIMIT_BYTES` (default 1 MiB): larger bodies get 413. The CSV route allows 10 MiB.
    pub body_limit_bytes: usize,
    /// `SHUTDOWN_GRACE_SECS` (default 20): how long in-flight requests may finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// `RESCORE_INTERVAL_SECS` (default 5): how often pending journal entries are retried.
    pub rescore_interval: Duration,
    /// `RATELIMIT_ENABLED` (default true; false in testing).
    pub ratelimit_enabled: bool,
    /// `RATELIMIT_FAIL_MODE` `memory`, `open` or `closed` (default memory).
    pub ratelimit_fail_mode: FailMode,
    /// `RATELIMIT_MULTIPLIER` (default 1): every limit is multiplied by it, for load tests.
    pub ratelimit_multiplier: f64,
    /// `RATELIMIT_OVERRIDES`: replaces policies, such as
    /// `login=100/minute;default=1000/hour,10000/day` (see `limit::Rules`).
    pub ratelimit_overrides: String,
    /// `RATELIMIT_KEY_PREFIX` (default `mt:rl:`): the prefix of every rate-limit key in Redis.
    pub ratelimit_key_prefix: String,
    /// `METRICS_ADDR` (default 127.0.0.1:9091; 0.0.0.0:9091 in staging and production: 9090 is the
    /// inference service's, and both run on one machine in development).
    pub metrics_addr: SocketAddr,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: traces are exported only when set.
    pub otel_endpoint: Option<String>,
    /// `OTEL_SERVICE_NAME` (default `moodtracker-gateway`).
    pub otel_service_name: String,
    /// Sign-in with Google and GitHub; its `Debug` redacts the GitHub client secret.
    pub oauth: crate::oauth::OAuthConfig,
}

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable is malformed (envy's message names it).
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// Unsafe settings for a deployed environment, every one of them, each naming its variable.
    #[error("refusing to start in {env}:\n  - {}", .problems.join("\n  - "))]
    Unsafe {
        /// `staging` or `production`.
        env: &'static str,
        problems: Vec<String>,
    },
}

impl Config {
    /// Reads and validates the configuration from `(NAME, value)` pairs.
    #[allow(clippy::should_implement_trait)] // fallible, so not `FromIterator`
    pub fn from_iter<I>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        // Empty values count as unset, as in a Helm chart that renders `VALUE: ""`.
        let vars = vars.into_iter().filter(|(_, v)| !v.trim().is_empty());
        let raw: Raw = envy::from_iter(vars).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let config = Self::with_defaults(raw)?;
        config.refuse_unsafe_deployment()?;
        Ok(config)
    }

    fn with_defaults(raw: Raw) -> Result<Self, ConfigError> {
        let env = raw.app_env.unwrap_or(Environment::Development);
        let host = raw.host.unwrap_or_else(|| default_host(env).to_owned());
        let listen = parse_addr(&host, raw.port.unwrap_or(5001))?;
        let jwt_secret = raw
            .jwt_secret_key
            .clone()
            .or_else(|| raw.secret_key.clone());
        let jwt_secret = match (jwt_secret, env) {
            (Some(secret), _) => secret,
            // A deployed environment must have its own secret: the check reports the empty
            // value by its variable name, rather than sign with the public development key.
            (None, Environment::Staging | Environment::Production) => String::new(),
            (None, _) => DEV_JWT_SECRET.to_owned(),
        };
        Ok(Self {
            environment: env,
            listen,
            database_url: Secret(raw.database_url.unwrap_or_default()),
            database_max_connections: raw.database_max_connections.unwrap_or(10),
            cache_type: raw.cache_type.unwrap_or(match raw.redis_url {
                Some(_) => CacheType::Redis,
                None => CacheType::Memory,
            }),
            redis_url: raw.redis_url.map(Secret),
            redis_password: raw.redis_password.map(Secret),
            redis_timeout: Duration::from_millis(raw.redis_timeout_ms.unwrap_or(50)),
            cache_default_timeout: Duration::from_secs(raw.cache_default_timeout.unwrap_or(300)),
            jwt_secret: Secret(jwt_secret),
            secret_key: raw.secret_key.map(Secret),
            access_token_ttl: access_token_ttl(
                raw.jwt_expiration_minutes,
                raw.jwt_expiration_hours,
            ),
            refresh_token_ttl: hours(24 * raw.refresh_token_days.unwrap_or(30)),
            refresh_grace: Duration::from_secs(raw.refresh_grace_secs.unwrap_or(10)),
            log_level: raw
                .log_level
                .unwrap_or_else(|| default_log_level(env).to_owned()),
            log_format: raw
                .log_format
                .unwrap_or_else(|| default_log_format(env).to_owned()),
            security_headers: raw.enable_security_headers.unwrap_or(true),
            web_enabled: raw.web_enabled.unwrap_or(true),
            cors_origins: cors_origins(env, raw.frontend_url, raw.cors_origins),
            inference_url: raw
                .inference_url
                .unwrap_or_else(|| "http://127.0.0.1:50051".to_owned()),
            inference_connect_timeout: millis(raw.inference_connect_timeout_ms, 1000),
            inference_timeout: millis(raw.inference_timeout_ms, 10_000),
            inference_resolve_interval: Duration::from_secs(
                raw.inference_resolve_interval_secs.unwrap_or(5).max(1),
            ),
            trusted_proxies: split_list(raw.trusted_proxies.as_deref()),
            request_timeout: Duration::from_secs(raw.request_timeout_secs.unwrap_or(30)),
            csv_timeout: Duration::from_secs(raw.csv_timeout_secs.unwrap_or(300)),
            body_limit_bytes: raw.body_limit_bytes.unwrap_or(1024 * 1024),
            shutdown_grace: Duration::from_secs(raw.shutdown_grace_secs.unwrap_or(20)),
            rescore_interval: Duration::from_secs(raw.rescore_interval_secs.unwrap_or(5).max(1)),
            ratelimit_enabled: raw.ratelimit_enabled.unwrap_or(env != Environment::Testing),
            ratelimit_fail_mode: raw.ratelimit_fail_mode.unwrap_or(FailMode::Memory),
            ratelimit_multiplier: raw.ratelimit_multiplier.unwrap_or(1.0),
            ratelimit_overrides: raw.ratelimit_overrides.unwrap_or_default(),
            ratelimit_key_prefix: raw
                .ratelimit_key_prefix
                .unwrap_or_else(|| "mt:rl:".to_owned()),
            metrics_addr: raw
                .metrics_addr
                .unwrap_or_else(|| parse_addr(default_host(env), 9091).expect("literal address")),
            otel_endpoint: raw.otel_exporter_otlp_endpoint,
            otel_service_name: raw
                .otel_service_name
                .unwrap_or_else(|| "moodtracker-gateway".to_owned()),
            oauth: raw.oauth,
        })
    }

    /// The start-up checks of staging (its own strong secret) and production (that and the
    /// rest): every problem, each naming its variable, none its value.
    fn refuse_unsafe_deployment(&self) -> Result<(), ConfigError> {
        if !self.environment.is_deployed() {
            return Ok(());
        }
        let mut problems = secret_problems(self.jwt_secret.expose());
        if self.environment == Environment::Production {
            problems.extend(self.production_problems());
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(ConfigError::Unsafe {
                env: self.environment.as_str(),
                problems,
            }),
        }
    }

    /// What production needs besides a secret: its database, Redis, and no open CORS.
    fn production_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.database_url.expose().is_empty() {
            problems.push("DATABASE_URL is not set".to_owned());
        }
        if self.redis_url.is_none() {
            problems.push("REDIS_URL is not set".to_owned());
        }
        if self.cors_origins.iter().any(|o| o == "*") {
            problems.push("CORS_ORIGINS or FRONTEND_URL allows any origin (\"*\")".to_owned());
        }
        problems
    }

    /// The database URL to connect to: the configured one, else the development SQLite file.
    pub fn database_url_or_default(&self) -> &str {
        match self.database_url.expose().as_str() {
            "" => "sqlite://./data/moodtracker.db",
            url => url,
        }
    }

    /// Whether CORS answers any origin (development with `*` configured).
    pub fn cors_allows_any_origin(&self) -> bool {
        self.cors_origins.iter().any(|o| o == "*")
    }
}

/// `url` with any password replaced by `[redacted]`, for logs and the health report.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
    format!("{scheme}://{user}:[redacted]@{host}")
}

/// Why `secret` cannot sign a deployed environment's tokens: unset, short, a published
/// placeholder, or guessable. Each names the variable and says how to make a good one.
fn secret_problems(secret: &str) -> Vec<String> {
    if secret.is_empty() {
        return vec![format!(
            "JWT_SECRET_KEY is not set (nor SECRET_KEY): every environment but development \
             and testing needs its own; {MAKE_A_SECRET}"
        )];
    }
    let mut problems = Vec::new();
    if secret.len() < MIN_JWT_SECRET_BYTES {
        problems.push(format!(
            "JWT_SECRET_KEY is shorter than {MIN_JWT_SECRET_BYTES} bytes; {MAKE_A_SECRET}"
        ));
    }
    if is_placeholder(secret) {
        problems.push(format!(
            "JWT_SECRET_KEY is a well-known placeholder value; {MAKE_A_SECRET}"
        ));
    } else if estimated_bits(secret) < MIN_JWT_SECRET_BITS {
        problems.push(format!(
            "JWT_SECRET_KEY is too predictable (under {MIN_JWT_SECRET_BITS} bits of entropy as \
             estimated from its distinct characters and repetition); {MAKE_A_SECRET}"
        ));
    }
    problems
}

/// A deliberately rough, pessimistic estimate of the entropy of `secret`, in bits: the length
/// of its shortest repeating unit with runs of one character counted once, times log2 of the
/// number of distinct characters. `aaaa…` is 0 bits, `passwordpassword…` about 22; 48 random
/// base64 bytes score over 300. It catches typed and patterned secrets, not every weak one.
pub fn estimated_bits(secret: &str) -> f64 {
    let chars: Vec<char> = secret.chars().collect();
    let unit = &chars[..smallest_period(&chars)];
    let runs = unit.iter().enumerate();
    let runs = runs.filter(|(i, c)| *i == 0 || unit[i - 1] != **c).count();
    let distinct = unit.iter().collect::<std::collections::HashSet<_>>().len();
    runs as f64 * (distinct.max(1) as f64).log2()
}

/// The length of the shortest prefix that `chars` repeats (the last repetition may be cut
/// short): 1 for `aaaa`, 8 for `changemechangeme`, the whole length for a random string.
fn smallest_period(chars: &[char]) -> usize {
    (1..chars.len())
        .find(|&p| (p..chars.len()).all(|i| chars[i] == chars[i - p]))
        .unwrap_or(chars.len())
}

fn is_placeholder(secret: &str) -> bool {
    let lower = secret.trim().to_lowercase();
    PLACEHOLDER_SECRETS.iter().any(|p| *p == lower)
}

fn default_host(env: Environment) -> &'static str {
    if env.is_deployed() {
        "0.0.0.0"
    } else {
        "127.0.0.1"
    }
}

fn default_log_level(env: Environment) -> &'static str {
    if env == Environment::Development {
        "debug"
    } else {
        "info"
    }
}

fn default_log_format(env: Environment) -> &'static str {
    if env.is_deployed() { "json" } else { "text" }
}

fn cors_origins(env: Environment, frontend: Option<String>, extra: Option<String>) -> Vec<String> {
    let mut origins: Vec<String> = match env {
        Environment::Production => Vec::new(),
        _ => DEV_CORS_ORIGINS.iter().map(|o| (*o).to_owned()).collect(),
    };
    let configured = frontend.into_iter().chain(split_list(extra.as_deref()));
    for origin in configured {
        let origin = origin.trim_end_matches('/').to_owned();
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    origins
}

fn split_list(list: Option<&str>) -> Vec<String> {
    list.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_addr(host: &str, port: u16) -> Result<SocketAddr, ConfigError> {
    let ip: std::net::IpAddr = host
        .parse()
        .map_err(|_| ConfigError::Invalid("HOST must be an IP address".to_owned()))?;
    Ok(SocketAddr::new(ip, port))
}

/// `JWT_EXPIRATION_MINUTES`, else `JWT_EXPIRATION_HOURS` (kept for existing deployments), else
/// 15 minutes.
fn access_token_ttl(minutes: Option<u64>, hours_: Option<u64>) -> Duration {
    match (minutes, hours_) {
        (Some(m), _) => Duration::from_secs(m * 60),
        (None, Some(h)) => hours(h),
        (None, None) => Duration::from_secs(15 * 60),
    }
}

fn hours(h: u64) -> Duration {
    Duration::from_secs(h * 3600)
}

fn millis(value: Option<u64>, default: u64) -> Duration {
    Duration::from_millis(value.unwrap_or(default))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_iter(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    #[test]
    fn development_needs_no_variables() {
        let c = config(&[]).unwrap();
        assert_eq!(c.listen.port(), 5001);
        assert_eq!(c.inference_url, "http://127.0.0.1:50051");
        assert!(c.cors_origins.contains(&"http://localhost:5173".to_owned()));
    }

    #[test]
    fn production_lists_every_problem_by_name_never_by_value() {
        let err = config(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET_KEY", "short-hunter2"),
            ("FRONTEND_URL", "*"),
        ])
        .unwrap_err()
        .to_string();
        for name in [
            "JWT_SECRET_KEY",
            "DATABASE_URL",
            "REDIS_URL",
            "CORS_ORIGINS",
        ] {
            assert!(err.contains(name), "{name} missing from: {err}");
        }
        assert!(!err.contains("hunter2"));
    }

    #[test]
    fn production_refuses_a_long_placeholder_secret() {
        let err = config(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET_KEY", DEV_JWT_SECRET),
            ("DATABASE_URL", "postgres://db/x"),
            ("REDIS_URL", "redis://r"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("placeholder"));
    }

    #[test]
    fn deployed_environments_refuse_secrets_with_little_entropy_and_say_how_to_make_one() {
        for env in ["production", "staging"] {
            for weak in [
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "passwordpasswordpasswordpassword",
                "changemechangemechangemechangeme",
            ] {
                let err = config(&[
                    ("APP_ENV", env),
                    ("JWT_SECRET_KEY", weak),
                    ("DATABASE_URL", "postgres://db/x"),
                    ("REDIS_URL", "redis://r"),
                ])
                .unwrap_err()
                .to_string();
                assert!(err.contains("too predictable"), "{env} {weak}: {err}");
                assert!(err.contains("openssl rand"), "{err}");
                assert!(!err.contains(weak), "the value leaked: {err}");
            }
        }
    }

    #[test]
    fn generated_secrets_pass_the_entropy_estimate() {
        // `openssl rand -base64 48`, `-hex 32`, and the chart's `randAlphaNum 48`.
        for strong in [
            "q3vJ8kR0s+Yb1T2mN7wP9xZ4cL6dF5gH0jK8lQ2rS4tU6vW8yA1bC3eD5fG7hI9j",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "Zk3mQ8rT1vX6yB2nC7dF4gH9jK0lP5sW3eR8tY1uI6oA2sD7",
        ] {
            assert!(estimated_bits(strong) >= MIN_JWT_SECRET_BITS, "{strong}");
        }
        assert_eq!(estimated_bits("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0.0);
        assert!(estimated_bits(&format!("probe-{}", "k".repeat(43))) < 30.0);
    }

    #[test]
    fn staging_refuses_to_start_without_its_own_secret() {
        let err = config(&[("APP_ENV", "staging")]).unwrap_err().to_string();
        assert!(err.contains("refusing to start in staging"), "{err}");
        assert!(err.contains("JWT_SECRET_KEY is not set"), "{err}");
        let placeholder = config(&[("APP_ENV", "staging"), ("JWT_SECRET_KEY", DEV_JWT_SECRET)]);
        assert!(placeholder.unwrap_err().to_string().contains("placeholder"));
        // Staging needs no PostgreSQL or Redis: only production does.
        let ok = config(&[
            ("APP_ENV", "staging"),
            (
                "JWT_SECRET_KEY",
                "Zk3mQ8rT1vX6yB2nC7dF4gH9jK0lP5sW3eR8tY1uI6oA2sD7",
            ),
        ]);
        assert!(ok.is_ok(), "{:?}", ok.err());
        assert!(config(&[("APP_ENV", "testing")]).is_ok());
    }

    #[test]
    fn access_tokens_live_15_minutes_unless_configured() {
        assert_eq!(
            config(&[]).unwrap().access_token_ttl,
            Duration::from_secs(900)
        );
        let hours = config(&[("JWT_EXPIRATION_HOURS", "2")]).unwrap();
        assert_eq!(hours.access_token_ttl, Duration::from_secs(7200));
        let minutes = config(&[
            ("JWT_EXPIRATION_MINUTES", "5"),
            ("JWT_EXPIRATION_HOURS", "2"),
        ]);
        assert_eq!(minutes.unwrap().access_token_ttl, Duration::from_secs(300));
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let c = config(&[
            ("JWT_SECRET_KEY", "hunter2-hunter2"),
            ("REDIS_URL", "redis://:pw@r"),
        ])
        .unwrap();
        let printed = format!("{c:?}");
        assert!(!printed.contains("hunter2") && !printed.contains(":pw@"));
    }

    #[test]
    fn parses_typed_values_and_treats_empty_ones_as_unset() {
        let c = config(&[
            ("PORT", "8080"),
            ("ENABLE_SECURITY_HEADERS", "false"),
            ("RATELIMIT_FAIL_MODE", "open"),
            ("CACHE_TYPE", "SimpleCache"),
            ("INFERENCE_TIMEOUT_MS", "250"),
            ("DATABASE_URL", ""),
        ])
        .unwrap();
        assert_eq!(c.listen.port(), 8080);
        assert!(!c.security_headers);
        assert_eq!(c.ratelimit_fail_mode, FailMode::Open);
        assert_eq!(c.cache_type, CacheType::Memory);
        assert_eq!(c.inference_timeout, Duration::from_millis(250));
        assert_eq!(
            c.database_url_or_default(),
            "sqlite://./data/moodtracker.db"
        );
        assert!(
            config(&[("PORT", "not-a-port")])
                .unwrap_err()
                .to_string()
                .contains("port")
        );
    }

    #[test]
    fn redacts_the_password_of_a_url() {
        assert_eq!(
            redact_url("redis://:pw@h:6379/0"),
            "redis://:[redacted]@h:6379/0"
        );
        assert_eq!(
            redact_url("postgres://u:p@h/db"),
            "postgres://u:[redacted]@h/db"
        );
        assert_eq!(redact_url("redis://h:6379"), "redis://h:6379");
    }
}
