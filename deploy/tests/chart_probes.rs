//! The delivery against the real binaries. Each test renders charts/moodtracker (or a kustomize
//! overlay), takes each container's command, environment, ports and probes from the rendering
//! and its image's entrypoint and environment from the Dockerfile, starts the real
//! `moodtracker-inference` and `moodtracker-gateway` that way, and probes them as the kubelet
//! would: inference's liveness passes and its startup and readiness probes fail while the models
//! load, then every probe of both passes, every declared port answers, and the gateway reaches
//! inference through the address the rendering gives it, and the chart's `helm test` Pod passes
//! against it. Broken renderings (a probe path, a
//! variable name, a gRPC service name or the inference address changed) must fail the same check.
//!
//! Substituted, because a cluster and this machine differ there, and nothing else:
//! - every container port becomes a free local port (a pod has a network namespace of its own;
//!   here all processes share one), and so do the variables that carry it: a binary that does not
//!   read the rendered variable listens on its own default, where no probe looks;
//! - INFERENCE_URL must name the rendering's headless inference Service (client-side balancing
//!   over every ready pod); it becomes 127.0.0.1 and inference's local gRPC port;
//! - the models baked into the image (Dockerfile.inference, target cpu-models: /models/<dir>)
//!   become the test fixtures with the same roles (inference/tests/fixtures/roberta-tiny and
//!   lstm-tiny): the layout is the image's, the weights are tiny;
//! - each volume mount (/tmp, SQLite's data directory) becomes a fresh temporary directory;
//! - the `helm test` Pod's script runs here: the gateway Service's URL in it becomes the
//!   gateway's local port, and its /tmp a temporary directory;
//! - with PostgreSQL and Redis (production renderings) the rendered URLs name cluster hosts;
//!   they become a fresh database on the local PostgreSQL and the local Redis, and
//!   REDIS_PASSWORD is cleared (the local Redis has none);
//! - INFERENCE_LOAD_DELAY_MS=4000 is added: fixture models load in milliseconds, too fast to
//!   watch the loading phase that real models have.
//!
//! Needs helm and kubectl (scripts/k8s-tools.sh installs them into a cache); without them the
//! tests skip loudly, or fail when CI=true. Likewise PostgreSQL and Redis for the production ones.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::Duration,
};

use moodtracker_deploy::{
    dockerfile::{self, Image},
    launch::{Pod, Substitutions},
    manifest::{Container, Manifests, PortRef, Probe},
    probe,
};
use serde_json::{Value, json};
use tempfile::TempDir;

const LOAD_DELAY_MS: &str = "4000";
/// How long a positive check may wait for any one probe (the chart's budgets are longer).
const CAP: Duration = Duration::from_secs(120);
/// How long a broken rendering is given to pass anyway before it counts as failing.
const BROKEN_CAP: Duration = Duration::from_secs(15);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Skips loudly, or fails under CI=true.
fn skip(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why} (CI=true: a skip is a failure)");
    }
    eprintln!("!!!!! SKIPPED chart probe test: {why}");
}

/// helm and kubectl from the tools cache, installed on first use.
fn tools() -> Option<&'static (String, String)> {
    static TOOLS: OnceLock<Option<(String, String)>> = OnceLock::new();
    TOOLS
        .get_or_init(|| {
            let script = "source scripts/k8s-tools.sh && k8s_tools_install >&2 && \
                          printf '%s\\n%s\\n' \"$HELM\" \"$KUBECTL\"";
            let out = Command::new("bash")
                .args(["-c", script])
                .current_dir(repo())
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut lines = text.lines().map(str::to_owned);
            let (helm, kubectl) = (lines.next()?, lines.next()?);
            (!helm.is_empty() && !kubectl.is_empty()).then_some((helm, kubectl))
        })
        .as_ref()
}

const BINARIES: [&str; 2] = ["moodtracker-inference", "moodtracker-gateway"];

/// The service binaries, next to this test's own build output (target/<profile>). `cargo test
/// --workspace` has just built them; when one is missing or older than the sources (this crate
/// tested alone), they are built here. Rebuilding unconditionally would unify features
/// differently from the workspace's test build and compile the model crates a second time.
fn bin_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
        let sources = newest_mtime(&["gateway", "inference", "proto", "Cargo.lock"]);
        let stale = BINARIES
            .iter()
            .any(|b| mtime(&dir.join(b)).is_none_or(|t| t < sources));
        if stale {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut args = vec!["build"];
            for bin in BINARIES {
                args.extend(["--bin", bin]);
            }
            let status = Command::new(cargo).args(&args).current_dir(repo()).status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "cargo build of the service binaries failed"
            );
        }
        dir
    })
}

