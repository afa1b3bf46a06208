//! Throughput and latency of the transformer path on a model of all-MiniLM-L6-v2's shape
//! (BERT, 6 layers, hidden 384, 12 heads, intermediate 1536), with random weights: the cost of a
//! forward pass depends on the shape, not on the values.
//!
//!     cargo bench -p moodtracker-inference --bench throughput
//!
//! Times the service's CPU path (the fused kernels) and candle's op-by-op path on the same
//! model (with `--features candle-transformers`, through upstream's BERT encoder and through
//! our own), then an explanation (leave one word out: the text and its n variants in one pass) of
//! texts of 10, 30 and 100 words beside one classification of the same text. Compare with `python inference/benches/reference.py --threads N` (PyTorch and ONNX
//! Runtime on the same shapes), N being the thread count this prints, run right after on the
//! same idle machine. Not a test: nothing is asserted.
//!
//! On a GPU (a `cuda` build, as scripts/gpu-check.sh runs it), `INFERENCE_DEVICE=cuda` and
//! `INFERENCE_DTYPE=f32|f16|bf16` time candle's path on that device in that dtype instead:
//!
//!     INFERENCE_DEVICE=cuda INFERENCE_DTYPE=f16 cargo bench -p moodtracker-inference \
//!         --features cuda --bench throughput

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor};
use moodtracker_inference::{
    config::DeviceSpec,
    explain,
    model::{self, Classifier, Encoding, Kind, LoadOptions},
};

/// `(texts, shortest, longest)`: every text of one length, then a batch of mixed lengths as real
/// traffic gives (PyTorch and ONNX Runtime pad it to the longest; the fused kernels do not).
const SHAPES: [(usize, usize, usize); 6] = [
    (1, 16, 16),
    (1, 64, 64),
    (1, 128, 128),
    (8, 64, 64),
    (32, 64, 64),
    (32, 8, 64),
];
/// A GPU's batches: the CPU's shapes plus one large enough to fill it.
const GPU_SHAPES: [(usize, usize, usize); 4] =
    [(1, 64, 64), (32, 64, 64), (32, 8, 64), (128, 128, 128)];
const HIDDEN: usize = 384;
const LAYERS: usize = 6;
const INTERMEDIATE: usize = 1536;
const VOCAB: usize = 30522;
/// Each shape runs at least this many times and, time allowing, up to `MAX_RUNS`.
const MIN_RUNS: usize = 5;
const MAX_RUNS: usize = 30;
const BUDGET: Duration = Duration::from_secs(8);
/// Words of the texts an explanation is timed on.
const EXPLAIN_WORDS: [usize; 3] = [10, 30, 100];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("moodtracker-bench-{}", std::process::id()));
    write_model(&dir)?;
    let device = std::env::var("INFERENCE_DEVICE").unwrap_or_else(|_| "cpu".into());
    let device = DeviceSpec::parse(&device)?.open()?;
    if !device.is_cpu() {
        let result = on_gpu(&dir, device);
        std::fs::remove_dir_all(&dir)?;
        return result;
    }
    let load = |cpu_kernels, upstream_encoders| {
        let opts = LoadOptions {
            cpu_kernels,
            upstream_encoders,
            ..LoadOptions::default()
        };
        model::load(Kind::Roberta, &dir, &opts)
    };
    let (fused, candle) = (load(true, true), load(false, true));
    // Built with the `candle-transformers` feature, candle's path is upstream's encoder: ours is
    // loaded too, to time beside it in the same run.
    let ours = cfg!(feature = "candle-transformers").then(|| load(false, false));
    std::fs::remove_dir_all(&dir)?;
    let threads = candle_core::utils::get_num_threads();
    println!("MiniLM-L6 shape (random weights), f32 CPU, {threads} threads");
    let fused = fused?;
    println!(
        "kernels: {} (packed weights up to 1024 rows, gemm beyond)",
        moodtracker_kernels::isa_in_use()
    );
    for (title, model) in [
        ("fused CPU kernels (the service's CPU path)", fused.as_ref()),
        (
            "candle op by op (the GPU path, here on the CPU)",
            candle?.as_ref(),
        ),
    ] {
        report(title, model)?;
    }
    if let Some(ours) = ours {
        report("candle op by op, our encoder", ours?.as_ref())?;
    }
    // The same path with every product on gemm, as before the packed weights: old and new in
    // one run.
    moodtracker_kernels::use_packed_weights(false);
    report(
        "gemm-only fused kernels (before packed weights)",
        fused.as_ref(),
    )?;
    moodtracker_kernels::use_packed_weights(true);
    // What a CPU without AVX-512 gets, measured here: the model loaded (and its weights
    // packed) under the cap.
    if moodtracker_kernels::isa_in_use() == "avx512" {
        moodtracker_kernels::cap_isa(moodtracker_kernels::Isa::Avx2);
        write_model(&dir)?;
        let capped = load(true, true);
        std::fs::remove_dir_all(&dir)?;
        report("AVX2-capped fused kernels", capped?.as_ref())?;
        moodtracker_kernels::cap_isa(moodtracker_kernels::Isa::Native);
    }
    // The other model every journal entry goes through, as bundled.
    let lstm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/lstm-sentiment");
    let lstm = model::load(Kind::Lstm, &lstm, &LoadOptions::default())?;
    report("bundled LSTM (models/lstm-sentiment)", lstm.as_ref())?;
    explain_report("fused CPU kernels", fused.as_ref())?;
    explain_report("bundled LSTM", lstm.as_ref())?;
    Ok(())
}

