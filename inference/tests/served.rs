//! The real `moodtracker-inference` binary, started on free ports with the tiny fixture models
//! and driven through the generated gRPC clients, as a gateway or a data scientist would.
//!
//! Each test starts its own server (`spawn_server`), so tests run in parallel and never share
//! state. The binary binds port 0 and the test reads the bound addresses from its JSON log.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use moodtracker_proto::inference::v1::{
    ClassifyRequest, ClassifyResponse, ListModelsRequest, ModelKind, SERVICE_NAME, TextResult,
    inference_client::InferenceClient,
};
use opentelemetry_proto::tonic::{
    self as otlp,
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    process::{Child, Command},
    sync::oneshot,
};
use tonic::{Code, transport::Channel};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

#[path = "served/oip.rs"]
mod oip;

const START_TIMEOUT: Duration = Duration::from_secs(60);

struct Server {
    child: Child,
    grpc: SocketAddr,
    metrics: SocketAddr,
    /// Every log line so far, printed when a test fails to explain it.
    log: Arc<Mutex<Vec<String>>>,
}

fn fixture(name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    dir.to_string_lossy().into_owned()
}

/// The binary under test: this build's, or a prebuilt one named by `MOODTRACKER_INFERENCE_BIN`
/// (scripts/gpu-check.sh passes a `cuda` image's binary that way).
fn binary() -> PathBuf {
    std::env::var_os("MOODTRACKER_INFERENCE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_moodtracker-inference").into())
}

/// Starts the binary with the fixture models and `settings` on top of test defaults.
async fn spawn_server(settings: &[(&str, &str)]) -> Server {
    let mut env: HashMap<&str, String> = HashMap::from([
        ("INFERENCE_GRPC_ADDR", "127.0.0.1:0".to_string()),
        ("INFERENCE_METRICS_ADDR", "127.0.0.1:0".to_string()),
        ("INFERENCE_ROBERTA_MODEL", fixture("roberta-tiny")),
        ("INFERENCE_LSTM_MODEL", fixture("lstm-tiny")),
        ("LOG_FORMAT", "json".to_string()),
        ("RUST_LOG", "info".to_string()),
    ]);
    env.extend(settings.iter().map(|(k, v)| (*k, v.to_string())));
    let mut child = Command::new(binary())
        .env_clear()
        .envs(env)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let (addrs_tx, addrs_rx) = oneshot::channel();
    let log = Arc::new(Mutex::new(Vec::new()));
    tokio::spawn(read_log(
        child.stdout.take().unwrap(),
        addrs_tx,
        log.clone(),
    ));
    let (grpc, metrics) = tokio::time::timeout(START_TIMEOUT, addrs_rx)
        .await
        .expect("the server logs its addresses in time")
        .expect("the server logs its addresses before exiting");
    Server {
        child,
        grpc,
        metrics,
        log,
    }
}

/// Reads the JSON log, reporting the bound addresses from the `starting` line. Reading to the
/// end also keeps the pipe from filling and blocking the server.
async fn read_log(
    stdout: tokio::process::ChildStdout,
    addrs: oneshot::Sender<(SocketAddr, SocketAddr)>,
    log: Arc<Mutex<Vec<String>>>,
) {
    let mut addrs = Some(addrs);
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line)
            && entry["message"] == "starting"
            && let Some(tx) = addrs.take()
        {
            let addr = |key: &str| entry[key].as_str().unwrap().parse().unwrap();
            let _ = tx.send((addr("grpc_addr"), addr("metrics_addr")));
        }
        log.lock().unwrap().push(line);
    }
}

