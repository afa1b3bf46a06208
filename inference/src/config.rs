//! The service's settings, read with `envy` from an injectable list of variables (main passes
//! `std::env::vars()`; tests pass a map) and validated before any port is bound.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `INFERENCE_GRPC_ADDR` | `0.0.0.0:50051` | gRPC: Inference, health, reflection |
//! | `INFERENCE_METRICS_ADDR` | `0.0.0.0:9090` | Prometheus `/metrics` |
//! | `INFERENCE_ROBERTA_MODEL` | `models/roberta-sentiment` | RoBERTa-family model directory |
//! | `INFERENCE_LSTM_MODEL` | `models/lstm-sentiment` | LSTM model directory |
//! | `INFERENCE_DEVICE` | `cpu` | `cpu`, `cuda` or `cuda:N` (CUDA needs the `cuda` feature) |
//! | `INFERENCE_THREADS` | the CPUs the process may use | threads a CPU forward pass spreads over |
//! | `INFERENCE_CPU_KERNELS` | `true` | `false`: candle's op-by-op path on the CPU too (A/B, triage) |
//! | `INFERENCE_CPU_ISA` | `native` | `native` or `avx2`: cap the CPU kernels at AVX2 on an AVX-512 CPU (to measure what AVX2-only nodes get) |
//! | `INFERENCE_DTYPE` | `f32` | `f32`, `f16` or `bf16`: the weights' and activations' type (f16/bf16 need candle's path) |
//! | `INFERENCE_MAX_BATCH_SIZE` | `32` | texts in one forward pass |
//! | `INFERENCE_MAX_BATCH_TOKENS` | `16384` | padded tokens (texts x longest) in one forward pass |
//! | `INFERENCE_MAX_BATCH_WAIT_MS` | `0` | how long the first request of an idle worker waits for company (0: none; requests that arrive while a pass runs form the next batch) |
//! | `INFERENCE_MAX_QUEUE` | `256` | requests admitted at once; more get RESOURCE_EXHAUSTED |
//! | `INFERENCE_MAX_TEXTS` | `128` | texts in one request |
//! | `INFERENCE_MAX_TEXT_CHARS` | `5000` | Unicode scalar values in one text |
//! | `INFERENCE_MAX_EXPLAIN_WORDS` | `128` | words in one `Explain` text (each costs a text in its pass) |
//! | `INFERENCE_VALENCES` | unset | `label=valence,...`; unset: negative 2, neutral 5.5, positive 10 |
//! | `INFERENCE_DRAIN_TIMEOUT_SECS` | `20` | how long SIGTERM waits for in-flight requests |
//! | `INFERENCE_LOAD_DELAY_MS` | `0` | sleep before loading models; lets tests see NOT_SERVING |
//! | `RUST_LOG` or `LOG_LEVEL` | `info` | a `tracing` filter (`RUST_LOG` wins) |
//! | `LOG_FORMAT` | `json` | `json` or `pretty` |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | unset | OTLP/gRPC trace export when set |
//! | `OTEL_SERVICE_NAME` | `moodtracker-inference` | `service.name` of exported spans |

use std::{
    collections::HashMap, fmt, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration,
};

use candle_core::DType;
use serde::Deserialize;

use crate::Error;

/// Where models run. Parsed from `INFERENCE_DEVICE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSpec {
    Cpu,
    Cuda(usize),
}

impl DeviceSpec {
    /// Parses `cpu`, `cuda` (device 0) or `cuda:N`, as `INFERENCE_DEVICE` takes it.
    pub fn parse(value: &str) -> Result<Self, Error> {
        parse_device(value)
    }

