//! The bundled default models (models/roberta-sentiment, models/lstm-sentiment at the repository
//! root) load through the service's loader and classify obvious journal sentences right.
//!
//! The weights are committed, so a missing directory is a broken checkout and fails the test
//! rather than skipping it.
//!
//! `INFERENCE_DEVICE=cuda` (scripts/gpu-check.sh, in a `cuda` build) classifies on that GPU, in
//! f32, f16 and bf16.

use std::path::{Path, PathBuf};

use candle_core::DType;
use moodtracker_inference::model::{self, Kind, LoadOptions};

#[path = "support/device.rs"]
mod device;
use device::target_device;

const CASES: &[(&str, &str)] = &[
    ("I feel wonderful today, everything went well", "positive"),
    ("I'm exhausted and everything is falling apart", "negative"),
    ("I had a sandwich for lunch", "neutral"),
];

fn default_model(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../models")
        .join(name);
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        assert!(
            dir.join(file).is_file(),
            "default model file {} is missing: the default models are committed with the \
             repository (see training/README.md to rebuild them)",
            dir.join(file).display()
        );
    }
    dir
}

/// How the service may run the model on the target device: the CPU's default (the fused
/// kernels, f32), or each dtype a GPU offers.
fn target_options() -> Vec<LoadOptions> {
    let device = target_device();
    if device.is_cpu() {
        return vec![LoadOptions::default()];
    }
    [DType::F32, DType::F16, DType::BF16]
        .map(|dtype| LoadOptions {
            device: device.clone(),
            dtype,
            ..LoadOptions::default()
        })
        .into()
}

/// Each case's predicted label, scored one text at a time and as one padded batch.
fn classify(kind: Kind, name: &str, opts: &LoadOptions) -> (Vec<String>, Vec<String>) {
    let model = model::load(kind, &default_model(name), opts)
        .unwrap_or_else(|e| panic!("loading {name}: {e}"));
    let encoder = model.encoder();
    let encodings: Vec<_> = CASES
        .iter()
        .map(|(text, _)| encoder.encode(text).unwrap())
        .collect();
    let label = |logits: &[f32]| model::scores(&model.info().labels, logits).label;
    let single = encodings
        .iter()
        .map(|e| label(&model.forward(&[e]).unwrap()[0]))
        .collect();
    let batch = model
        .forward(&encodings.iter().collect::<Vec<_>>())
        .unwrap();
    (single, batch.iter().map(|l| label(l)).collect())
}

fn assert_obvious_cases(kind: Kind, name: &str) {
    let expected: Vec<&str> = CASES.iter().map(|(_, label)| *label).collect();
    for opts in target_options() {
        let (single, batch) = classify(kind, name, &opts);
        let on = format!(
            "{name} ({} on {:?})",
            opts.dtype.as_str(),
            opts.device.location()
        );
        assert_eq!(single, expected, "{on}, one text at a time, on {CASES:?}");
        assert_eq!(batch, expected, "{on}, as one batch, on {CASES:?}");
    }
}

#[test]
fn the_default_roberta_classifies_obvious_sentences() {
    assert_obvious_cases(Kind::Roberta, "roberta-sentiment");
}

#[test]
fn the_default_lstm_classifies_obvious_sentences() {
    assert_obvious_cases(Kind::Lstm, "lstm-sentiment");
}

/// A bundled model at full size on both paths: the fused CPU kernels must give candle's logits
/// for texts of very different lengths in one packed batch.
fn assert_kernels_agree_with_candle(kind: Kind, name: &str) {
    let dir = default_model(name);
    let fused = model::load(kind, &dir, &LoadOptions::default()).unwrap();
    let candle = LoadOptions {
        cpu_kernels: false,
        ..LoadOptions::default()
    };
    let candle = model::load(kind, &dir, &candle).unwrap();
    let long = "Some days the noise in my head is louder than anything around me. ".repeat(12);
    let texts = [
        "ok",
        CASES[0].0,
        long.as_str(),
        "Ça va mieux 🙂 après une longue marche, même si la semaine a été dure.",
        CASES[1].0,
    ];
    let encoder = fused.encoder();
    let encodings: Vec<_> = texts.iter().map(|t| encoder.encode(t).unwrap()).collect();
    assert!(
        encodings[2].ids.len() > 100,
        "the long text spans many tokens"
    );
    let batch: Vec<_> = encodings.iter().collect();
    let (got, want) = (
        fused.forward(&batch).unwrap(),
        candle.forward(&batch).unwrap(),
    );
    for ((text, got), want) in texts.iter().zip(&got).zip(&want) {
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() <= 1e-4,
                "{name} {text:?}: {got:?} vs candle {want:?}"
            );
        }
    }
}

#[test]
fn the_fused_cpu_kernels_agree_with_candle_on_the_default_roberta() {
    assert_kernels_agree_with_candle(Kind::Roberta, "roberta-sentiment");
}

#[test]
fn the_fused_cpu_kernels_agree_with_candle_on_the_default_lstm() {
    assert_kernels_agree_with_candle(Kind::Lstm, "lstm-sentiment");
}

#[test]
fn the_default_models_label_negative_neutral_positive_in_that_order() {
    for (kind, name) in [
        (Kind::Roberta, "roberta-sentiment"),
        (Kind::Lstm, "lstm-sentiment"),
    ] {
        let model = model::load(kind, &default_model(name), &LoadOptions::default()).unwrap();
        assert_eq!(
            model.info().labels.names,
            ["negative", "neutral", "positive"],
            "{name}"
        );
    }
}
