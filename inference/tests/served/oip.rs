//! The Open Inference Protocol on the real binary, through a client generated from the
//! project's `open_inference.proto`: every RPC served, both BYTES encodings, `[N]` and `[N, 1]`
//! shapes, every bad input, and results equal to `Classify`'s to the bit.

use moodtracker_proto::{
    inference::v1::{ClassifyRequest, ListModelsRequest, ModelInfo, ModelKind, ModelOutput},
    oip::{
        self as pb, InferTensorContents,
        grpc_inference_service_client::GrpcInferenceServiceClient,
        model_infer_request::{InferInputTensor, InferRequestedOutputTensor},
    },
};
use std::path::Path;

use tonic::{Code, transport::Channel};

use super::{Server, TEXTS, request, spawn_server};

impl Server {
    async fn oip(&self) -> GrpcInferenceServiceClient<Channel> {
        GrpcInferenceServiceClient::new(self.channel().await)
    }

    async fn model_info(&self, kind: ModelKind) -> ModelInfo {
        let models = self.client().await.list_models(ListModelsRequest {}).await;
        let models = models.unwrap().into_inner().models;
        models.into_iter().find(|m| m.kind == kind as i32).unwrap()
    }

    /// Classify's answer for `texts` with one model, logits included.
    async fn classify_with(&self, kind: ModelKind, texts: &[&str]) -> Vec<ModelOutput> {
        let request = ClassifyRequest {
            models: vec![kind as i32],
            include_logits: true,
            ..request(texts)
        };
        let response = self.client().await.classify(request).await.unwrap();
        let results = response.into_inner().results;
        results.into_iter().map(|r| r.outputs[0].clone()).collect()
    }
}

/// Triton's framing of BYTES elements: a 4-byte little-endian length, then the bytes.
fn framed<'a>(elements: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut raw = Vec::new();
    for element in elements {
        raw.extend_from_slice(&(element.len() as u32).to_le_bytes());
        raw.extend_from_slice(element);
    }
    raw
}

fn unframed(mut raw: &[u8]) -> Vec<String> {
    let mut elements = Vec::new();
    while !raw.is_empty() {
        let len = u32::from_le_bytes(raw[..4].try_into().unwrap()) as usize;
        elements.push(String::from_utf8(raw[4..4 + len].to_vec()).unwrap());
        raw = &raw[4 + len..];
    }
    elements
}

fn floats(raw: &[u8]) -> Vec<f32> {
    raw.chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

fn text_input(shape: &[i64]) -> InferInputTensor {
    InferInputTensor {
        name: "text".into(),
        datatype: "BYTES".into(),
        shape: shape.to_vec(),
        ..Default::default()
    }
}

/// A request as tritonclient sends it: the texts framed in `raw_input_contents`, shape `[N]`.
fn infer_request(model: &str, texts: &[&str]) -> pb::ModelInferRequest {
    pb::ModelInferRequest {
        model_name: model.into(),
        inputs: vec![text_input(&[texts.len() as i64])],
        raw_input_contents: vec![framed(texts.iter().map(|t| t.as_bytes()))],
        ..Default::default()
    }
}

/// The raw contents of one named output of a response.
fn output<'a>(response: &'a pb::ModelInferResponse, name: &str) -> &'a [u8] {
    let i = response.outputs.iter().position(|o| o.name == name);
    &response.raw_output_contents[i.unwrap_or_else(|| panic!("no output {name}"))]
}