fn mtime(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of the files under these paths that go into the binaries.
fn newest_mtime(paths: &[&str]) -> std::time::SystemTime {
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    let mut stack: Vec<PathBuf> = paths.iter().map(|p| repo().join(p)).collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            let entries = std::fs::read_dir(&path).into_iter().flatten().flatten();
            // Tests and benches do not go into the binaries.
            let skipped = ["tests", "benches", "target"];
            stack.extend(
                entries
                    .map(|e| e.path())
                    .filter(|p| !skipped.iter().any(|s| p.ends_with(s))),
            );
        } else if let Some(t) = mtime(&path) {
            newest = newest.max(t);
        }
    }
    newest
}

fn run(program: &str, args: &[&str]) -> String {
    let home = TempDir::new().unwrap();
    let out = Command::new(program)
        .args(args)
        .current_dir(repo())
        .env("HOME", home.path())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{program} {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

fn helm_template(extra: &[&str]) -> Option<Manifests> {
    let Some((helm, _)) = tools() else {
        skip("helm is unavailable (scripts/k8s-tools.sh could not install it)");
        return None;
    };
    let mut args = vec![
        "template",
        "moodtracker",
        "charts/moodtracker",
        "--namespace",
        "moodtracker",
    ];
    args.extend_from_slice(extra);
    Some(Manifests::parse(&run(helm, &args)).unwrap())
}

fn kustomize(overlay: &str) -> Option<Manifests> {
    let Some((_, kubectl)) = tools() else {
        skip("kubectl is unavailable (scripts/k8s-tools.sh could not install it)");
        return None;
    };
    Some(Manifests::parse(&run(kubectl, &["kustomize", overlay])).unwrap())
}

/// A port nothing listens on right now, never one this process handed out before (the kernel may
/// give a just-released port to the next `bind(0)`, and a pod's containers would then collide).
fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if HANDED_OUT.lock().unwrap().insert(port) {
            return port;
        }
    }
}

/// A fresh temporary directory for each container path that differs on this machine.
struct Scratch(Vec<TempDir>);

impl Scratch {
    fn dir(&mut self) -> PathBuf {
        let dir = TempDir::new().unwrap();
        let path = dir.path().to_path_buf();
        self.0.push(dir);
        path
    }

    /// Ports and volume mounts of `c`, mapped to this machine.
    fn substitutions(&mut self, c: &Container) -> Substitutions {
        let ports = c.ports.iter().map(|p| (p.number, free_port())).collect();
        let paths = c.mounts.iter().map(|m| (m.clone(), self.dir())).collect();
        Substitutions {
            ports,
            paths,
            overrides: Vec::new(),
        }
    }
}

/// The fixture standing in for a model directory baked into the image.
fn fixture_for(image_dir: &str) -> PathBuf {
    let fixtures = repo().join("inference/tests/fixtures");
    match image_dir {
        d if d.contains("roberta") => fixtures.join("roberta-tiny"),
        d if d.contains("lstm") => fixtures.join("lstm-tiny"),
        other => panic!("no fixture for the model directory {other}"),
    }
}

fn image(dockerfile: &str, target: &str) -> Image {
    let text = std::fs::read_to_string(repo().join(dockerfile)).unwrap();
    dockerfile::image(&text, target).unwrap()
}

/// Local stand-ins for a production rendering's PostgreSQL and Redis.
#[derive(Debug, Clone)]
struct Backends {
    database_url: String,
    redis_url: String,
}

/// The whole check; `Err` says which promise of the rendering the binaries do not keep.
async fn check(m: &Manifests, backends: Option<&Backends>, cap: Duration) -> Result<(), String> {
    let mut scratch = Scratch(Vec::new());
    let inference = start_inference(m, &mut scratch, cap).await?;
    let gateway = start_gateway(m, &inference, backends, &mut scratch, cap).await?;
    for pod in [&inference, &gateway] {
        every_port_answers(pod).await?;
    }
    gateway_sees_both_models(&gateway, cap).await?;
    helm_test_pods_pass(m, &gateway, &mut scratch).await
}