impl Server {
    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc))
            .unwrap()
            .connect()
            .await
            .expect("the gRPC port accepts connections")
    }

    async fn client(&self) -> InferenceClient<Channel> {
        InferenceClient::new(self.channel().await)
    }

    async fn health(&self, service: &str) -> ServingStatus {
        let mut health = HealthClient::new(self.channel().await);
        let request = HealthCheckRequest {
            service: service.into(),
        };
        let status = health
            .check(request)
            .await
            .expect("health answers")
            .into_inner()
            .status;
        ServingStatus::try_from(status).unwrap()
    }

    /// Polls readiness until SERVING; panics with the server's log after `START_TIMEOUT`.
    async fn ready(self) -> Self {
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        while self.health(SERVICE_NAME).await != ServingStatus::Serving {
            assert!(
                tokio::time::Instant::now() < deadline,
                "never ready; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    async fn scrape(&self) -> String {
        let mut stream = tokio::net::TcpStream::connect(self.metrics).await.unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.0\r\nHost: test\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "{head}"
        );
        body.to_string()
    }

    /// Scrapes until a sample line appears (the server got there), or panics after 20 s.
    async fn wait_for_metric(&self, sample: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !self.scrape().await.lines().any(|line| line == sample) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {sample:?} in the metrics"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn sigterm(&self) {
        let pid = self.child.id().expect("still running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

fn request(texts: &[&str]) -> ClassifyRequest {
    ClassifyRequest {
        texts: texts.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    }
}

const TEXTS: &[&str] = &[
    "I finally slept well and the morning felt light.",
    "Nothing went right today 😞",
    "Ünïcödé, naïve café, 日本語のテキスト",
];

/// Runs the binary to completion with `settings` and returns (success, stderr).
async fn run_to_exit(settings: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(binary())
        .env_clear()
        .envs([
            ("INFERENCE_GRPC_ADDR", "127.0.0.1:0"),
            ("INFERENCE_METRICS_ADDR", "127.0.0.1:0"),
        ])
        .envs(settings.iter().copied())
        .output();
    let output = tokio::time::timeout(START_TIMEOUT, output)
        .await
        .unwrap()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn exits_non_zero_naming_the_setting_when_the_configuration_is_bad() {
    let (success, stderr) = run_to_exit(&[("INFERENCE_MAX_QUEUE", "0")]).await;

    assert!(!success);
    assert!(
        stderr.contains("INFERENCE_MAX_QUEUE must be at least 1"),
        "{stderr}"
    );
}

#[tokio::test]
async fn exits_non_zero_naming_the_directory_when_a_model_cannot_load() {
    let lstm = fixture("lstm-tiny");
    let settings = [
        ("INFERENCE_ROBERTA_MODEL", "/nonexistent/roberta"),
        ("INFERENCE_LSTM_MODEL", lstm.as_str()),
    ];

    let (success, stderr) = run_to_exit(&settings).await;

    assert!(!success);
    assert!(
        stderr.contains("cannot load the model in /nonexistent/roberta"),
        "{stderr}"
    );
}

#[tokio::test]
async fn health_is_not_serving_until_the_models_are_loaded_then_serving() {
    // Long enough to check before loading starts, even on a busy CI machine.
    let server = spawn_server(&[("INFERENCE_LOAD_DELAY_MS", "3000")]).await;

    assert_eq!(server.health("").await, ServingStatus::Serving);
    assert_eq!(server.health(SERVICE_NAME).await, ServingStatus::NotServing);
    let early = server.client().await.classify(request(&["too soon"])).await;
    assert_eq!(early.unwrap_err().code(), Code::Unavailable);

    let server = server.ready().await;
    assert_eq!(server.health(SERVICE_NAME).await, ServingStatus::Serving);
}

#[tokio::test]
async fn classifies_every_text_with_every_model_in_order() {
    let server = spawn_server(&[]).await.ready().await;
    let mut client = server.client().await;

    let batched = client.classify(request(TEXTS)).await.unwrap().into_inner();

    assert_eq!(batched.results.len(), TEXTS.len());
    for (i, text) in TEXTS.iter().enumerate() {
        let alone = client
            .classify(request(&[text]))
            .await
            .unwrap()
            .into_inner();
        let (got, want) = (&batched.results[i], &alone.results[0]);
        let kinds: Vec<i32> = got.outputs.iter().map(|o| o.model).collect();
        assert_eq!(
            kinds,
            vec![ModelKind::Roberta as i32, ModelKind::Lstm as i32]
        );
        assert_eq!(got.tokens, want.tokens, "text {i}");
        for (g, w) in got.outputs.iter().zip(&want.outputs) {
            assert_eq!(
                g.label, w.label,
                "text {i}: batching must not change the answer"
            );
            assert!((g.confidence - w.confidence).abs() < 1e-4, "text {i}");
        }
    }
}

#[tokio::test]
async fn scores_follow_the_label_order_and_logits_come_only_when_asked() {
    let server = spawn_server(&[]).await.ready().await;
    let mut client = server.client().await;
    let models = client
        .list_models(ListModelsRequest {})
        .await
        .unwrap()
        .into_inner()
        .models;

    let plain = client
        .classify(request(&TEXTS[..1]))
        .await
        .unwrap()
        .into_inner();
    let with_logits = ClassifyRequest {
        include_logits: true,
        models: vec![ModelKind::Lstm as i32],
        ..request(&TEXTS[..1])
    };
    let logits = client.classify(with_logits).await.unwrap().into_inner();

    for (output, info) in plain.results[0].outputs.iter().zip(&models) {
        let labels: Vec<&str> = output.scores.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            info.labels.iter().map(String::as_str).collect::<Vec<_>>()
        );
        assert!(output.logits.is_empty());
        let best = output
            .scores
            .iter()
            .max_by(|a, b| a.score.total_cmp(&b.score))
            .unwrap();
        assert_eq!(
            (best.label.as_str(), best.score),
            (output.label.as_str(), output.confidence)
        );
        if info.problem_type == 1 {
            let sum: f32 = output.scores.iter().map(|s| s.score).sum();
            assert!((sum - 1.0).abs() < 1e-4, "single-label scores sum to {sum}");
        }
        assert!((0.0..=10.0).contains(&output.mood_score));
    }
    let lstm = &logits.results[0].outputs;
    assert_eq!(lstm.len(), 1);
    assert_eq!(lstm[0].model, ModelKind::Lstm as i32);
    assert_eq!(lstm[0].logits.len(), lstm[0].scores.len());
}

#[tokio::test]
async fn classify_stream_answers_each_message_in_order_and_ends_on_an_invalid_one() {
    let server = spawn_server(&[]).await.ready().await;
    let messages = vec![
        request(&TEXTS[..1]),
        request(&TEXTS[..3]),
        request(&TEXTS[..2]),
        request(&[]),
    ];

    let response = server
        .client()
        .await
        .classify_stream(tokio_stream::iter(messages))
        .await;
    let mut stream = response.unwrap().into_inner();

    let mut sizes = Vec::new();
    let status = loop {
        match stream.message().await {
            Ok(Some(response)) => sizes.push(response.results.len()),
            Ok(None) => panic!("the stream ended without reporting the invalid message"),
            Err(status) => break status,
        }
    };
    assert_eq!(sizes, vec![1, 3, 2]);
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn lists_both_models_with_labels_version_device_and_dtype() {
    let server = spawn_server(&[]).await.ready().await;

    let response = server
        .client()
        .await
        .list_models(ListModelsRequest {})
        .await
        .unwrap();

    let models = response.into_inner().models;
    let kinds: Vec<i32> = models.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        vec![ModelKind::Roberta as i32, ModelKind::Lstm as i32]
    );
    for model in &models {
        assert!(!model.labels.is_empty());
        assert_eq!(model.valences.len(), model.labels.len());
        assert!(model.version.len() >= 16, "version {:?}", model.version);
        assert_eq!(
            (
                model.device.as_str(),
                model.dtype.as_str(),
                model.backend.as_str()
            ),
            ("cpu", "f32", "cpu-kernels")
        );
        assert!(model.max_input_tokens > 2);
    }
}

/// `(device, dtype)` of every listed model.
async fn devices_and_dtypes(server: &Server) -> Vec<(String, String)> {
    let models = server
        .client()
        .await
        .list_models(ListModelsRequest {})
        .await
        .unwrap()
        .into_inner()
        .models;
    models.into_iter().map(|m| (m.device, m.dtype)).collect()
}

#[tokio::test]
async fn a_half_precision_dtype_on_the_cpu_kernels_is_refused_at_start_with_the_way_out() {
    let (ok, stderr) = run_to_exit(&[("INFERENCE_DTYPE", "f16")]).await;
    assert!(!ok, "the service must not start");
    assert!(stderr.contains("INFERENCE_DTYPE=f16"), "{stderr}");
    assert!(stderr.contains("CPU kernels"), "{stderr}");
}

/// candle's path computes in bf16 on the CPU too; `ListModels` says so and the labels stay.
#[tokio::test]
async fn bf16_on_candles_path_is_listed_and_classifies_like_f32() {
    let bf16 = [
        ("INFERENCE_DTYPE", "bf16"),
        ("INFERENCE_CPU_KERNELS", "false"),
    ];
    let (half, full) = (
        spawn_server(&bf16).await.ready().await,
        spawn_server(&[]).await.ready().await,
    );
    let listed = devices_and_dtypes(&half).await;
    assert_eq!(listed, vec![("cpu".into(), "bf16".into()); 2]);
    let (a, b) = (
        classify(&half, request(TEXTS)).await,
        classify(&full, request(TEXTS)).await,
    );
    for (x, y) in a.results.iter().zip(&b.results) {
        let labels =
            |r: &TextResult| -> Vec<String> { r.outputs.iter().map(|o| o.label.clone()).collect() };
        assert_eq!(labels(x), labels(y));
    }
}

/// The served-binary smoke test of scripts/gpu-check.sh: the binary on `INFERENCE_DEVICE` and
/// `INFERENCE_DTYPE` as this process has them (the CPU and f32 when unset) starts, lists that
/// device and dtype, and classifies.
#[tokio::test]
async fn serves_on_the_device_and_dtype_it_is_given() {
    let given = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let (device, dtype) = (
        given("INFERENCE_DEVICE", "cpu"),
        given("INFERENCE_DTYPE", "f32"),
    );
    let mut settings = vec![
        ("INFERENCE_DEVICE", device.as_str()),
        ("INFERENCE_DTYPE", dtype.as_str()),
    ];
    if dtype != "f32" && device == "cpu" {
        settings.push(("INFERENCE_CPU_KERNELS", "false"));
    }
    let server = spawn_server(&settings).await.ready().await;
    let device = if device == "cuda" {
        "cuda:0".to_string()
    } else {
        device
    };
    assert_eq!(devices_and_dtypes(&server).await, vec![(device, dtype); 2]);
    let response = classify(&server, request(TEXTS)).await;
    assert_eq!(response.results.len(), TEXTS.len());
    assert!(response.results.iter().all(|r| r.outputs.len() == 2));
}

async fn classify(server: &Server, request: ClassifyRequest) -> ClassifyResponse {
    server
        .client()
        .await
        .classify(request)
        .await
        .unwrap()
        .into_inner()
}

/// `INFERENCE_CPU_KERNELS=false` puts both models on candle's op-by-op path (RoBERTa through
/// candle-transformers' encoder in a build with that feature), says so in `ListModels`, and
/// classifies as the kernels do.
#[tokio::test]
async fn the_candle_path_can_be_chosen_and_agrees_with_the_kernels() {
    let kernels = spawn_server(&[]).await.ready().await;
    let candle = spawn_server(&[("INFERENCE_CPU_KERNELS", "false")])
        .await
        .ready()
        .await;
    let models = candle
        .client()
        .await
        .list_models(ListModelsRequest {})
        .await
        .unwrap()
        .into_inner()
        .models;
    let backends: Vec<&str> = models.iter().map(|m| m.backend.as_str()).collect();
    let roberta = if cfg!(feature = "candle-transformers") {
        "candle-transformers"
    } else {
        "candle"
    };
    assert_eq!(backends, [roberta, "candle"]);

    let mut with_logits = request(TEXTS);
    with_logits.include_logits = true;
    let (a, b) = (
        classify(&kernels, with_logits.clone()).await,
        classify(&candle, with_logits).await,
    );
    for (x, y) in a.results.iter().zip(&b.results) {
        for (p, q) in x.outputs.iter().zip(&y.outputs) {
            assert_eq!((p.model, &p.label), (q.model, &q.label));
            for (l, m) in p.logits.iter().zip(&q.logits) {
                assert!((l - m).abs() <= 1e-4, "{:?} vs {:?}", p.logits, q.logits);
            }
        }
    }
}

/// Lists services through one reflection version's generated client.
macro_rules! list_services {
    ($version:ident, $channel:expr) => {{
        use tonic_reflection::pb::$version::{
            ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
            server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        };
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut client = ServerReflectionClient::new($channel);
        let response = client
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap();
        let answer = response.into_inner().message().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
            panic!("not a service list: {answer:?}");
        };
        list.service
            .into_iter()
            .map(|s| s.name)
            .collect::<Vec<String>>()
    }};
}

#[tokio::test]
async fn reflection_lists_the_inference_and_health_services_in_v1_and_v1alpha() {
    let server = spawn_server(&[]).await;

    let v1 = list_services!(v1, server.channel().await);
    let v1alpha = list_services!(v1alpha, server.channel().await);

    for services in [v1, v1alpha] {
        assert!(services.iter().any(|s| s == SERVICE_NAME), "{services:?}");
        assert!(
            services.iter().any(|s| s == "grpc.health.v1.Health"),
            "{services:?}"
        );
    }
}

#[tokio::test]
async fn refuses_malformed_requests_with_invalid_argument() {
    let limits = [
        ("INFERENCE_MAX_TEXTS", "4"),
        ("INFERENCE_MAX_TEXT_CHARS", "50"),
    ];
    let server = spawn_server(&limits).await.ready().await;
    let mut client = server.client().await;
    let long = "é".repeat(51);
    let cases = [
        ("no texts", request(&[])),
        ("too many texts", request(&["a"; 5])),
        ("a blank text", request(&["fine", " \n "])),
        ("a text past the limit", request(&[long.as_str()])),
        (
            "the unspecified model",
            ClassifyRequest {
                models: vec![0],
                ..request(&["a"])
            },
        ),
        (
            "an unknown model",
            ClassifyRequest {
                models: vec![9],
                ..request(&["a"])
            },
        ),
    ];

    for (case, request) in cases {
        let status = client.classify(request).await.expect_err(case);
        assert_eq!(status.code(), Code::InvalidArgument, "{case}: {status:?}");
        assert!(!status.message().is_empty(), "{case}");
    }
}

#[tokio::test]
async fn answers_resource_exhausted_at_once_when_the_queue_is_full() {
    // Each admitted request waits 1 s for company, so two hold the queue while ten arrive.
    let settings = [
        ("INFERENCE_MAX_QUEUE", "2"),
        ("INFERENCE_MAX_BATCH_WAIT_MS", "1000"),
    ];
    let server = spawn_server(&settings).await.ready().await;
    let client = server.client().await;

    let calls = (0..10).map(|_| {
        let mut client = client.clone();
        async move { client.classify(request(&["one of many"])).await.map(|_| ()) }
    });
    let results = futures::future::join_all(calls).await;

    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(s) if s.code() == Code::ResourceExhausted))
        .count();
    let answered = results.iter().filter(|r| r.is_ok()).count();
    assert!(
        refused >= 1 && answered >= 1,
        "refused {refused}, answered {answered}: {results:?}"
    );
    assert_eq!(refused + answered, 10, "{results:?}");
    let metrics = server.scrape().await;
    let rejected = format!("moodtracker_inference_rejected_requests_total {refused}");
    assert!(
        metrics.contains(&rejected),
        "want {rejected:?} in:\n{metrics}"
    );
}