#[tokio::test]
async fn server_ready_follows_the_health_latch_while_live_is_true_throughout() {
    let server = spawn_server(&[("INFERENCE_LOAD_DELAY_MS", "3000")]).await;
    let mut oip = server.oip().await;

    let live = oip.server_live(pb::ServerLiveRequest {}).await.unwrap();
    let ready = oip.server_ready(pb::ServerReadyRequest {}).await.unwrap();
    let model = pb::ModelReadyRequest {
        name: "roberta".into(),
        version: String::new(),
    };
    let model_ready = oip.model_ready(model).await.unwrap();
    assert!(live.into_inner().live);
    assert!(!ready.into_inner().ready);
    assert!(!model_ready.into_inner().ready);

    let server = server.ready().await;
    let ready = oip.server_ready(pb::ServerReadyRequest {}).await.unwrap();
    assert!(ready.into_inner().ready);
    let version = server.model_info(ModelKind::Roberta).await.version;
    for (name, version, want) in [
        ("roberta", "", true),
        ("roberta", version.as_str(), true),
        ("lstm", "", true),
        ("roberta", "1", false),
        ("bert", "", false),
    ] {
        let request = pb::ModelReadyRequest {
            name: name.into(),
            version: version.into(),
        };
        let ready = oip.model_ready(request).await.unwrap().into_inner().ready;
        assert_eq!(ready, want, "ModelReady({name:?}, {version:?})");
    }
}

#[tokio::test]
async fn server_metadata_names_the_server_and_its_version() {
    let server = spawn_server(&[]).await;

    let metadata = server
        .oip()
        .await
        .server_metadata(pb::ServerMetadataRequest {})
        .await;

    let metadata = metadata.unwrap().into_inner();
    assert_eq!(metadata.name, "moodtracker-inference");
    assert_eq!(metadata.version, env!("CARGO_PKG_VERSION"));
    assert!(metadata.extensions.is_empty());
}

#[tokio::test]
async fn model_metadata_and_config_describe_the_tensors_as_list_models_does() {
    let server = spawn_server(&[]).await.ready().await;
    let mut oip = server.oip().await;
    let info = server.model_info(ModelKind::Lstm).await;
    let labels = info.labels.len() as i64;

    let request = pb::ModelMetadataRequest {
        name: "lstm".into(),
        version: String::new(),
    };
    let metadata = oip.model_metadata(request).await.unwrap().into_inner();
    let config = pb::ModelConfigRequest {
        name: "lstm".into(),
        version: info.version.clone(),
    };
    let config = oip
        .model_config(config)
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap();

    assert_eq!(metadata.name, "lstm");
    assert_eq!(metadata.versions, std::slice::from_ref(&info.version));
    assert_eq!(
        metadata.platform,
        format!("moodtracker_{}", info.architecture)
    );
    let tensors = |list: &[pb::model_metadata_response::TensorMetadata]| {
        let described = list
            .iter()
            .map(|t| (t.name.clone(), t.datatype.clone(), t.shape.clone()));
        described.collect::<Vec<_>>()
    };
    let tensor = |name: &str, datatype: &str, shape: &[i64]| {
        (name.to_string(), datatype.to_string(), shape.to_vec())
    };
    assert_eq!(tensors(&metadata.inputs), [tensor("text", "BYTES", &[-1])]);
    assert_eq!(
        tensors(&metadata.outputs),
        [
            tensor("label", "BYTES", &[-1]),
            tensor("scores", "FP32", &[-1, labels]),
            tensor("mood_score", "FP32", &[-1]),
            tensor("logits", "FP32", &[-1, labels]),
        ]
    );
    assert_eq!((config.name.as_str(), config.max_batch_size), ("lstm", 0));
    assert_eq!(config.platform, metadata.platform);
    assert_eq!(config.input[0].data_type, pb::DataType::TypeString as i32);
    let outputs: Vec<(String, i32, Vec<i64>)> = config
        .output
        .iter()
        .map(|o| (o.name.clone(), o.data_type, o.dims.clone()))
        .collect();
    let fp32 = pb::DataType::TypeFp32 as i32;
    assert_eq!(outputs[1], ("scores".to_string(), fp32, vec![-1, labels]));
    assert_eq!(outputs[0].1, pb::DataType::TypeString as i32);
    let listed: Vec<String> =
        serde_json::from_str(&config.parameters["labels"].string_value).unwrap();
    assert_eq!(listed, info.labels);
}