/// `helm test`: each test Pod's command, run here, with the gateway Service's address made the
/// gateway's local port and its /tmp volume a temporary directory.
async fn helm_test_pods_pass(
    m: &Manifests,
    gateway: &Pod,
    scratch: &mut Scratch,
) -> Result<(), String> {
    let hooks = m
        .docs
        .iter()
        .filter(|d| d["kind"] == "Pod" && d["metadata"]["annotations"]["helm.sh/hook"] == "test");
    for pod in hooks {
        let c = &pod["spec"]["containers"][0];
        let words = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|w| w.as_str().map(str::to_owned))
                .collect()
        };
        let mut argv = words(&c["command"]);
        argv.extend(words(&c["args"]));
        let tmp = scratch.dir();
        for word in &mut argv {
            *word = word.replace("/tmp/", &format!("{}/", tmp.display()));
            for (url, local) in gateway_service_urls(m, gateway)? {
                *word = word.replace(&url, &local);
            }
        }
        let Some((exe, args)) = argv.split_first() else {
            return Err("a test Pod without a command".into());
        };
        let out = tokio::process::Command::new(exe).args(args).output().await;
        let out = out.map_err(|e| format!("helm test pod: {exe}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "helm test pod failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(())
}

/// `http://<service>:<port>` of every Service selecting the gateway, with its local equivalent.
fn gateway_service_urls(m: &Manifests, gateway: &Pod) -> Result<Vec<(String, String)>, String> {
    let mut urls = Vec::new();
    for svc in m.docs.iter().filter(|d| d["kind"] == "Service") {
        let selector = svc["spec"]["selector"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let labels = &gateway.container.pod_labels;
        if selector.is_empty() || selector.iter().any(|(k, v)| labels[k] != *v) {
            continue;
        }
        for p in svc["spec"]["ports"].as_array().into_iter().flatten() {
            let target = match &p["targetPort"] {
                Value::String(name) => PortRef::Name(name.clone()),
                other => PortRef::Number(other.as_u64().or(p["port"].as_u64()).unwrap_or(0) as u16),
            };
            let container = gateway
                .container
                .resolve(&target)
                .map_err(|e| e.to_string())?;
            let local = gateway.local_port(container).map_err(|e| e.to_string())?;
            let url = format!(
                "http://{}:{}",
                svc["metadata"]["name"].as_str().unwrap_or(""),
                p["port"]
            );
            urls.push((url, format!("http://127.0.0.1:{local}")));
        }
    }
    Ok(urls)
}

async fn start_inference(
    m: &Manifests,
    scratch: &mut Scratch,
    cap: Duration,
) -> Result<Pod, String> {
    let c = m.container("inference").map_err(|e| e.to_string())?;
    let image = image("Dockerfile.inference", "cpu-models");
    let mut subs = scratch.substitutions(&c);
    for (_, dest) in image
        .context_copies
        .iter()
        .filter(|(_, d)| d.starts_with("/models/"))
    {
        subs.paths.push((dest.clone(), fixture_for(dest)));
    }
    subs.overrides
        .push(("INFERENCE_LOAD_DELAY_MS".into(), LOAD_DELAY_MS.into()));
    let workdir = scratch.dir();
    let mut pod = Pod::start(&image, &c, &subs, bin_dir(), &workdir).map_err(|e| e.to_string())?;
    let (startup, readiness, liveness) = probes(&c)?;
    pod.wait_for(&liveness, cap)
        .await
        .map_err(|e| format!("inference liveness: {e}"))?;
    if pod.probe(&readiness).await.is_ok() || pod.probe(&startup).await.is_ok() {
        return Err("inference passed startup/readiness while its models were loading".into());
    }
    pod.wait_for(&startup, cap)
        .await
        .map_err(|e| format!("inference startup: {e}"))?;
    for (name, probe) in [("readiness", &readiness), ("liveness", &liveness)] {
        pod.probe(probe)
            .await
            .map_err(|e| format!("inference {name} once ready: {e}"))?;
    }
    Ok(pod)
}

async fn start_gateway(
    m: &Manifests,
    inference: &Pod,
    backends: Option<&Backends>,
    scratch: &mut Scratch,
    cap: Duration,
) -> Result<Pod, String> {
    let c = m.container("gateway").map_err(|e| e.to_string())?;
    let image = image("Dockerfile.gateway", "runtime");
    let mut subs = scratch.substitutions(&c);
    let url = c
        .var("INFERENCE_URL")
        .ok_or("the gateway gets no INFERENCE_URL")?;
    let grpc = headless_inference_port(m, url, &inference.container)?;
    let local = inference.local_port(grpc).map_err(|e| e.to_string())?;
    subs.overrides
        .push(("INFERENCE_URL".into(), format!("http://127.0.0.1:{local}")));
    if let Some(b) = backends {
        for name in ["DATABASE_URL", "REDIS_URL"] {
            c.var(name)
                .ok_or(format!("a production rendering must set {name}"))?;
        }
        subs.overrides
            .push(("DATABASE_URL".into(), b.database_url.clone()));
        subs.overrides
            .push(("REDIS_URL".into(), b.redis_url.clone()));
        subs.overrides
            .push(("REDIS_PASSWORD".into(), String::new()));
    }
    let workdir = scratch.dir();
    let mut pod = Pod::start(&image, &c, &subs, bin_dir(), &workdir).map_err(|e| e.to_string())?;
    let (startup, readiness, liveness) = probes(&c)?;
    pod.wait_for(&startup, cap)
        .await
        .map_err(|e| format!("gateway startup: {e}"))?;
    pod.wait_for(&readiness, cap)
        .await
        .map_err(|e| format!("gateway readiness: {e}"))?;
    pod.probe(&liveness)
        .await
        .map_err(|e| format!("gateway liveness: {e}"))?;
    Ok(pod)
}

/// Startup, readiness and liveness, all three required.
fn probes(c: &Container) -> Result<(Probe, Probe, Probe), String> {
    let missing = |kind: &str| format!("{} has no {kind} probe", c.name);
    Ok((
        c.startup.clone().ok_or_else(|| missing("startup"))?,
        c.readiness.clone().ok_or_else(|| missing("readiness"))?,
        c.liveness.clone().ok_or_else(|| missing("liveness"))?,
    ))
}

/// The inference container port that `url` reaches, provided it names a headless Service of
/// the rendering (in its namespace) that selects the inference pods.
fn headless_inference_port(m: &Manifests, url: &str, inference: &Container) -> Result<u16, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or(format!("INFERENCE_URL {url}: not http://"))?;
    let (host, port) = rest
        .trim_end_matches('/')
        .rsplit_once(':')
        .ok_or(format!("{url}: no port"))?;
    let port: u64 = port.parse().map_err(|_| format!("{url}: bad port"))?;
    let (name, domain) = host.split_once('.').unwrap_or((host, ""));
    let svc = m
        .find("Service", name)
        .ok_or(format!("{url}: no Service {name} in the rendering"))?;
    let ns = svc["metadata"]["namespace"]
        .as_str()
        .unwrap_or("moodtracker");
    let forms = [
        String::new(),
        ns.to_owned(),
        format!("{ns}.svc"),
        format!("{ns}.svc.cluster.local"),
    ];
    if !forms.iter().any(|f| f == domain) {
        return Err(format!(
            "{url}: {host} is not Service {name} in namespace {ns}"
        ));
    }
    if svc["spec"]["clusterIP"] != "None" {
        return Err(format!(
            "{url}: Service {name} is not headless (gRPC would pin one pod)"
        ));
    }
    let selector = svc["spec"]["selector"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if selector.is_empty() || selector.iter().any(|(k, v)| inference.pod_labels[k] != *v) {
        return Err(format!(
            "{url}: Service {name} does not select the inference pods"
        ));
    }
    let ports = svc["spec"]["ports"].as_array().cloned().unwrap_or_default();
    let sp = ports
        .iter()
        .find(|p| p["port"] == port)
        .ok_or(format!("{url}: {name} has no port {port}"))?;
    let target = match &sp["targetPort"] {
        Value::String(s) => PortRef::Name(s.clone()),
        Value::Number(n) => PortRef::Number(n.as_u64().unwrap_or(0) as u16),
        _ => PortRef::Number(port as u16),
    };
    inference.resolve(&target).map_err(|e| e.to_string())
}

/// Every declared container port has a listener; metrics ports serve Prometheus text.
async fn every_port_answers(pod: &Pod) -> Result<(), String> {
    for p in &pod.container.ports {
        let local = pod.local_port(p.number).map_err(|e| e.to_string())?;
        let target = match p.name.as_deref() {
            Some("metrics") => probe::Target::Http {
                port: local,
                path: "/metrics".into(),
            },
            _ => probe::Target::Tcp { port: local },
        };
        probe::attempt(&target, Duration::from_secs(5))
            .await
            .map_err(|e| {
                format!(
                    "{} port {} ({:?}): {e}\n{}",
                    pod.name,
                    p.number,
                    p.name,
                    pod.log_tail()
                )
            })?;
    }
    Ok(())
}

/// The gateway's health report shows both models: it reached inference at the rendered address.
async fn gateway_sees_both_models(gateway: &Pod, cap: Duration) -> Result<(), String> {
    let http = gateway
        .container
        .ports
        .iter()
        .find(|p| p.name.as_deref() == Some("http"));
    let port = gateway
        .local_port(http.ok_or("gateway has no http port")?.number)
        .map_err(|e| e.to_string())?;
    let deadline = tokio::time::Instant::now() + cap.min(Duration::from_secs(30));
    let mut last = String::new();
    while tokio::time::Instant::now() < deadline {
        last = probe::http_get(port, "/api/health")
            .await
            .unwrap_or_else(|e| e);
        let health: Value = serde_json::from_str(&last).unwrap_or(Value::Null);
        if health["roberta_loaded"] == json!(true) && health["lstm_loaded"] == json!(true) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!(
        "the gateway never saw both models loaded: {last}\n{}",
        gateway.log_tail()
    ))
}

/// A fresh database on the local PostgreSQL and the local Redis, or `None` after a loud skip.
fn local_backends() -> Option<Backends> {
    if std::net::TcpStream::connect("127.0.0.1:6379").is_err() {
        skip("Redis is not reachable on 127.0.0.1:6379");
        return None;
    }
    let name = format!("mt_probe_{}_{}", std::process::id(), free_port());
    for user in ["postgres", "root"] {
        let created = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                user,
                "-d",
                "postgres",
                "-qc",
                &format!("CREATE DATABASE {name}"),
            ])
            .output();
        if created.is_ok_and(|o| o.status.success()) {
            return Some(Backends {
                database_url: format!("postgres://{user}@127.0.0.1:5432/{name}"),
                // Database 15: away from what other tests keep in Redis.
                redis_url: "redis://127.0.0.1:6379/15".into(),
            });
        }
    }
    skip("PostgreSQL is not reachable on 127.0.0.1:5432 with psql");
    None
}