    /// Opens the device: a CUDA device that is absent or whose driver fails is a config error
    /// naming the variable.
    pub fn open(self) -> Result<candle_core::Device, Error> {
        match self {
            Self::Cpu => Ok(candle_core::Device::Cpu),
            Self::Cuda(n) => candle_core::Device::new_cuda(n)
                .map_err(|e| config_error(format!("INFERENCE_DEVICE=cuda:{n} is not usable: {e}"))),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The validated settings. Nothing here is secret, so `Debug` prints it whole.
#[derive(Debug, Clone)]
pub struct Config {
    pub grpc_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub roberta_model: PathBuf,
    pub lstm_model: PathBuf,
    pub device: DeviceSpec,
    /// Compute threads for the CPU kernels; `None` leaves rayon's default, the CPUs this
    /// process may use (a container's CPU limit included).
    pub threads: Option<usize>,
    /// Run CPU forward passes on the fused kernels (default); `false` keeps candle's op-by-op
    /// path, the GPU's, on the CPU as well: for comparing the two or ruling the kernels out.
    pub cpu_kernels: bool,
    /// The widest instruction set the CPU kernels use (`INFERENCE_CPU_ISA`).
    pub cpu_isa: moodtracker_kernels::Isa,
    /// The weights' and activations' floating-point type. f16 and bf16 halve the memory and
    /// use a GPU's tensor cores; the fused CPU kernels compute in f32 only.
    pub dtype: DType,
    pub batch: BatchLimits,
    pub limits: RequestLimits,
    /// Label name to valence; `None` keeps the models' defaults.
    pub valences: Option<HashMap<String, f32>>,
    pub drain_timeout: Duration,
    pub load_delay: Duration,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub otlp_endpoint: Option<String>,
    /// The `service.name` of exported spans.
    pub otel_service_name: String,
}

/// How the batcher groups requests into forward passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub max_batch_size: usize,
    /// Padded tokens: texts in the batch times the longest text's tokens.
    pub max_batch_tokens: usize,
    pub max_wait: Duration,
}

/// What one request may ask for, and how many may wait at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    pub max_queue: usize,
    pub max_texts: usize,
    pub max_text_chars: usize,
    /// Words in one `Explain` text: each word adds a variant text to the request's pass.
    pub max_explain_words: usize,
}

/// The raw `INFERENCE_*` variables as envy reads them: strings, parsed afterwards so that an
/// error can name the variable (envy's own parse errors do not).
#[derive(Debug, Deserialize)]
struct Raw {
    grpc_addr: Option<String>,
    metrics_addr: Option<String>,
    roberta_model: Option<PathBuf>,
    lstm_model: Option<PathBuf>,
    device: Option<String>,
    threads: Option<String>,
    cpu_kernels: Option<String>,
    cpu_isa: Option<String>,
    dtype: Option<String>,
    max_batch_size: Option<String>,
    max_batch_tokens: Option<String>,
    max_batch_wait_ms: Option<String>,
    max_queue: Option<String>,
    max_texts: Option<String>,
    max_text_chars: Option<String>,
    max_explain_words: Option<String>,
    valences: Option<String>,
    drain_timeout_secs: Option<String>,
    load_delay_ms: Option<String>,
}

/// The unprefixed variables shared with the rest of the platform (envy lower-cases names).
#[derive(Debug, Deserialize)]
struct RawTelemetry {
    rust_log: Option<String>,
    log_level: Option<String>,
    log_format: Option<String>,
    otel_exporter_otlp_endpoint: Option<String>,
    otel_service_name: Option<String>,
}

impl Config {
    /// Reads and validates the settings from `(name, value)` pairs.
    // Named after envy's `from_iter`; `FromIterator` cannot fail, so it is not that trait.
    #[allow(clippy::should_implement_trait)]
    pub fn from_iter(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, Error> {
        // An empty value means "unset", as `.env` files and Helm's empty strings use it.
        let vars: Vec<(String, String)> = vars
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        let raw: Raw = envy::prefixed("INFERENCE_")
            .from_iter(vars.clone())
            .map_err(config_error)?;
        let telemetry: RawTelemetry = envy::from_iter(vars).map_err(config_error)?;
        Self::validate(raw, telemetry)
    }

    fn validate(raw: Raw, telemetry: RawTelemetry) -> Result<Self, Error> {
        let config = Self::read(raw, telemetry)?;
        check_dtype_runs(&config)?;
        Ok(config)
    }

    fn read(raw: Raw, telemetry: RawTelemetry) -> Result<Self, Error> {
        Ok(Self {
            grpc_addr: parse(
                "INFERENCE_GRPC_ADDR",
                raw.grpc_addr,
                ([0, 0, 0, 0], 50051).into(),
            )?,
            metrics_addr: parse(
                "INFERENCE_METRICS_ADDR",
                raw.metrics_addr,
                ([0, 0, 0, 0], 9090).into(),
            )?,
            roberta_model: raw
                .roberta_model
                .unwrap_or_else(|| "models/roberta-sentiment".into()),
            lstm_model: raw
                .lstm_model
                .unwrap_or_else(|| "models/lstm-sentiment".into()),
            device: parse_device(raw.device.as_deref().unwrap_or("cpu"))?,
            threads: raw
                .threads
                .map(|n| positive("INFERENCE_THREADS", Some(n), 1))
                .transpose()?,
            cpu_kernels: parse("INFERENCE_CPU_KERNELS", raw.cpu_kernels, true)?,
            cpu_isa: parse_isa(raw.cpu_isa.as_deref())?,
            dtype: parse_dtype(raw.dtype.as_deref())?,
            batch: BatchLimits {
                max_batch_size: positive("INFERENCE_MAX_BATCH_SIZE", raw.max_batch_size, 32)?,
                max_batch_tokens: positive(
                    "INFERENCE_MAX_BATCH_TOKENS",
                    raw.max_batch_tokens,
                    32 * 512,
                )?,
                // No wait by default: an idle worker runs its first request at once (one text
                // is the common call, and holding it only adds latency); while a pass runs,
                // arrivals queue up and form the next batch, so load still batches.
                max_wait: Duration::from_millis(parse(
                    "INFERENCE_MAX_BATCH_WAIT_MS",
                    raw.max_batch_wait_ms,
                    0,
                )?),
            },
            limits: RequestLimits {
                max_queue: positive("INFERENCE_MAX_QUEUE", raw.max_queue, 256)?,
                max_texts: positive("INFERENCE_MAX_TEXTS", raw.max_texts, 128)?,
                max_text_chars: positive("INFERENCE_MAX_TEXT_CHARS", raw.max_text_chars, 5000)?,
                max_explain_words: positive(
                    "INFERENCE_MAX_EXPLAIN_WORDS",
                    raw.max_explain_words,
                    128,
                )?,
            },
            valences: raw.valences.as_deref().map(parse_valences).transpose()?,
            drain_timeout: Duration::from_secs(parse(
                "INFERENCE_DRAIN_TIMEOUT_SECS",
                raw.drain_timeout_secs,
                20,
            )?),
            load_delay: Duration::from_millis(parse(
                "INFERENCE_LOAD_DELAY_MS",
                raw.load_delay_ms,
                0,
            )?),
            log_filter: telemetry
                .rust_log
                .or(telemetry.log_level)
                .unwrap_or_else(|| "info".into()),
            log_format: parse_log_format(telemetry.log_format.as_deref())?,
            otlp_endpoint: telemetry
                .otel_exporter_otlp_endpoint
                .filter(|e| !e.is_empty()),
            otel_service_name: telemetry
                .otel_service_name
                .unwrap_or_else(|| "moodtracker-inference".into()),
        })
    }
}

/// Parses a variable's value, or takes the default when it is unset.
fn parse<T>(name: &str, value: Option<String>, default: T) -> Result<T, Error>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|e| config_error(format!("{name}={v:?}: {e}"))),
    }
}