#[tokio::test]
async fn metadata_and_config_of_an_unknown_model_or_version_are_not_found() {
    let server = spawn_server(&[]).await.ready().await;
    let mut oip = server.oip().await;

    for (name, version) in [("gpt", ""), ("roberta", "7"), ("", "")] {
        let request = pb::ModelMetadataRequest {
            name: name.into(),
            version: version.into(),
        };
        let status = oip.model_metadata(request).await.unwrap_err();
        assert_eq!(
            status.code(),
            Code::NotFound,
            "{name:?} {version:?}: {status:?}"
        );
        let request = pb::ModelConfigRequest {
            name: name.into(),
            version: version.into(),
        };
        let status = oip.model_config(request).await.unwrap_err();
        assert_eq!(
            status.code(),
            Code::NotFound,
            "{name:?} {version:?}: {status:?}"
        );
    }
}

#[tokio::test]
async fn model_infer_gives_classifys_results_to_the_bit_for_both_models() {
    let server = spawn_server(&[]).await.ready().await;
    let mut oip = server.oip().await;

    for (name, kind) in [("roberta", ModelKind::Roberta), ("lstm", ModelKind::Lstm)] {
        let request = pb::ModelInferRequest {
            id: format!("req-{name}"),
            ..infer_request(name, TEXTS)
        };
        let response = oip.model_infer(request).await.unwrap().into_inner();
        let native = server.classify_with(kind, TEXTS).await;
        let info = server.model_info(kind).await;

        assert_eq!(response.id, format!("req-{name}"));
        assert_eq!(
            (response.model_name.as_str(), &response.model_version),
            (name, &info.version)
        );
        let names: Vec<&str> = response.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["label", "scores", "mood_score", "logits"]);
        let (n, l) = (TEXTS.len() as i64, info.labels.len() as i64);
        let shapes: Vec<&[i64]> = response
            .outputs
            .iter()
            .map(|o| o.shape.as_slice())
            .collect();
        assert_eq!(shapes, [&[n][..], &[n, l], &[n], &[n, l]]);
        let labels: Vec<String> = native.iter().map(|o| o.label.clone()).collect();
        assert_eq!(unframed(output(&response, "label")), labels);
        let scores: Vec<f32> = native
            .iter()
            .flat_map(|o| o.scores.iter().map(|s| s.score))
            .collect();
        assert_eq!(output(&response, "scores"), bits(&scores), "{name} scores");
        let moods: Vec<f32> = native.iter().map(|o| o.mood_score).collect();
        assert_eq!(output(&response, "mood_score"), bits(&moods), "{name} mood");
        let logits: Vec<f32> = native.iter().flat_map(|o| o.logits.clone()).collect();
        assert_eq!(output(&response, "logits"), bits(&logits), "{name} logits");
        assert_eq!(floats(output(&response, "logits")).len(), logits.len());
    }
}

fn bits(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[tokio::test]
async fn bytes_contents_and_n_by_1_shapes_answer_as_raw_n_does() {
    let server = spawn_server(&[]).await.ready().await;
    let mut oip = server.oip().await;
    let n = TEXTS.len() as i64;
    let raw = oip
        .model_infer(infer_request("roberta", TEXTS))
        .await
        .unwrap()
        .into_inner();

    let mut in_contents = infer_request("roberta", TEXTS);
    in_contents.raw_input_contents.clear();
    in_contents.inputs = vec![InferInputTensor {
        contents: Some(InferTensorContents {
            bytes_contents: TEXTS.iter().map(|t| t.as_bytes().to_vec()).collect(),
            ..Default::default()
        }),
        ..text_input(&[n, 1])
    }];
    let mut raw_n_by_1 = infer_request("roberta", TEXTS);
    raw_n_by_1.inputs[0].shape = vec![n, 1];

    for (case, request) in [
        ("bytes_contents [N, 1]", in_contents),
        ("raw [N, 1]", raw_n_by_1),
    ] {
        let response = oip.model_infer(request).await.unwrap().into_inner();
        assert_eq!(
            response.raw_output_contents, raw.raw_output_contents,
            "{case}"
        );
        assert_eq!(response.outputs, raw.outputs, "{case}");
    }
}

#[tokio::test]
async fn returns_only_the_named_outputs_in_the_order_asked() {
    let server = spawn_server(&[]).await.ready().await;
    let named = |name: &str| InferRequestedOutputTensor {
        name: name.into(),
        ..Default::default()
    };
    let request = pb::ModelInferRequest {
        outputs: vec![named("mood_score"), named("label")],
        ..infer_request("lstm", &TEXTS[..2])
    };

    let response = server
        .oip()
        .await
        .model_infer(request)
        .await
        .unwrap()
        .into_inner();

    let names: Vec<&str> = response.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["mood_score", "label"]);
    assert_eq!(response.raw_output_contents.len(), 2);
    assert_eq!(floats(&response.raw_output_contents[0]).len(), 2);
    assert_eq!(unframed(&response.raw_output_contents[1]).len(), 2);
}

