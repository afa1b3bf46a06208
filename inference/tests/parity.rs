//! Parity with the reference implementations: every fixture model in `tests/fixtures` (written
//! by `make_fixtures.py` with transformers and the project's PyTorch LSTM) must give the same
//! token ids, truncation flags and logits here, alone and in padded batches. Every model is
//! checked on every path: the fused CPU kernels (the default on a CPU, within 1e-4) and candle's
//! op-by-op path (what a GPU runs) in f32 (within 1e-4) and in f16 and bf16 (the same top label,
//! logits within 2e-2 in f16 and 4e-2 in bf16). Built with the `candle-transformers` feature (as
//! CI also runs it), a transformer's candle path is checked twice where candle-transformers'
//! encoder serves it (f32 and f16): once through that encoder, once through our own layers.
//!
//! `INFERENCE_DEVICE=cuda` (what scripts/gpu-check.sh sets, in a `cuda` build) runs candle's path
//! on that GPU instead: f32 within 1e-3 (a GPU sums in another order), f16 and bf16 as above.

use std::path::{Path, PathBuf};

use candle_core::DType;
use moodtracker_inference::model::{self, Classifier, Encoding, Kind, LoadOptions, ProblemType};
use serde::Deserialize;

#[path = "support/device.rs"]
mod device;
use device::target_device;

/// How far a path may stray from the reference, by dtype and device.
const F32_CPU_TOLERANCE: f32 = 1e-4;
const F32_GPU_TOLERANCE: f32 = 1e-3;
const F16_TOLERANCE: f32 = 2e-2;
/// bf16 keeps 8 significant bits to f16's 11: on these fixtures its logits land up to 2.6e-2
/// from the reference on the CPU (f16: 3.9e-3), with every label the same.
const BF16_TOLERANCE: f32 = 4e-2;

/// One way of running a model and how close it must come.
struct Route {
    label: &'static str,
    opts: LoadOptions,
    tolerance: f32,
}

