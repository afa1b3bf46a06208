//! The descriptive answers: server metadata, model metadata, Triton's model configuration, and
//! model statistics, all built from what `ListModels` reports.

use std::collections::HashMap;

use moodtracker_proto::oip as pb;
use pb::model_metadata_response::TensorMetadata;

use super::models::{self, BYTES, INPUT, Output};
use crate::{
    model::{ModelInfo, ProblemType},
    stats::ModelStats,
};

/// The name `ServerMetadata` gives.
pub const SERVER_NAME: &str = "moodtracker-inference";

pub fn server_metadata() -> pb::ServerMetadataResponse {
    pb::ServerMetadataResponse {
        name: SERVER_NAME.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        extensions: Vec::new(),
    }
}

pub fn model_metadata(info: &ModelInfo) -> pb::ModelMetadataResponse {
    let labels = info.labels.names.len();
    pb::ModelMetadataResponse {
        name: models::name(info).into(),
        versions: vec![info.version.clone()],
        platform: models::platform(info),
        inputs: vec![TensorMetadata {
            name: INPUT.into(),
            datatype: BYTES.into(),
            shape: vec![-1],
        }],
        outputs: Output::ALL
            .into_iter()
            .map(|output| TensorMetadata {
                name: output.name().into(),
                datatype: output.datatype().into(),
                shape: output.shape(-1, labels),
            })
            .collect(),
    }
}

/// Triton's configuration: no batch dimension of its own (`max_batch_size: 0`), so the dims are
/// the full shapes. The labels, which Triton would keep in a `label_filename`, are a JSON list
/// in `parameters["labels"]`.
pub fn model_config(info: &ModelInfo) -> pb::ModelConfigResponse {
    let labels = info.labels.names.len();
    let config = pb::ModelConfig {
        name: models::name(info).into(),
        platform: models::platform(info),
        max_batch_size: 0,
        input: vec![pb::ModelInput {
            name: INPUT.into(),
            data_type: pb::DataType::TypeString.into(),
            dims: vec![-1],
        }],
        output: Output::ALL
            .into_iter()
            .map(|output| pb::ModelOutput {
                name: output.name().into(),
                data_type: data_type(output).into(),
                dims: output.shape(-1, labels),
                label_filename: String::new(),
            })
            .collect(),
        parameters: parameters(info),
        backend: String::new(),
    };
    pb::ModelConfigResponse {
        config: Some(config),
    }
}

fn data_type(output: Output) -> pb::DataType {
    match output.datatype() {
        BYTES => pb::DataType::TypeString,
        _ => pb::DataType::TypeFp32,
    }
}

fn parameters(info: &ModelInfo) -> HashMap<String, pb::ModelParameter> {
    let problem_type = match info.labels.problem_type {
        ProblemType::SingleLabel => "single_label_classification",
        ProblemType::MultiLabel => "multi_label_classification",
    };
    let labels = serde_json::to_string(&info.labels.names).expect("strings serialize");
    [
        ("labels", labels),
        ("problem_type", problem_type.to_string()),
        ("max_input_tokens", info.max_input_tokens.to_string()),
        ("device", info.device.clone()),
        ("dtype", info.dtype.clone()),
    ]
    .into_iter()
    .map(|(key, value)| {
        let value = pb::ModelParameter {
            string_value: value,
        };
        (key.to_string(), value)
    })
    .collect()
}

/// One model's statistics; queue and compute times are not broken out, so those stay empty.
pub fn model_statistics(info: &ModelInfo, stats: ModelStats) -> pb::ModelStatistics {
    let duration = |count, ns| Some(pb::StatisticDuration { count, ns });
    pb::ModelStatistics {
        name: models::name(info).into(),
        version: info.version.clone(),
        last_inference: stats.last_inference_ms,
        inference_count: stats.inference_count,
        execution_count: 0,
        inference_stats: Some(pb::InferStatistics {
            success: duration(stats.success_count, stats.success_ns),
            fail: duration(stats.fail_count, stats.fail_ns),
            ..Default::default()
        }),
        batch_stats: Vec::new(),
    }
}
