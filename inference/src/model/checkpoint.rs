//! Reading a model directory: `config.json` fields every architecture shares (labels, problem
//! type) and `model.safetensors` as tensors of the serving dtype on the target device, with a
//! version digest.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Labels, ProblemType};
use crate::Error;

/// Hex characters of the SHA-256 kept as the model version: enough to tell checkpoints apart,
/// short enough to read in a dashboard.
const VERSION_HEX_CHARS: usize = 16;

/// A `Error::Load` for `dir`.
pub(crate) fn load_error(dir: &Path, reason: impl Into<String>) -> Error {
    Error::Load {
        dir: dir.to_path_buf(),
        reason: reason.into(),
    }
}

/// Parses `config.json` from `dir` into `T`.
pub(crate) fn read_config<T: for<'de> Deserialize<'de>>(dir: &Path) -> Result<T, Error> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| load_error(dir, format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| load_error(dir, format!("{}: {e}", path.display())))
}

/// The label fields of a Hugging Face style `config.json`.
#[derive(Debug, Deserialize)]
pub(crate) struct LabelConfig {
    /// Keys are label ids as strings ("0", "1", ...), as transformers writes them.
    #[serde(default)]
    id2label: Option<BTreeMap<String, String>>,
    #[serde(default)]
    num_labels: Option<usize>,
    #[serde(default)]
    problem_type: Option<String>,
}

impl LabelConfig {
    /// Labels in id order. Without `id2label`, transformers' own default names (`LABEL_i`).
    pub(crate) fn labels(
        &self,
        dir: &Path,
        valences: Option<&HashMap<String, f32>>,
    ) -> Result<Labels, Error> {
        let names = match (&self.id2label, self.num_labels) {
            (Some(map), _) => names_in_id_order(dir, map)?,
            (None, Some(n)) => (0..n).map(|i| format!("LABEL_{i}")).collect(),
            (None, None) => return Err(load_error(dir, "config.json has no id2label")),
        };
        let problem_type = match self.problem_type.as_deref() {
            Some("multi_label_classification") => ProblemType::MultiLabel,
            _ => ProblemType::SingleLabel,
        };
        Ok(Labels::new(names, problem_type, valences))
    }
}

/// Orders `id2label` by numeric id and checks the ids are exactly `0..n`.
fn names_in_id_order(dir: &Path, map: &BTreeMap<String, String>) -> Result<Vec<String>, Error> {
    let mut by_id = Vec::with_capacity(map.len());
    for (id, name) in map {
        let id: usize = id
            .parse()
            .map_err(|_| load_error(dir, format!("id2label has a non-numeric id {id:?}")))?;
        by_id.push((id, name.clone()));
    }
    by_id.sort();
    if by_id.iter().enumerate().any(|(i, (id, _))| i != *id) || by_id.is_empty() {
        return Err(load_error(dir, "id2label ids must be 0..n"));
    }
    Ok(by_id.into_iter().map(|(_, name)| name).collect())
}

/// A checkpoint's tensors and where they came from.
#[derive(Debug)]
pub(crate) struct Weights {
    /// Names with any of the requested prefixes removed; values f32 on the target device.
    pub tensors: HashMap<String, Tensor>,
    /// First hex characters of the file's SHA-256.
    pub version: String,
}

/// Reads `model.safetensors`, removes the first matching prefix in `strip` from each name (Hugging
/// Face saves the encoder under `roberta.`/`bert.` in task models but not in base models), and
/// converts every tensor to `dtype` on the CPU before moving it to `device`, so one dtype runs
/// throughout whatever the checkpoint was saved in.
pub(crate) fn read_weights(
    dir: &Path,
    strip: &[&str],
    device: &Device,
    dtype: DType,
) -> Result<Weights, Error> {
    let path = dir.join("model.safetensors");
    let bytes =
        std::fs::read(&path).map_err(|e| load_error(dir, format!("{}: {e}", path.display())))?;
    let version = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..VERSION_HEX_CHARS]
        .to_string();
    let raw = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
        .map_err(|e| load_error(dir, format!("{}: {e}", path.display())))?;
    let mut tensors = HashMap::with_capacity(raw.len());
    for (name, tensor) in raw {
        let name = strip
            .iter()
            .find_map(|p| name.strip_prefix(p))
            .map(str::to_string)
            .unwrap_or(name);
        tensors.insert(name, tensor.to_dtype(dtype)?.to_device(device)?);
    }
    Ok(Weights { tensors, version })
}

/// "cpu" or "cuda:N", as `ListModels` reports it.
pub(crate) fn device_name(device: &Device) -> String {
    match device.location() {
        candle_core::DeviceLocation::Cpu => "cpu".into(),
        candle_core::DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        candle_core::DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
    }
}