#[derive(Debug, Deserialize)]
struct Reference {
    limit: usize,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    text: String,
    ids: Vec<u32>,
    truncated: bool,
    /// Logits for the text alone.
    single: Vec<f32>,
    /// Logits for the text inside one batch of every case, padded.
    batched: Vec<f32>,
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(kind: Kind, name: &str) -> (Box<dyn Classifier>, Reference) {
    load_with(kind, name, &LoadOptions::default())
}

fn load_with(kind: Kind, name: &str, opts: &LoadOptions) -> (Box<dyn Classifier>, Reference) {
    let dir = fixture(name);
    let model = model::load(kind, &dir, opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    let text = std::fs::read_to_string(dir.join("reference.json")).expect("reference.json");
    (
        model,
        serde_json::from_str(&text).expect("reference.json parses"),
    )
}

/// The error loading `dir` as `kind` gives; `Box<dyn Classifier>` is not `Debug`, hence no
/// `expect_err`.
fn load_error(kind: Kind, dir: &Path) -> moodtracker_inference::Error {
    match model::load(kind, dir, &LoadOptions::default()) {
        Ok(_) => panic!("{} loaded as {kind:?}", dir.display()),
        Err(e) => e,
    }
}

fn encode_all(model: &dyn Classifier, reference: &Reference) -> Vec<Encoding> {
    let encoder = model.encoder();
    reference
        .cases
        .iter()
        .map(|c| encoder.encode(&c.text).expect("encodes"))
        .collect()
}

/// The index of the largest logit: the label a single-label model picks, and the most likely
/// one of a multi-label model.
fn top(logits: &[f32]) -> usize {
    (0..logits.len())
        .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
        .expect("at least one logit")
}

fn assert_close(name: &str, what: &str, text: &str, got: &[f32], want: &[f32], tolerance: f32) {
    assert_eq!(got.len(), want.len(), "{name} {what} {text:?}: logit count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tolerance,
            "{name} {what} {text:?}: logit {i} is {g}, reference {w} (all: {got:?} vs {want:?})"
        );
    }
    assert_eq!(
        top(got),
        top(want),
        "{name} {what} {text:?}: top label (all: {got:?} vs {want:?})"
    );
}

/// Every path a model of `kind` can take on the target device: on the CPU the fused kernels,
/// then candle's path in f32, f16 and bf16; on a GPU candle's path in the three dtypes. With the
/// `candle-transformers` feature, a transformer's candle path in f32 and f16 also with our own
/// encoder in place of upstream's (bf16 always runs ours).
fn routes(kind: Kind) -> Vec<Route> {
    let device = target_device();
    let candle = |dtype: DType, upstream_encoders: bool| LoadOptions {
        device: device.clone(),
        cpu_kernels: false,
        dtype,
        upstream_encoders,
        ..LoadOptions::default()
    };
    let mut routes = Vec::new();
    if device.is_cpu() {
        routes.push(Route {
            label: "cpu kernels",
            opts: LoadOptions::default(),
            tolerance: F32_CPU_TOLERANCE,
        });
    }
    let f32_tolerance = if device.is_cpu() {
        F32_CPU_TOLERANCE
    } else {
        F32_GPU_TOLERANCE
    };
    let dtypes = [
        ("candle f32", DType::F32, f32_tolerance),
        ("candle f16", DType::F16, F16_TOLERANCE),
        ("candle bf16", DType::BF16, BF16_TOLERANCE),
    ];
    for (label, dtype, tolerance) in dtypes {
        routes.push(Route {
            label,
            opts: candle(dtype, true),
            tolerance,
        });
    }
    if kind == Kind::Roberta && cfg!(feature = "candle-transformers") {
        let ours = [
            ("candle f32, our encoder", DType::F32, f32_tolerance),
            ("candle f16, our encoder", DType::F16, F16_TOLERANCE),
        ];
        for (label, dtype, tolerance) in ours {
            routes.push(Route {
                label,
                opts: candle(dtype, false),
                tolerance,
            });
        }
    }
    routes
}

/// The whole parity check for one fixture, on every path its kind can take.
fn check_parity(kind: Kind, name: &str) {
    for route in routes(kind) {
        check_parity_with(kind, name, &route);
    }
}

fn check_parity_with(kind: Kind, fixture: &str, route: &Route) {
    let (model, reference) = load_with(kind, fixture, &route.opts);
    let name = &format!(
        "{fixture} ({} on {:?}: {})",
        route.label,
        target_device().location(),
        model.info().backend
    );
    assert_eq!(
        model.info().dtype,
        route.opts.dtype.as_str(),
        "{name}: dtype"
    );
    let tolerance = route.tolerance;
    assert_eq!(
        model.info().max_input_tokens,
        reference.limit,
        "{name}: limit"
    );
    let encodings = encode_all(model.as_ref(), &reference);
    for (case, enc) in reference.cases.iter().zip(&encodings) {
        assert_eq!(enc.ids, case.ids, "{name} {:?}: token ids", case.text);
        assert_eq!(
            enc.truncated, case.truncated,
            "{name} {:?}: truncated",
            case.text
        );
        let alone = model.forward(&[enc]).expect("forward");
        assert_close(
            name,
            "alone",
            &case.text,
            &alone[0],
            &case.single,
            tolerance,
        );
    }
    let all: Vec<&Encoding> = encodings.iter().collect();
    let batched = model.forward(&all).expect("batched forward");
    for (case, got) in reference.cases.iter().zip(&batched) {
        assert_close(name, "batched", &case.text, got, &case.batched, tolerance);
    }
    // A different grouping pads differently; no text may notice.
    let reversed: Vec<&Encoding> = encodings.iter().rev().take(4).collect();
    let logits = model.forward(&reversed).expect("reversed forward");
    for (case, got) in reference.cases.iter().rev().zip(&logits) {
        assert_close(name, "reordered", &case.text, got, &case.single, tolerance);
    }
}

#[test]
fn roberta_single_label_matches_transformers() {
    check_parity(Kind::Roberta, "roberta-tiny");
}

#[test]
fn roberta_multi_label_with_f16_weights_and_a_padding_tokenizer_matches_transformers() {
    check_parity(Kind::Roberta, "roberta-multi");
}

#[test]
fn bert_on_the_roberta_path_matches_transformers() {
    check_parity(Kind::Roberta, "bert-tiny");
}

#[test]
fn xlm_roberta_on_the_roberta_path_matches_transformers() {
    check_parity(Kind::Roberta, "xlmr-tiny");
}

#[test]
fn one_layer_unidirectional_lstm_matches_pytorch() {
    check_parity(Kind::Lstm, "lstm-tiny");
}

#[test]
fn two_layer_bidirectional_lstm_matches_pytorch() {
    check_parity(Kind::Lstm, "lstm-bi2");
}

#[test]
fn multi_label_bidirectional_lstm_matches_pytorch() {
    check_parity(Kind::Lstm, "lstm-multi");
}

#[test]
fn model_info_describes_the_checkpoint() {
    let (roberta, _) = load(Kind::Roberta, "roberta-tiny");
    let info = roberta.info();
    assert_eq!(info.labels.names, ["negative", "neutral", "positive"]);
    assert_eq!(info.labels.valences, [2.0, 5.5, 10.0]);
    assert_eq!(info.labels.problem_type, ProblemType::SingleLabel);
    assert_eq!(
        (info.max_input_tokens, info.architecture.as_str()),
        (64, "roberta")
    );
    assert_eq!((info.device.as_str(), info.dtype.as_str()), ("cpu", "f32"));
    assert_eq!(info.backend, "cpu-kernels");
    assert_eq!(info.version.len(), 16);
    assert!(info.version.chars().all(|c| c.is_ascii_hexdigit()));
    let (multi, _) = load(Kind::Roberta, "roberta-multi");
    assert_eq!(multi.info().labels.problem_type, ProblemType::MultiLabel);
    assert_ne!(multi.info().version, info.version);
    let (lstm, _) = load(Kind::Lstm, "lstm-tiny");
    assert_eq!(
        (
            lstm.info().max_input_tokens,
            lstm.info().architecture.as_str()
        ),
        (32, "lstm_classifier")
    );
}

#[test]
fn a_text_past_the_limit_is_cut_to_the_limit_keeping_the_closing_token() {
    let (model, reference) = load(Kind::Roberta, "roberta-tiny");
    let long = reference
        .cases
        .iter()
        .find(|c| c.truncated)
        .expect("a long case");
    let enc = model.encoder().encode(&long.text).expect("encodes");
    assert_eq!(enc.ids.len(), 64);
    assert_eq!((enc.ids[0], enc.ids[63]), (0, 2), "<s> first and </s> last");
}

#[test]
fn configured_valences_change_the_mood_score_not_the_logits() {
    let opts = LoadOptions {
        valences: Some([("POSITIVE".to_string(), 8.0)].into()),
        ..LoadOptions::default()
    };
    let model = model::load(Kind::Lstm, &fixture("lstm-tiny"), &opts).expect("loads");
    assert_eq!(model.info().labels.valences, [2.0, 5.5, 8.0]);
}

#[test]
fn a_directory_without_a_model_fails_to_load_with_its_path() {
    let dir = fixture("no-such-model");
    for kind in [Kind::Roberta, Kind::Lstm] {
        let err = load_error(kind, &dir);
        assert!(err.to_string().contains("no-such-model"), "{err}");
    }
}

#[test]
fn loading_an_lstm_directory_as_roberta_fails_clearly() {
    let err = load_error(Kind::Roberta, &fixture("lstm-tiny"));
    assert!(err.to_string().contains("lstm-tiny"), "{err}");
}

#[test]
fn an_encoding_longer_than_the_model_limit_is_refused_not_truncated() {
    let (model, _) = load(Kind::Roberta, "roberta-tiny");
    let too_long = Encoding {
        ids: vec![0; 65],
        truncated: false,
    };
    let err = model.forward(&[&too_long]).expect_err("must fail");
    assert!(
        matches!(err, moodtracker_inference::Error::InvalidArgument(_)),
        "{err}"
    );
}