/// Each case: what is wrong, the request, the code, and a phrase the message must hold.
fn bad_requests() -> Vec<(&'static str, pb::ModelInferRequest, Code, &'static str)> {
    let good = || infer_request("roberta", &["fine"]);
    let with = |edit: fn(&mut pb::ModelInferRequest)| {
        let mut request = good();
        edit(&mut request);
        request
    };
    vec![
        (
            "an unknown model",
            infer_request("gpt", &["a"]),
            Code::NotFound,
            "unknown model",
        ),
        (
            "an unknown version",
            with(|r| r.model_version = "3".into()),
            Code::NotFound,
            "no version \"3\"",
        ),
        (
            "both encodings",
            with(|r| {
                r.inputs[0].contents = Some(InferTensorContents {
                    bytes_contents: vec![b"fine".to_vec()],
                    ..Default::default()
                })
            }),
            Code::InvalidArgument,
            "one of the two",
        ),
        (
            "a wrong datatype",
            with(|r| r.inputs[0].datatype = "FP32".into()),
            Code::InvalidArgument,
            "must be BYTES",
        ),
        (
            "a shape that does not match",
            with(|r| r.inputs[0].shape = vec![2]),
            Code::InvalidArgument,
            "holds 1 element",
        ),
        (
            "a matrix shape",
            with(|r| r.inputs[0].shape = vec![1, 2]),
            Code::InvalidArgument,
            "[N] or [N, 1]",
        ),
        (
            "an unknown input",
            with(|r| r.inputs[0].name = "texts".into()),
            Code::InvalidArgument,
            "unknown input \"texts\"",
        ),
        (
            "an unknown output",
            with(|r| {
                r.outputs = vec![InferRequestedOutputTensor {
                    name: "probabilities".into(),
                    ..Default::default()
                }]
            }),
            Code::InvalidArgument,
            "unknown output \"probabilities\"",
        ),
        (
            "invalid UTF-8",
            with(|r| r.raw_input_contents = vec![framed([&[0xc3, 0x28][..]])]),
            Code::InvalidArgument,
            "not valid UTF-8",
        ),
        (
            "a cut-off element",
            with(|r| r.raw_input_contents[0].truncate(6)),
            Code::InvalidArgument,
            "declares 4 bytes but only 2 remain",
        ),
        (
            "no data",
            with(|r| r.raw_input_contents.clear()),
            Code::InvalidArgument,
            "carries no data",
        ),
        (
            "a blank text",
            with(|r| r.raw_input_contents = vec![framed([&b"  "[..]])]),
            Code::InvalidArgument,
            "empty or only whitespace",
        ),
    ]
}

#[tokio::test]
async fn refuses_each_bad_request_with_the_right_code_and_a_clear_message() {
    let server = spawn_server(&[]).await.ready().await;
    let mut oip = server.oip().await;

    for (case, request, code, phrase) in bad_requests() {
        let status = oip.model_infer(request).await.expect_err(case);
        assert_eq!(status.code(), code, "{case}: {status:?}");
        assert!(
            status.message().contains(phrase),
            "{case}: {:?}",
            status.message()
        );
    }
    // Nothing was classified: the refusals naming roberta (all but the unknown model and
    // version) count as its failures, and nothing else changed.
    let stats = model_statistics(&server, "roberta").await;
    let inference = stats.inference_stats.unwrap();
    assert_eq!(inference.success.unwrap().count, 0);
    assert_eq!(
        inference.fail.unwrap().count,
        bad_requests().len() as u64 - 2
    );
    assert_eq!(stats.inference_count, 0);
}