// ---- the renderings users install --------------------------------------------------------------

#[tokio::test]
async fn the_charts_defaults_start_and_pass_every_probe() {
    let Some(m) = helm_template(&[]) else { return };
    check(&m, None, CAP).await.unwrap();
}

#[tokio::test]
async fn the_charts_production_values_with_postgres_and_redis_pass_every_probe() {
    let Some(m) = helm_template(&["-f", "charts/moodtracker/ci/external-values.yaml"]) else {
        return;
    };
    let Some(backends) = local_backends() else {
        return;
    };
    check(&m, Some(&backends), CAP).await.unwrap();
}

#[tokio::test]
async fn the_kustomize_development_overlay_passes_every_probe() {
    let Some(m) = kustomize("k8s/overlays/development") else {
        return;
    };
    check(&m, None, CAP).await.unwrap();
}

#[tokio::test]
async fn the_kustomize_production_overlay_with_its_documented_secret_passes_every_probe() {
    let Some(mut m) = kustomize("k8s/overlays/production") else {
        return;
    };
    let Some(b) = local_backends() else { return };
    // What the overlay tells users to create with `kubectl create secret generic`.
    m.docs.push(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "moodtracker-secrets", "namespace": "moodtracker"},
        "stringData": {
            // As `openssl rand -base64 48` makes it: the gateway refuses a guessable one.
            "JWT_SECRET_KEY": "probe-Zk3mQ8rT1vX6yB2nC7dF4gH9jK0lP5sW3eR8tY1uI6oA2sD7",
            "SECRET_KEY": format!("probe-{}", "s".repeat(43)),
            "DATABASE_URL": b.database_url.clone(),
            "REDIS_URL": b.redis_url.clone(),
        }
    }));
    check(&m, None, CAP).await.unwrap();
}

