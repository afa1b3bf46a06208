//! Rate limits through real gateways: exact across two replicas sharing Redis, and a Redis that
//! dies mid-test and comes back.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, eventually, free_port, skip, spawn_app_with};

const LOCAL_REDIS: &str = "redis://127.0.0.1:6379";

/// A `redis-server` of the test's own, on a port of its own, killed on drop.
pub struct OwnRedis {
    pub port: u16,
    child: Option<tokio::process::Child>,
}

impl OwnRedis {
    /// Starts one, or `None` after a loud skip when `redis-server` is not installed.
    pub async fn start() -> Option<Self> {
        let mut redis = Self {
            port: free_port(),
            child: None,
        };
        if !redis.launch().await {
            skip("redis-server is not installed (apt-get install redis-server)");
            return None;
        }
        Some(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (an outage).
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("kill redis-server");
        }
    }

    /// Starts it again on the same port, with empty state.
    pub async fn restart(&mut self) {
        self.kill().await;
        assert!(
            self.launch().await,
            "redis-server did not restart on port {}",
            self.port
        );
    }

    async fn launch(&mut self) -> bool {
        let port = self.port.to_string();
        let child = tokio::process::Command::new("redis-server")
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let Ok(child) = child else { return false };
        self.child = Some(child);
        let addr = format!("127.0.0.1:{}", self.port);
        eventually(Duration::from_secs(10), || async {
            tokio::net::TcpStream::connect(&addr).await.is_ok()
        })
        .await
    }
}

/// Whether the shared Redis answers; a loud skip (or a CI failure) when it does not.
pub async fn local_redis_up() -> bool {
    let up = tokio::net::TcpStream::connect("127.0.0.1:6379")
        .await
        .is_ok();
    if !up {
        skip("Redis is not reachable on 127.0.0.1:6379");
    }
    up
}

/// A unique key prefix, so runs sharing the local Redis never see each other's counters.
pub fn unique_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("test:{}:{nanos}:", std::process::id())
}

pub async fn health(app: &TestApp) -> Value {
    app.get("/api/health", None)
        .await
        .json()
        .await
        .expect("health JSON")
}

/// Waits until the gateway's health report shows `storage` as the rate-limit store.
pub async fn wait_for_storage(app: &TestApp, storage: &str) -> bool {
    eventually(Duration::from_secs(10), || async {
        health(app).await["services"]["rate_limit"]["storage"] == storage
    })
    .await
}

/// A SQLite gateway whose rate limits live in `redis`, with sign-in limited to `login` (for
/// example `10/minute`), once its health report shows Redis as the limits' store.
pub async fn spawn_limited_on(redis: &OwnRedis, login: &str) -> TestApp {
    let url = redis.url();
    let login = format!("login={login}");
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("REDIS_URL", url.as_str()),
            ("RATELIMIT_ENABLED", "true"),
            ("RATELIMIT_OVERRIDES", login.as_str()),
            // A killed Redis refuses at once; the long timeout only keeps a slow reply on a
            // loaded test machine from switching to memory while Redis is up.
            ("REDIS_TIMEOUT_MS", "1000"),
        ],
    )
    .await
    .expect("SQLite needs no service");
    assert!(wait_for_storage(&app, "redis").await);
    app
}

async fn failed_login(app: &TestApp) -> reqwest::Response {
    app.login("nobody@example.com", "wrong password").await
}

/// A real `moodtracker-gateway` process (the binary a replica runs), killed on drop.
struct GatewayProcess {
    address: String,
    client: reqwest::Client,
    _child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl GatewayProcess {
    /// Starts the binary with only `vars` plus a port, its own SQLite file and a test secret,
    /// and waits until it is ready.
    async fn start(vars: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_moodtracker-gateway"))
            .env_clear()
            .env("APP_ENV", "testing")
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("METRICS_ADDR", format!("127.0.0.1:{}", free_port()))
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("gateway.db").display()),
            )
            .env(
                "JWT_SECRET_KEY",
                "a-test-secret-that-is-long-enough-for-hs256",
            )
            // Nothing listens there: logins need no model.
            .env("INFERENCE_URL", format!("http://127.0.0.1:{}", free_port()))
            .env("LOG_LEVEL", "warn")
            .envs(vars.iter().copied())
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the gateway binary");
        let gateway = Self {
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            _child: child,
            _dir: dir,
        };
        let ready = eventually(Duration::from_secs(30), || async {
            let health = gateway.health().await;
            health["services"]["rate_limit"]["storage"] == "redis"
        })
        .await;
        assert!(ready, "gateway {} never reached Redis", gateway.address);
        gateway
    }

    async fn health(&self) -> Value {
        match self
            .client
            .get(format!("{}/api/health", self.address))
            .send()
            .await
        {
            Ok(response) => response.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        }
    }

    async fn failed_login(&self) -> StatusCode {
        let body =
            serde_json::json!({ "email": "nobody@example.com", "password": "wrong password" });
        let url = format!("{}/api/auth/login", self.address);
        self.client
            .post(url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_limit_of_n_admits_exactly_n_concurrent_requests_across_two_gateway_processes() {
    if !local_redis_up().await {
        return;
    }
    let prefix = unique_prefix();
    let vars = [
        ("REDIS_URL", LOCAL_REDIS),
        ("RATELIMIT_ENABLED", "true"),
        ("RATELIMIT_OVERRIDES", "login=7/minute"),
        ("RATELIMIT_KEY_PREFIX", prefix.as_str()),
        // Exactness holds while Redis answers; on a loaded test machine a 50 ms reply can be
        // late, which (correctly) switches a replica to its memory fallback.
        ("REDIS_TIMEOUT_MS", "2000"),
    ];
    let (a, b) = tokio::join!(GatewayProcess::start(&vars), GatewayProcess::start(&vars));

    let requests = (0..40).map(|i| (if i % 2 == 0 { &a } else { &b }).failed_login());
    let statuses = futures::future::join_all(requests).await;
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(limited, 33, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS)
    );
}

#[tokio::test]
async fn a_limited_request_gets_the_json_envelope_and_rate_limit_headers() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("RATELIMIT_ENABLED", "true"),
            ("RATELIMIT_OVERRIDES", "login=2/minute"),
        ],
    )
    .await
    .unwrap();
    let first = failed_login(&app).await;
    assert_eq!(first.headers()["x-ratelimit-limit"], "2");
    assert_eq!(first.headers()["x-ratelimit-remaining"], "1");
    assert_eq!(first.headers()["x-ratelimit-reset"], "30");
    failed_login(&app).await;
    let refused = failed_login(&app).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["x-ratelimit-remaining"], "0");
    // 30 s per request, less the time the three requests took.
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((25..=30).contains(&retry), "retry after {retry}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["error"], body["message"]);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("Rate limit exceeded"),
        "{body}"
    );
}