#[tokio::test]
async fn serves_prometheus_metrics_that_promtool_accepts() {
    let server = spawn_server(&[]).await.ready().await;
    server
        .client()
        .await
        .classify(request(TEXTS))
        .await
        .unwrap();

    let metrics = server.scrape().await;

    // Labels in name order: the `prometheus` crate sorts them (PromQL does not care).
    for name in [
        "moodtracker_inference_requests_total{api=\"native\",code=\"OK\",method=\"classify\",model=\"roberta\",rpc=\"Classify\"}",
        "moodtracker_inference_tokenize_duration_seconds_bucket",
        "moodtracker_inference_queue_duration_seconds_bucket",
        "moodtracker_inference_forward_duration_seconds_bucket",
        "moodtracker_inference_batch_size_bucket",
        "moodtracker_inference_queue_depth",
    ] {
        assert!(metrics.contains(name), "{name} missing from:\n{metrics}");
    }
    promtool_check(&metrics).await;
}

/// Runs `promtool check metrics` when it is installed; says so loudly when it is not.
async fn promtool_check(metrics: &str) {
    let Ok(mut promtool) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("SKIPPED promtool check: promtool is not installed (apt-get install prometheus)");
        return;
    };
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .await
        .unwrap();
    let output = promtool.wait_with_output().await.unwrap();
    let report = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "promtool check metrics:\n{report}\n{metrics}"
    );
}