#[tokio::test]
async fn refuses_more_texts_than_the_native_limit_allows() {
    let server = spawn_server(&[("INFERENCE_MAX_TEXTS", "2")])
        .await
        .ready()
        .await;

    let status = server
        .oip()
        .await
        .model_infer(infer_request("lstm", TEXTS))
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("at most 2"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn stream_infer_answers_every_message_in_order_reporting_a_bad_one_in_band() {
    let server = spawn_server(&[]).await.ready().await;
    let mut oip = server.oip().await;
    let messages: Vec<pb::ModelInferRequest> =
        [("a", &TEXTS[..1]), ("b", &TEXTS[..0]), ("c", TEXTS)]
            .into_iter()
            .map(|(id, texts)| pb::ModelInferRequest {
                id: id.into(),
                ..infer_request("roberta", texts)
            })
            .collect();
    let unary = oip
        .model_infer(messages[2].clone())
        .await
        .unwrap()
        .into_inner();

    let stream = oip.model_stream_infer(tokio_stream::iter(messages)).await;
    let mut stream = stream.unwrap().into_inner();
    let mut answers = Vec::new();
    while let Some(answer) = stream.message().await.unwrap() {
        answers.push(answer);
    }

    let ids: Vec<&str> = answers
        .iter()
        .map(|a| a.infer_response.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(answers[0].error_message, "");
    assert!(
        answers[1].error_message.contains("at least one text"),
        "{answers:?}"
    );
    let last = answers[2].infer_response.as_ref().unwrap();
    assert_eq!(last.raw_output_contents, unary.raw_output_contents);
}

#[tokio::test]
async fn model_infer_answers_resource_exhausted_when_the_queue_is_full() {
    // Each admitted request waits 1 s for company, so two hold the queue while ten arrive.
    let settings = [
        ("INFERENCE_MAX_QUEUE", "2"),
        ("INFERENCE_MAX_BATCH_WAIT_MS", "1000"),
    ];
    let server = spawn_server(&settings).await.ready().await;
    let oip = server.oip().await;

    let calls = (0..10).map(|_| {
        let mut oip = oip.clone();
        async move {
            oip.model_infer(infer_request("lstm", &["one of many"]))
                .await
        }
    });
    let results = futures::future::join_all(calls).await;

    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(s) if s.code() == Code::ResourceExhausted))
        .count();
    let answered = results.iter().filter(|r| r.is_ok()).count();
    assert!(
        refused >= 1 && answered >= 1,
        "refused {refused}, answered {answered}"
    );
    assert_eq!(refused + answered, 10);
}

#[tokio::test]
async fn counts_oip_requests_under_their_own_api_label_and_in_model_statistics() {
    let server = spawn_server(&[]).await.ready().await;
    let mut oip = server.oip().await;
    oip.model_infer(infer_request("lstm", TEXTS)).await.unwrap();
    oip.model_infer(infer_request("lstm", &TEXTS[..1]))
        .await
        .unwrap();
    oip.model_infer(infer_request("lstm", &[]))
        .await
        .unwrap_err();

    server
        .wait_for_metric(
            "moodtracker_inference_requests_total{api=\"oip\",code=\"OK\",method=\"classify\",model=\"lstm\",rpc=\"ModelInfer\"} 2",
        )
        .await;
    let stats = model_statistics(&server, "lstm").await;
    let info = server.model_info(ModelKind::Lstm).await;
    assert_eq!(
        (stats.name.as_str(), &stats.version),
        ("lstm", &info.version)
    );
    assert_eq!(stats.inference_count, TEXTS.len() as u64 + 1);
    let inference = stats.inference_stats.unwrap();
    assert_eq!(inference.success.unwrap().count, 2);
    assert_eq!(inference.fail.unwrap().count, 1);
    assert!(stats.last_inference > 0);
    let all = oip
        .model_statistics(pb::ModelStatisticsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = all.model_stats.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["roberta", "lstm"]);
}

async fn model_statistics(server: &Server, name: &str) -> pb::ModelStatistics {
    let request = pb::ModelStatisticsRequest {
        name: name.into(),
        version: String::new(),
    };
    let response = server.oip().await.model_statistics(request).await.unwrap();
    let mut stats = response.into_inner().model_stats;
    assert_eq!(stats.len(), 1);
    stats.remove(0)
}

#[tokio::test]
async fn the_protocols_other_rpcs_are_unimplemented() {
    let server = spawn_server(&[]).await.ready().await;
    let mut grpc = tonic::client::Grpc::new(server.channel().await);

    for rpc in [
        "RepositoryIndex",
        "SystemSharedMemoryStatus",
        "TraceSetting",
        "LogSettings",
    ] {
        grpc.ready().await.unwrap();
        let path = format!("/inference.GRPCInferenceService/{rpc}")
            .parse()
            .unwrap();
        let codec = tonic_prost::ProstCodec::<(), ()>::default();
        let status = grpc
            .unary(tonic::Request::new(()), path, codec)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unimplemented, "{rpc}: {status:?}");
    }
}