/// Explain against Classify on texts of [`EXPLAIN_WORDS`] words, each timed from the text to
/// its logits: Classify tokenizes the text and runs it alone; Explain splits it into words,
/// builds and tokenizes the text and its n leave-one-out variants, and runs all n + 1 in one
/// forward pass, as the service's batcher does.
fn explain_report(title: &str, model: &dyn Classifier) -> Result<(), Box<dyn std::error::Error>> {
    println!("explain beside one classify, {title}");
    println!(
        "{:>6} {:>8} {:>14} {:>13} {:>7}",
        "words", "tokens", "classify ms", "explain ms", "x"
    );
    let encoder = model.encoder();
    let run = |texts: &[String]| -> Result<(), Box<dyn std::error::Error>> {
        let encodings: Vec<Encoding> = texts
            .iter()
            .map(|t| encoder.encode(t))
            .collect::<Result<_, _>>()?;
        let refs: Vec<&Encoding> = encodings.iter().collect();
        std::hint::black_box(model.forward(&refs)?);
        Ok(())
    };
    for n in EXPLAIN_WORDS {
        let text = sentence(n);
        let (classify, _) = time_runs(|| run(std::slice::from_ref(&text)))?;
        let (explain, _) = time_runs(|| {
            let words = explain::words(&text);
            run(&explain::texts(&text, &words, words.len()))
        })?;
        println!(
            "{n:>6} {:>8} {:>14.2} {:>13.2} {:>7.1}",
            encoder.encode(&text)?.ids.len(),
            ms(classify),
            ms(explain),
            explain.as_secs_f64() / classify.as_secs_f64()
        );
    }
    Ok(())
}