/// A count that must be at least 1.
fn positive(name: &str, value: Option<String>, default: usize) -> Result<usize, Error> {
    match parse(name, value, default)? {
        0 => Err(config_error(format!("{name} must be at least 1"))),
        n => Ok(n),
    }
}

fn parse_log_format(value: Option<&str>) -> Result<LogFormat, Error> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("json") => Ok(LogFormat::Json),
        Some("pretty") => Ok(LogFormat::Pretty),
        Some(other) => Err(config_error(format!(
            "LOG_FORMAT must be json or pretty, not {other:?}"
        ))),
    }
}

fn config_error(msg: impl fmt::Display) -> Error {
    Error::Config(msg.to_string())
}

/// `cpu`, `cuda` (device 0) or `cuda:N`. CUDA is refused here, before anything loads, when the
/// binary was built without the `cuda` feature.
fn parse_device(value: &str) -> Result<DeviceSpec, Error> {
    let spec = match value.trim().to_ascii_lowercase().as_str() {
        "cpu" => DeviceSpec::Cpu,
        "cuda" => DeviceSpec::Cuda(0),
        other => match other.strip_prefix("cuda:").map(str::parse) {
            Some(Ok(n)) => DeviceSpec::Cuda(n),
            _ => {
                return Err(config_error(format!(
                    "INFERENCE_DEVICE must be cpu, cuda or cuda:N, not {value:?}"
                )));
            }
        },
    };
    if matches!(spec, DeviceSpec::Cuda(_)) && !cfg!(feature = "cuda") {
        return Err(config_error(format!(
            "INFERENCE_DEVICE={value} needs a build with the `cuda` feature; this one is CPU-only"
        )));
    }
    Ok(spec)
}