#[tokio::test]
async fn sigterm_turns_health_not_serving_drains_in_flight_calls_and_exits_zero() {
    // A lone request waits 3 s for company, so it is still in flight when SIGTERM arrives.
    let server = spawn_server(&[("INFERENCE_MAX_BATCH_WAIT_MS", "3000")])
        .await
        .ready()
        .await;
    let mut health = HealthClient::new(server.channel().await);
    let watch = HealthCheckRequest {
        service: SERVICE_NAME.into(),
    };
    let mut statuses = health.watch(watch).await.unwrap().into_inner();
    assert_eq!(
        statuses.message().await.unwrap().unwrap().status,
        ServingStatus::Serving as i32
    );
    let mut client = server.client().await;
    let in_flight = tokio::spawn(async move { client.classify(request(&["still going"])).await });
    server
        .wait_for_metric("moodtracker_inference_in_flight_requests 1")
        .await;

    server.sigterm();

    let next = statuses
        .message()
        .await
        .expect("the watch reports the drain");
    assert_eq!(next.unwrap().status, ServingStatus::NotServing as i32);
    let answer = in_flight
        .await
        .unwrap()
        .expect("the in-flight call is answered, not cut off");
    assert_eq!(answer.into_inner().results.len(), 1);
    let mut child = server.child;
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait()).await;
    assert!(exit.expect("exits after draining").unwrap().success());
}