/// A journal-like text of `words` words.
fn sentence(words: usize) -> String {
    const WORDS: [&str; 12] = [
        "today", "work", "was", "long", "but", "dinner", "with", "friends", "felt", "warm", "and",
        "calm",
    ];
    (0..words)
        .map(|i| WORDS[i % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

/// candle's path on `device` in `INFERENCE_DTYPE` (f32 by default).
fn on_gpu(dir: &Path, device: Device) -> Result<(), Box<dyn std::error::Error>> {
    let dtype: DType = std::env::var("INFERENCE_DTYPE")
        .unwrap_or_else(|_| "f32".into())
        .parse()?;
    let location = device.location();
    let opts = LoadOptions {
        device,
        dtype,
        ..LoadOptions::default()
    };
    let model = model::load(Kind::Roberta, dir, &opts)?;
    println!(
        "MiniLM-L6 shape (random weights), {} on {location:?}",
        dtype.as_str()
    );
    let title = format!("candle (the GPU path): {}", model.info().backend);
    report_shapes(&title, model.as_ref(), &GPU_SHAPES)?;
    if cfg!(feature = "candle-transformers") {
        let ours = LoadOptions {
            upstream_encoders: false,
            ..opts
        };
        let ours = model::load(Kind::Roberta, dir, &ours)?;
        report_shapes("candle, our encoder", ours.as_ref(), &GPU_SHAPES)?;
    }
    Ok(())
}

fn report(title: &str, model: &dyn Classifier) -> Result<(), Box<dyn std::error::Error>> {
    report_shapes(title, model, &SHAPES)
}

fn report_shapes(
    title: &str,
    model: &dyn Classifier,
    shapes: &[(usize, usize, usize)],
) -> Result<(), Box<dyn std::error::Error>> {
    println!("{title}");
    println!(
        "{:>9} {:>12} {:>12} {:>14}",
        "shape", "median ms", "p90 ms", "tokens/s"
    );
    for &shape in shapes {
        let encodings = batch(shape);
        let tokens: usize = encodings.iter().map(|e| e.ids.len()).sum();
        let (median, p90) = time(model, &encodings)?;
        println!(
            "{:>9} {:>12.2} {:>12.2} {:>14.0}",
            label(shape),
            ms(median),
            ms(p90),
            tokens as f64 / median.as_secs_f64()
        );
    }
    Ok(())
}

fn label((texts, shortest, longest): (usize, usize, usize)) -> String {
    if shortest == longest {
        format!("{texts}x{longest}")
    } else {
        format!("{texts}x{shortest}-{longest}")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median and 90th percentile of forward passes over `encodings`.
fn time(
    model: &dyn Classifier,
    encodings: &[Encoding],
) -> Result<(Duration, Duration), Box<dyn std::error::Error>> {
    let refs: Vec<&Encoding> = encodings.iter().collect();
    time_runs(|| {
        std::hint::black_box(model.forward(&refs)?);
        Ok(())
    })
}

/// Median and 90th percentile of `run`, after one warm-up run (allocator and thread pool).
fn time_runs(
    mut run: impl FnMut() -> Result<(), Box<dyn std::error::Error>>,
) -> Result<(Duration, Duration), Box<dyn std::error::Error>> {
    run()?;
    let started = Instant::now();
    let mut runs = Vec::new();
    while runs.len() < MIN_RUNS || (runs.len() < MAX_RUNS && started.elapsed() < BUDGET) {
        let t = Instant::now();
        run()?;
        runs.push(t.elapsed());
    }
    runs.sort();
    Ok((runs[runs.len() / 2], runs[runs.len() * 9 / 10]))
}

/// The shape's texts; text `row` has `shortest + (row * 37) % (longest - shortest + 1)` tokens
/// (reference.py uses the same formula).
fn batch((texts, shortest, longest): (usize, usize, usize)) -> Vec<Encoding> {
    (0..texts)
        .map(|row| encoding(row, shortest + (row * 37) % (longest - shortest + 1)))
        .collect()
}

/// `[CLS] ... [SEP]` with arbitrary word ids, `seq` tokens long.
fn encoding(row: usize, seq: usize) -> Encoding {
    let mut ids: Vec<u32> = (0..seq)
        .map(|i| (1000 + (row * 131 + i * 17) % 20000) as u32)
        .collect();
    ids[0] = 101;
    ids[seq - 1] = 102;
    Encoding {
        ids,
        truncated: false,
    }
}

/// A BertForSequenceClassification directory of MiniLM's shape with random weights, and the
/// fixture tokenizer (the benchmark feeds token ids directly).
fn write_model(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let config = serde_json::json!({
        "model_type": "bert", "vocab_size": VOCAB, "hidden_size": HIDDEN,
        "num_hidden_layers": LAYERS, "num_attention_heads": 12, "intermediate_size": INTERMEDIATE,
        "hidden_act": "gelu", "max_position_embeddings": 512, "type_vocab_size": 2,
        "layer_norm_eps": 1e-12, "pad_token_id": 0,
        "id2label": {"0": "negative", "1": "neutral", "2": "positive"},
    });
    std::fs::write(dir.join("config.json"), config.to_string())?;
    candle_core::safetensors::save(&random_weights()?, dir.join("model.safetensors"))?;
    std::fs::copy(fixture_tokenizer(), dir.join("tokenizer.json"))?;
    Ok(())
}

fn fixture_tokenizer() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roberta-tiny/tokenizer.json")
}

fn random_weights() -> candle_core::Result<HashMap<String, Tensor>> {
    let mut shapes: Vec<(String, Vec<usize>)> = vec![
        (
            "embeddings.word_embeddings.weight".into(),
            vec![VOCAB, HIDDEN],
        ),
        (
            "embeddings.position_embeddings.weight".into(),
            vec![512, HIDDEN],
        ),
        (
            "embeddings.token_type_embeddings.weight".into(),
            vec![2, HIDDEN],
        ),
        ("pooler.dense.weight".into(), vec![HIDDEN, HIDDEN]),
        ("classifier.weight".into(), vec![3, HIDDEN]),
    ];
    for layer in 0..LAYERS {
        let p = format!("encoder.layer.{layer}");
        for name in [
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
        ] {
            shapes.push((format!("{p}.{name}.weight"), vec![HIDDEN, HIDDEN]));
        }
        shapes.push((
            format!("{p}.intermediate.dense.weight"),
            vec![INTERMEDIATE, HIDDEN],
        ));
        shapes.push((
            format!("{p}.output.dense.weight"),
            vec![HIDDEN, INTERMEDIATE],
        ));
    }
    let mut weights = HashMap::new();
    for (name, shape) in shapes {
        let bias = name.replace(".weight", ".bias");
        let rows = shape[0];
        weights.insert(
            name.clone(),
            Tensor::randn(0f32, 0.05, shape, &Device::Cpu)?,
        );
        if !name.contains("embeddings") {
            weights.insert(bias, Tensor::zeros(rows, DType::F32, &Device::Cpu)?);
        }
    }
    let mut norms = vec!["embeddings.LayerNorm".to_string()];
    for layer in 0..LAYERS {
        norms.push(format!("encoder.layer.{layer}.attention.output.LayerNorm"));
        norms.push(format!("encoder.layer.{layer}.output.LayerNorm"));
    }
    for norm in norms {
        weights.insert(
            format!("{norm}.weight"),
            Tensor::ones(HIDDEN, DType::F32, &Device::Cpu)?,
        );
        weights.insert(
            format!("{norm}.bias"),
            Tensor::zeros(HIDDEN, DType::F32, &Device::Cpu)?,
        );
    }
    Ok(weights)
}