#[tokio::test]
async fn probes_are_never_limited() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("RATELIMIT_ENABLED", "true"),
            ("RATELIMIT_OVERRIDES", "default=1/minute"),
        ],
    )
    .await
    .unwrap();
    for _ in 0..5 {
        assert_eq!(app.get("/livez", None).await.status(), StatusCode::OK);
        assert_eq!(app.get("/api/health", None).await.status(), StatusCode::OK);
    }
    let entries = [
        app.get("/api/journal/entries", None).await,
        app.get("/api/journal/entries", None).await,
    ];
    assert_eq!(entries[1].status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_outage_keeps_answering_limits_in_memory_and_recovers() {
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let app = spawn_limited_on(&redis, "3/minute").await;
    assert_eq!(
        health(&app).await["status"]
            .as_str()
            .map(|s| s != "unhealthy"),
        Some(true)
    );
    assert_eq!(failed_login(&app).await.status(), StatusCode::UNAUTHORIZED);

    redis.kill().await;
    // Every request is answered, quickly, and the limit still holds (3 per minute, in memory).
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let started = Instant::now();
        statuses.push(failed_login(&app).await.status());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(limited, 3, "{statuses:?}");
    let report = health(&app).await;
    assert_eq!(report["status"], "degraded", "{report}");
    assert_eq!(report["services"]["redis"]["status"], "down");
    assert_eq!(
        report["services"]["rate_limit"]["storage"],
        "memory (redis unavailable)"
    );

    redis.restart().await;
    assert!(
        wait_for_storage(&app, "redis").await,
        "the circuit never closed again"
    );
    assert_eq!(health(&app).await["services"]["redis"]["status"], "up");
    // The restarted Redis is empty, so Redis (not the exhausted memory store) admits again.
    let after = failed_login(&app).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(after.headers()["x-ratelimit-remaining"], "2");
}

#[tokio::test]
async fn a_valid_token_does_not_lift_the_per_address_limits_of_sign_in_routes() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("RATELIMIT_ENABLED", "true"),
            ("RATELIMIT_OVERRIDES", "register=3/hour;login=2/minute"),
        ],
    )
    .await
    .unwrap();
    let mut tokens = Vec::new();
    for i in 0..3 {
        tokens.push(app.register(&format!("r{i}@example.com")).await.token);
    }
    let body = serde_json::json!({ "firstName": "T", "lastName": "U",
        "email": "r3@example.com", "password": "correct horse battery" });
    let with_token = app
        .post("/api/auth/register", &body, Some(&tokens[2]))
        .await;
    assert_eq!(with_token.status(), StatusCode::TOO_MANY_REQUESTS);

    let guess = serde_json::json!({ "email": "r0@example.com", "password": "wrong password" });
    let mut statuses = Vec::new();
    for token in &tokens {
        let response = app.post("/api/auth/login", &guess, Some(token)).await;
        statuses.push(response.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

/// A failed sign-in against `email`, appearing to come from `ip` (the test peer is trusted).
async fn failed_login_from(app: &TestApp, email: &str, ip: &str) -> StatusCode {
    let body = serde_json::json!({ "email": email, "password": "wrong password" });
    app.client
        .post(app.url("/api/auth/login"))
        .header("X-Forwarded-For", ip)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn password_guesses_against_one_account_are_limited_whatever_address_they_come_from() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("RATELIMIT_ENABLED", "true"),
            ("RATELIMIT_OVERRIDES", "login=3/minute"),
            ("TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await
    .unwrap();
    app.register("victim@example.com").await;
    let mut statuses = Vec::new();
    for i in 1..=4 {
        let ip = format!("203.0.113.{i}");
        statuses.push(failed_login_from(&app, "Victim@Example.com ", &ip).await);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // Another account, from a fresh address, is not affected.
    let other = failed_login_from(&app, "someone@example.com", "203.0.113.9").await;
    assert_eq!(other, StatusCode::UNAUTHORIZED);
}
