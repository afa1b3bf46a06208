//! The test harness: a real gateway per test, on its own port with its own database, and the
//! real inference binary with the tiny fixture models.
//!
//! - [`spawn_app`] / [`spawn_app_with`]: a gateway on 127.0.0.1:0 with a fresh SQLite file or a
//!   fresh PostgreSQL database; `None` (after a loud message) when PostgreSQL is unreachable and
//!   `CI` is not `true`, a panic when it is. Configuration comes from a map, never `set_var`.
//! - [`spawn_inference`]: the `moodtracker-inference` binary on a free port; `stop` and
//!   `restart` (same port) simulate an outage.
//! - [`TestApp`] helpers: `get`, `post`, `patch`, `delete`, `register`, `login`.
//! - [`eventually`]: polls a condition with a deadline.

use std::{
    collections::HashMap,
    net::TcpListener as StdListener,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Mutex, OnceLock},
    time::Duration,
};

use moodtracker_gateway::{Config, inference::InferenceClient, run};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection};
use tokio::{net::TcpListener, process::Child, sync::oneshot};

/// Which database the gateway under test uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A secret of the right length that is no known placeholder.
pub const TEST_JWT_SECRET: &str = "test-secret-0123456789abcdef-0123456789abcdef";
pub const PASSWORD: &str = "correct horse battery";

/// A running gateway. Dropping it stops the server.
#[allow(dead_code)] // `backend` and `database_url` serve only some test modules
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub database_url: String,
    /// Dropped after `_stop`, so the database goes once the server is stopping.
    _database: Option<PgDatabase>,
    _dir: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

/// A PostgreSQL database created for one test, dropped with it so runs leave nothing behind.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot block on async work: use a thread
        // with its own small runtime. FORCE ends the gateway's pooled connections.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin_url).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                conn.execute(sql.as_str()).await.ok()
            })
        });
        drop(dropped.join());
    }
}

/// A registered user's credentials.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub email: String,
    pub token: String,
    pub refresh_token: String,
}

/// Whether a missing service is a failure (CI) or a loud skip (a developer's machine).
pub fn must_have_services() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Reports a skipped test, or fails it under CI.
pub fn skip(what: &str) {
    assert!(!must_have_services(), "CI=true and {what}");
    eprintln!("\n!!!!!!!! SKIPPED: {what} (set CI=true to make this a failure) !!!!!!!!\n");
}

/// A gateway with the test defaults, inference pointed at a closed port.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, &[]).await
}

/// A gateway whose configuration is the test defaults overridden by `vars`.
pub async fn spawn_app_with(backend: Backend, vars: &[(&str, &str)]) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, database) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}", dir.path().join("gateway.db").display()),
            None,
        ),
        Backend::Postgres => {
            let db = fresh_postgres_database().await?;
            (db.url(), Some(db))
        }
    };
    let mut env: HashMap<String, String> = [
        ("APP_ENV", "testing"),
        ("JWT_SECRET_KEY", TEST_JWT_SECRET),
        ("DATABASE_URL", database_url.as_str()),
        (
            "INFERENCE_URL",
            &format!("http://127.0.0.1:{}", free_port()),
        ),
        ("INFERENCE_TIMEOUT_MS", "5000"),
        ("INFERENCE_CONNECT_TIMEOUT_MS", "300"),
        ("RESCORE_INTERVAL_SECS", "1"),
        // Replaying a spent refresh token is a reuse at once; the grace has its own tests.
        ("REFRESH_GRACE_SECS", "0"),
        ("LOG_LEVEL", "warn"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    env.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let config = Config::from_iter(env).expect("test configuration");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        if let Err(e) = run(config, listener, async { drop(stopped.await) }).await {
            panic!("gateway failed: {e}");
        }
    });
    let app = TestApp {
        address,
        client: reqwest::Client::new(),
        backend,
        database_url,
        _database: database,
        _dir: dir,
        _stop: stop,
    };
    app.wait_ready().await;
    Some(app)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends `method path` with an optional JSON body and bearer token.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        self.send(Method::GET, path, None, token).await
    }
    /// GET and decode the JSON body, whatever the status (callers assert on the body).
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Value {
        self.get(path, token)
            .await
            .json()
            .await
            .expect("a JSON body")
    }
    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> reqwest::Response {
        self.send(Method::POST, path, Some(body), token).await
    }
    pub async fn patch(&self, path: &str, body: &Value, token: Option<&str>) -> reqwest::Response {
        self.send(Method::PATCH, path, Some(body), token).await
    }
    pub async fn delete(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        self.send(Method::DELETE, path, None, token).await
    }

    /// Registers `email` with [`PASSWORD`] and returns the session.
    pub async fn register(&self, email: &str) -> Session {
        let body = json!({ "firstName": "Test", "lastName": "User", "email": email, "password": PASSWORD });
        let response = self.post("/api/auth/register", &body, None).await;
        assert_eq!(response.status(), StatusCode::OK, "register {email}");
        session(response.json().await.unwrap())
    }

    /// Logs `email` in with `password`.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post(
            "/api/auth/login",
            &json!({ "email": email, "password": password }),
            None,
        )
        .await
    }

    /// Exchanges `refresh_token` for a new session at `/api/auth/refresh`.
    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        let body = json!({ "refresh_token": refresh_token });
        self.post("/api/auth/refresh", &body, None).await
    }

    async fn wait_ready(&self) {
        let ready = eventually(Duration::from_secs(20), || async {
            let r = self.client.get(self.url("/readyz")).send().await;
            r.is_ok_and(|r| r.status() == StatusCode::OK)
        })
        .await;
        assert!(ready, "gateway at {} never became ready", self.address);
    }
}