// ---- renderings that disagree with the binaries must fail --------------------------------------

async fn broken(edit: impl FnOnce(&mut Manifests)) -> Option<String> {
    broken_with(&[], edit).await
}

async fn broken_with(values: &[&str], edit: impl FnOnce(&mut Manifests)) -> Option<String> {
    let mut m = helm_template(values)?;
    edit(&mut m);
    Some(
        check(&m, None, BROKEN_CAP)
            .await
            .expect_err("a broken rendering passed"),
    )
}

fn configmap<'a>(m: &'a mut Manifests, component: &str) -> &'a mut serde_json::Map<String, Value> {
    let name = format!("moodtracker-{component}");
    m.find_mut("ConfigMap", &name).unwrap()["data"]
        .as_object_mut()
        .unwrap()
}

fn rename(map: &mut serde_json::Map<String, Value>, from: &str, to: &str) {
    let value = map
        .remove(from)
        .unwrap_or_else(|| panic!("no {from} to rename"));
    map.insert(to.into(), value);
}

fn container_mut<'a>(m: &'a mut Manifests, component: &str) -> &'a mut Value {
    &mut m.deployment_mut(component).unwrap()["spec"]["template"]["spec"]["containers"][0]
}

#[tokio::test]
async fn a_wrong_gateway_readiness_path_fails() {
    let Some(err) = broken(|m| {
        container_mut(m, "gateway")["readinessProbe"]["httpGet"]["path"] = json!("/ready");
    })
    .await
    else {
        return;
    };
    assert!(
        err.contains("gateway readiness") && err.contains("404"),
        "{err}"
    );
}