/// `native` (the default) or `avx2`.
fn parse_isa(value: Option<&str>) -> Result<moodtracker_kernels::Isa, Error> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("native") => Ok(moodtracker_kernels::Isa::Native),
        Some("avx2") => Ok(moodtracker_kernels::Isa::Avx2),
        Some(other) => Err(config_error(format!(
            "INFERENCE_CPU_ISA must be native or avx2, not {other:?}"
        ))),
    }
}

/// `f32` (the default), `f16` or `bf16`.
fn parse_dtype(value: Option<&str>) -> Result<DType, Error> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("f32") => Ok(DType::F32),
        Some("f16") => Ok(DType::F16),
        Some("bf16") => Ok(DType::BF16),
        Some(other) => Err(config_error(format!(
            "INFERENCE_DTYPE must be f32, f16 or bf16, not {other:?}"
        ))),
    }
}

/// The fused CPU kernels are f32 only: a half-precision dtype on them is refused before
/// anything loads, with the two ways out, rather than silently computed in f32.
fn check_dtype_runs(config: &Config) -> Result<(), Error> {
    if config.dtype == DType::F32 || config.device != DeviceSpec::Cpu || !config.cpu_kernels {
        return Ok(());
    }
    Err(config_error(format!(
        "INFERENCE_DTYPE={} is not supported by the CPU kernels, which compute in f32 only: \
         use INFERENCE_DTYPE=f32 on the CPU, or run {} on INFERENCE_DEVICE=cuda \
         (INFERENCE_CPU_KERNELS=false runs candle's much slower op-by-op path on the CPU instead)",
        config.dtype.as_str(),
        config.dtype.as_str()
    )))
}