/// The session in a register or login response.
pub fn session(body: Value) -> Session {
    Session {
        user_id: body["user"]["id"].as_str().expect("user.id").to_owned(),
        email: body["user"]["email"]
            .as_str()
            .expect("user.email")
            .to_owned(),
        token: body["token"].as_str().expect("token").to_owned(),
        refresh_token: body["refresh_token"]
            .as_str()
            .expect("refresh_token")
            .to_owned(),
    }
}

/// The (unverified) claims of an access token, read the way any client can.
pub fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url claims");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// Asserts the contract's error envelope with `status` and `message`.
pub async fn assert_error(response: reqwest::Response, status: StatusCode, message: &str) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"], message, "{body}");
    assert_eq!(body["message"], message, "{body}");
}

/// Polls `condition` every 100 ms until it holds or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if condition().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// A port nothing listens on right now, and never one this test process handed out before: once
/// the probing listener is dropped the kernel may give the same port to the next `bind(0)`, and
/// two servers of one test (an inference service's gRPC and metrics ports, say) or of two tests
/// running at once would then fight over it.
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if HANDED_OUT.lock().unwrap().insert(port) {
            return port;
        }
    }
}

impl PgDatabase {
    fn url(&self) -> String {
        let (server, _) = self
            .admin_url
            .rsplit_once('/')
            .expect("admin URL names a database");
        format!("{server}/{}", self.name)
    }
}

/// A new, empty database on the local PostgreSQL server (user `postgres`, else `root`, trust
/// auth); `None` after a loud skip when the server is unreachable.
async fn fresh_postgres_database() -> Option<PgDatabase> {
    for user in ["postgres", "root"] {
        let admin_url = format!("postgres://{user}@127.0.0.1:5432/postgres");
        let connect =
            tokio::time::timeout(Duration::from_secs(3), PgConnection::connect(&admin_url));
        let Ok(Ok(mut conn)) = connect.await else {
            continue;
        };
        let name = format!("mt_test_{}", random_suffix());
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create database");
        return Some(PgDatabase { admin_url, name });
    }
    skip("PostgreSQL is not reachable on 127.0.0.1:5432");
    None
}

fn random_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}_{}", std::process::id(), nanos % 1_000_000_000_000)
}

/// The real inference service, on a port of its own.
pub struct Inference {
    pub port: u16,
    /// Where its Prometheus `/metrics` answers.
    pub metrics_port: u16,
    /// Extra variables it runs with (kept for `restart`).
    vars: Vec<(String, String)>,
    child: Option<Child>,
}

impl Inference {
    /// `http://127.0.0.1:PORT`, for `INFERENCE_URL`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the process (an outage).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("kill inference");
        }
    }

    /// Starts it again on the same port and waits until both models answer.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.child = Some(start_inference(self.port, self.metrics_port, &self.vars));
        wait_for_models(&self.url()).await;
    }
}

/// Starts the inference binary with the fixture models and waits until both are loaded.
pub async fn spawn_inference() -> Inference {
    spawn_inference_with(&[]).await
}

/// [`spawn_inference`] with extra variables, such as `INFERENCE_MAX_TEXT_CHARS`.
pub async fn spawn_inference_with(vars: &[(&str, &str)]) -> Inference {
    let (port, metrics_port) = (free_port(), free_port());
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let inference = Inference {
        port,
        metrics_port,
        child: Some(start_inference(port, metrics_port, &vars)),
        vars,
    };
    wait_for_models(&inference.url()).await;
    inference
}

fn start_inference(port: u16, metrics_port: u16, vars: &[(String, String)]) -> Child {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../inference/tests/fixtures");
    let (roberta, lstm) = (fixtures.join("roberta-tiny"), fixtures.join("lstm-tiny"));
    assert!(
        roberta.is_dir() && lstm.is_dir(),
        "the fixture models are missing: expected {} and {}",
        roberta.display(),
        lstm.display()
    );
    tokio::process::Command::new(inference_binary())
        .env("INFERENCE_GRPC_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "INFERENCE_METRICS_ADDR",
            format!("127.0.0.1:{metrics_port}"),
        )
        .env("INFERENCE_ROBERTA_MODEL", roberta)
        .env("INFERENCE_LSTM_MODEL", lstm)
        .env("LOG_LEVEL", "warn")
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start moodtracker-inference")
}

async fn wait_for_models(url: &str) {
    let client =
        InferenceClient::new(url, Duration::from_millis(300), Duration::from_secs(2)).unwrap();
    let loaded = eventually(Duration::from_secs(60), || async {
        client.forget_models();
        client.models().await.is_ok_and(|m| m.len() == 2)
    })
    .await;
    assert!(
        loaded,
        "inference at {url} did not load both fixture models within 60 s"
    );
}

/// `MOODTRACKER_INFERENCE_BIN`, else `moodtracker-inference` beside this test's target
/// directory, built once with cargo when missing.
fn inference_binary() -> PathBuf {
    static BUILT: OnceLock<Mutex<()>> = OnceLock::new();
    if let Ok(path) = std::env::var("MOODTRACKER_INFERENCE_BIN") {
        return PathBuf::from(path);
    }
    // The test executable is target/debug/deps/api-HASH: the binary is in target/debug.
    let exe = std::env::current_exe().expect("test executable path");
    let path = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("moodtracker-inference");
    let _guard = BUILT
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if !path.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "-p", "moodtracker-inference"])
            .status()
            .expect("run cargo build -p moodtracker-inference");
        assert!(
            status.success(),
            "cargo build -p moodtracker-inference failed"
        );
    }
    assert!(
        path.exists(),
        "{} is missing; build it (cargo build -p moodtracker-inference) or set MOODTRACKER_INFERENCE_BIN",
        path.display()
    );
    path
}