/// A stand-in OpenTelemetry collector that keeps every span it is sent, with the sender's
/// `service.name`.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<(String, otlp::trace::v1::Span)>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        for resource in request.into_inner().resource_spans {
            let service = service_name(resource.resource.unwrap_or_default().attributes);
            let spans = resource.scope_spans.into_iter().flat_map(|s| s.spans);
            let mut kept = self.spans.lock().unwrap();
            kept.extend(spans.map(|span| (service.clone(), span)));
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

fn service_name(attributes: Vec<otlp::common::v1::KeyValue>) -> String {
    use otlp::common::v1::any_value::Value;
    let value = attributes.into_iter().find(|a| a.key == "service.name");
    match value.and_then(|a| a.value).and_then(|v| v.value) {
        Some(Value::StringValue(name)) => name,
        other => format!("{other:?}"),
    }
}

async fn start_collector() -> (SocketAddr, Collector) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let collector = Collector::default();
    let service = TraceServiceServer::new(collector.clone());
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(incoming),
    );
    (addr, collector)
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn exports_a_span_per_call_that_continues_the_callers_trace() {
    let (collector_addr, collector) = start_collector().await;
    let endpoint = format!("http://{collector_addr}");
    let settings = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ("OTEL_SERVICE_NAME", "inference-under-test"),
    ];
    let server = spawn_server(&settings).await.ready().await;
    let (trace, parent) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let mut call = tonic::Request::new(request(&["traced"]));
    let traceparent = format!("00-{trace}-{parent}-01");
    call.metadata_mut()
        .insert("traceparent", traceparent.parse().unwrap());

    server.client().await.classify(call).await.unwrap();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (service, span) = loop {
        let spans = collector.spans.lock().unwrap().clone();
        if let Some(found) = spans.into_iter().find(|(_, s)| s.trace_id == hex(trace)) {
            break found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no span of the caller's trace; log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(span.parent_span_id, hex(parent));
    assert!(span.name.ends_with("/Classify"), "{}", span.name);
    assert_eq!(service, "inference-under-test");
}