/// `negative=2,neutral=5.5,positive=10`: label names are matched case-insensitively by the
/// models, so they are lower-cased here.
fn parse_valences(value: &str) -> Result<HashMap<String, f32>, Error> {
    let bad = |part: &str| {
        config_error(format!(
            "INFERENCE_VALENCES must look like negative=2,neutral=5.5,positive=10; {part:?} does not"
        ))
    };
    let mut map = HashMap::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (label, valence) = part.split_once('=').ok_or_else(|| bad(part))?;
        let valence: f32 = valence.trim().parse().map_err(|_| bad(part))?;
        if label.trim().is_empty() || !valence.is_finite() {
            return Err(bad(part));
        }
        map.insert(label.trim().to_lowercase(), valence);
    }
    if map.is_empty() {
        return Err(bad(value));
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, Error> {
        Config::from_iter(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn defaults_serve_the_bundled_models_on_cpu() {
        let config = config(&[]).unwrap();
        assert_eq!(config.grpc_addr.to_string(), "0.0.0.0:50051");
        assert_eq!(config.metrics_addr.to_string(), "0.0.0.0:9090");
        assert_eq!(
            config.roberta_model,
            PathBuf::from("models/roberta-sentiment")
        );
        assert_eq!(config.device, DeviceSpec::Cpu);
        assert_eq!((config.threads, config.cpu_kernels), (None, true));
        assert_eq!(config.cpu_isa, moodtracker_kernels::Isa::Native);
        assert_eq!(config.dtype, DType::F32);
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.valences, None);
        assert_eq!(config.limits.max_explain_words, 128);
        assert_eq!(config.batch.max_wait, Duration::ZERO, "no wait for company");
    }

    #[test]
    fn reads_batching_limits_and_valences() {
        let config = config(&[
            ("INFERENCE_MAX_BATCH_SIZE", "8"),
            ("INFERENCE_MAX_BATCH_WAIT_MS", "2"),
            ("INFERENCE_MAX_QUEUE", "3"),
            ("INFERENCE_MAX_EXPLAIN_WORDS", "16"),
            ("INFERENCE_THREADS", "4"),
            ("INFERENCE_CPU_KERNELS", "false"),
            ("INFERENCE_VALENCES", "Negative=1, positive=9"),
            ("LOG_LEVEL", "debug"),
            ("LOG_FORMAT", "pretty"),
        ])
        .unwrap();
        assert_eq!(config.batch.max_batch_size, 8);
        assert_eq!(config.batch.max_wait, Duration::from_millis(2));
        assert_eq!(config.limits.max_queue, 3);
        assert_eq!(config.limits.max_explain_words, 16);
        assert_eq!((config.threads, config.cpu_kernels), (Some(4), false));
        let valences = config.valences.unwrap();
        assert_eq!(valences["negative"], 1.0);
        assert_eq!(valences["positive"], 9.0);
        assert_eq!(config.log_filter, "debug");
        assert_eq!(config.log_format, LogFormat::Pretty);
    }

    #[test]
    fn treats_empty_values_as_unset() {
        let config = config(&[
            ("INFERENCE_VALENCES", ""),
            ("INFERENCE_DEVICE", " "),
            ("LOG_FORMAT", ""),
        ])
        .unwrap();
        assert_eq!((config.valences, config.device), (None, DeviceSpec::Cpu));
    }

    #[test]
    fn rust_log_wins_over_log_level() {
        let config = config(&[("LOG_LEVEL", "debug"), ("RUST_LOG", "warn")]).unwrap();
        assert_eq!(config.log_filter, "warn");
    }

    #[test]
    fn rejects_a_malformed_address_naming_the_variable() {
        let err = config(&[("INFERENCE_GRPC_ADDR", "nowhere")]).unwrap_err();
        assert!(
            err.to_string().contains("INFERENCE_GRPC_ADDR=\"nowhere\""),
            "{err}"
        );
        let err = config(&[("INFERENCE_MAX_QUEUE", "lots")]).unwrap_err();
        assert!(err.to_string().contains("INFERENCE_MAX_QUEUE"), "{err}");
    }

    #[test]
    fn rejects_cuda_in_a_cpu_only_build() {
        let result = config(&[("INFERENCE_DEVICE", "cuda:1")]);
        if cfg!(feature = "cuda") {
            assert_eq!(result.unwrap().device, DeviceSpec::Cuda(1));
        } else {
            assert!(result.unwrap_err().to_string().contains("`cuda` feature"));
        }
    }

    #[test]
    fn refuses_half_precision_on_the_cpu_kernels_and_says_what_to_do() {
        for dtype in ["f16", "BF16"] {
            let err = config(&[("INFERENCE_DTYPE", dtype)])
                .unwrap_err()
                .to_string();
            assert!(err.contains("not supported by the CPU kernels"), "{err}");
            assert!(err.contains("INFERENCE_DTYPE=f32"), "{err}");
            assert!(err.contains("INFERENCE_DEVICE=cuda"), "{err}");
        }
    }

    #[test]
    fn accepts_half_precision_on_candles_path() {
        let config = config(&[
            ("INFERENCE_DTYPE", "bf16"),
            ("INFERENCE_CPU_KERNELS", "false"),
        ])
        .unwrap();
        assert_eq!((config.dtype, config.cpu_kernels), (DType::BF16, false));
    }

    #[test]
    fn rejects_an_unknown_dtype_naming_the_choices() {
        let err = config(&[("INFERENCE_DTYPE", "f64")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("f32, f16 or bf16"), "{err}");
    }

    #[test]
    fn rejects_an_unknown_device_zero_limits_and_bad_valences() {
        assert!(config(&[("INFERENCE_DEVICE", "tpu")]).is_err());
        assert!(config(&[("INFERENCE_MAX_BATCH_SIZE", "0")]).is_err());
        assert!(config(&[("INFERENCE_THREADS", "0")]).is_err());
        assert!(config(&[("INFERENCE_MAX_EXPLAIN_WORDS", "0")]).is_err());
        assert!(config(&[("INFERENCE_CPU_KERNELS", "maybe")]).is_err());
        let err = config(&[("INFERENCE_CPU_ISA", "sse9")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("INFERENCE_CPU_ISA must be native or avx2"),
            "{err}"
        );
        let capped = config(&[("INFERENCE_CPU_ISA", "AVX2")]).unwrap();
        assert_eq!(capped.cpu_isa, moodtracker_kernels::Isa::Avx2);
        assert!(config(&[("INFERENCE_VALENCES", "negative")]).is_err());
        assert!(config(&[("INFERENCE_VALENCES", "negative=high")]).is_err());
        assert!(config(&[("LOG_FORMAT", "xml")]).is_err());
    }
}