#[tokio::test]
async fn an_inference_address_variable_the_binary_does_not_read_fails() {
    // On a port other than the image's default: with 50051 the image's own ENV would hide it.
    let Some(err) = broken_with(&["--set", "inference.grpcPort=50052"], |m| {
        rename(
            configmap(m, "inference"),
            "INFERENCE_GRPC_ADDR",
            "INFERENCE_GRPC_PORT",
        )
    })
    .await
    else {
        return;
    };
    assert!(err.contains("inference liveness"), "{err}");
}

#[tokio::test]
async fn a_gateway_metrics_variable_the_binary_does_not_read_fails() {
    let Some(err) =
        broken(|m| rename(configmap(m, "gateway"), "METRICS_ADDR", "METRICS_PORT")).await
    else {
        return;
    };
    assert!(err.contains("gateway"), "{err}");
}

#[tokio::test]
async fn a_readiness_probe_on_an_unknown_grpc_service_fails() {
    let Some(err) = broken(|m| {
        let svc = "moodtracker.inference.v1.Inferenc";
        container_mut(m, "inference")["readinessProbe"]["grpc"]["service"] = json!(svc);
        container_mut(m, "inference")["startupProbe"]["grpc"]["service"] = json!(svc);
    })
    .await
    else {
        return;
    };
    assert!(
        err.contains("inference startup") && err.contains("NotFound"),
        "{err}"
    );
}

#[tokio::test]
async fn an_inference_url_through_the_cluster_ip_service_fails() {
    let Some(err) = broken(|m| {
        let url = "http://moodtracker-inference.moodtracker.svc:50051";
        configmap(m, "gateway").insert("INFERENCE_URL".into(), json!(url));
    })
    .await
    else {
        return;
    };
    assert!(err.contains("not headless"), "{err}");
}

#[test]
fn fixtures_exist_for_every_model_the_image_bakes_in() {
    let image = image("Dockerfile.inference", "cpu-models");
    let models: HashMap<_, _> = image.context_copies.iter().cloned().collect();
    assert!(
        models.values().any(|d| d == "/models/roberta-sentiment"),
        "{models:?}"
    );
    assert!(
        models.values().any(|d| d == "/models/lstm-sentiment"),
        "{models:?}"
    );
    for dest in models.values() {
        assert!(fixture_for(dest).join("config.json").is_file());
    }
}

#[tokio::test]
async fn a_helm_test_pod_expecting_what_the_gateway_does_not_report_fails() {
    let Some(err) = broken(|m| {
        let pod = m.find_mut("Pod", "moodtracker-test").unwrap();
        let script = pod["spec"]["containers"][0]["args"][0]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(script.contains("roberta_loaded"), "{script}");
        pod["spec"]["containers"][0]["args"][0] =
            json!(script.replace("roberta_loaded", "roberta_ready"));
    })
    .await
    else {
        return;
    };
    assert!(err.contains("helm test pod failed"), "{err}");
}