/// Skips loudly, or fails under CI=true.
fn skip(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why} (CI=true: a skip is a failure)");
    }
    eprintln!("!!!!! SKIPPED tritonclient test: {why}");
}

/// The python of a venv holding tritonclient, installed by `scripts/oip-tools.sh` on first use.
async fn tritonclient_python(repo: &Path) -> Option<String> {
    let out = tokio::process::Command::new("bash")
        .arg("scripts/oip-tools.sh")
        .current_dir(repo)
        .output()
        .await;
    match out {
        Ok(out) if out.status.success() => {
            Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            skip(&format!(
                "scripts/oip-tools.sh could not install tritonclient: {stderr}"
            ));
            None
        }
        Err(e) => {
            skip(&format!("cannot run bash scripts/oip-tools.sh: {e}"));
            None
        }
    }
}

/// Classify's answers for `TEXTS` by each model, as `oip_tritonclient.py` expects them.
async fn expected_answers(server: &Server) -> serde_json::Value {
    let mut models = serde_json::Map::new();
    for (name, kind) in [("roberta", ModelKind::Roberta), ("lstm", ModelKind::Lstm)] {
        let info = server.model_info(kind).await;
        let outputs = server.classify_with(kind, TEXTS).await;
        let scores: Vec<Vec<f32>> = outputs
            .iter()
            .map(|o| o.scores.iter().map(|s| s.score).collect())
            .collect();
        let answer = serde_json::json!({
            "version": info.version,
            "labels": info.labels,
            "label": outputs.iter().map(|o| o.label.clone()).collect::<Vec<_>>(),
            "scores": scores,
            "mood_score": outputs.iter().map(|o| o.mood_score).collect::<Vec<_>>(),
            "logits": outputs.iter().map(|o| o.logits.clone()).collect::<Vec<_>>(),
        });
        models.insert(name.to_string(), answer);
    }
    serde_json::json!({ "texts": TEXTS, "models": models })
}

/// The real `tritonclient` from PyPI: liveness, readiness, metadata, config, `infer` with
/// `InferInput("text", [N], "BYTES")` and `as_numpy` on every output, the stream, errors and
/// statistics, with the answers compared to `Classify`'s (`tests/oip_tritonclient.py`).
#[tokio::test]
async fn tritonclient_gets_classifys_answers() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let Some(python) = tritonclient_python(repo).await else {
        return;
    };
    let server = spawn_server(&[]).await.ready().await;
    let expected = std::env::temp_dir().join(format!("oip-expected-{}.json", server.grpc.port()));
    let answers = expected_answers(&server).await;
    std::fs::write(&expected, answers.to_string()).unwrap();

    let out = tokio::process::Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oip_tritonclient.py"))
        .arg(server.grpc.to_string())
        .arg(&expected)
        .output()
        .await
        .unwrap();

    let _ = std::fs::remove_file(&expected);
    let report = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tritonclient:\n{report}\nserver log:\n{}",
        server.log()
    );
    eprintln!("{report}");
}
