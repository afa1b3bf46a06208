//! `ModelInferRequest` to texts and requested outputs, and a native classification back to a
//! `ModelInferResponse` with its outputs in `raw_output_contents`, as Triton returns them.
//!
//! Every refusal here is INVALID_ARGUMENT naming the tensor and what it should have been; the
//! texts themselves are then checked by the native validation (count, emptiness, length).

use moodtracker_proto::{inference::v1 as native, oip as pb};
use pb::{
    InferTensorContents,
    model_infer_request::{InferInputTensor, InferRequestedOutputTensor},
    model_infer_response::InferOutputTensor,
};

use super::{
    models::{self, BYTES, INPUT, Output},
    tensor,
};
use crate::{Error, model::ModelInfo};

/// How errors name the input.
const WHAT: &str = "input 'text'";
/// What a request should send, for the error messages.
const EXPECTED: &str = "one input, 'text' (BYTES, shape [N] or [N, 1])";

/// A request that passed the protocol's checks.
#[derive(Debug)]
pub struct Parsed {
    pub texts: Vec<String>,
    /// Without repeats, in request order; every output when the request named none.
    pub outputs: Vec<Output>,
}

pub fn parse(request: pb::ModelInferRequest) -> Result<Parsed, Error> {
    let outputs = requested_outputs(&request.outputs)?;
    let elements = input_elements(request.inputs, request.raw_input_contents)?;
    Ok(Parsed {
        texts: tensor::texts(elements, WHAT)?,
        outputs,
    })
}

fn requested_outputs(requested: &[InferRequestedOutputTensor]) -> Result<Vec<Output>, Error> {
    if requested.is_empty() {
        return Ok(Output::ALL.to_vec());
    }
    let mut outputs = Vec::with_capacity(requested.len());
    for tensor in requested {
        let output = Output::from_name(&tensor.name).ok_or_else(|| {
            invalid(format!(
                "unknown output {:?}; the outputs are label, scores, mood_score and logits",
                tensor.name
            ))
        })?;
        if tensor.parameters.contains_key("classification") {
            return Err(invalid(format!(
                "output {:?} asks for the classification extension, which this server does not \
                 support; request the 'label' and 'scores' outputs instead",
                tensor.name
            )));
        }
        if !outputs.contains(&output) {
            outputs.push(output);
        }
    }
    Ok(outputs)
}

fn input_elements(inputs: Vec<InferInputTensor>, raw: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>, Error> {
    if let Some(other) = inputs.iter().find(|input| input.name != INPUT) {
        return Err(invalid(format!(
            "unknown input {:?}; the model takes {EXPECTED}",
            other.name
        )));
    }
    let Ok([input]) = <[InferInputTensor; 1]>::try_from(inputs) else {
        return Err(invalid(format!(
            "{WHAT} must be given exactly once; the model takes {EXPECTED}"
        )));
    };
    if input.datatype != BYTES {
        return Err(invalid(format!(
            "{WHAT} has datatype {:?}; it must be BYTES (UTF-8 texts)",
            input.datatype
        )));
    }
    let contents = input
        .contents
        .filter(|c| *c != InferTensorContents::default());
    let elements = match (raw.as_slice(), contents) {
        ([], None) => {
            return Err(invalid(format!(
                "{WHAT} carries no data; send its texts in raw_input_contents or in \
                 contents.bytes_contents"
            )));
        }
        ([], Some(contents)) => bytes_contents(contents)?,
        ([raw], None) => tensor::split_bytes(raw, "raw_input_contents[0]")?,
        (_, Some(_)) => {
            return Err(invalid(format!(
                "{WHAT} has contents and the request also has raw_input_contents; send the texts \
                 in one of the two"
            )));
        }
        (raw, None) => {
            return Err(invalid(format!(
                "raw_input_contents has {} entries for 1 input; it must have one per input",
                raw.len()
            )));
        }
    };
    tensor::check_text_shape(&input.shape, elements.len(), WHAT)?;
    Ok(elements)
}

/// The texts of a BYTES tensor sent in `contents`; any other typed field is a mistake.
fn bytes_contents(contents: InferTensorContents) -> Result<Vec<Vec<u8>>, Error> {
    let bytes_only = InferTensorContents {
        bytes_contents: contents.bytes_contents.clone(),
        ..Default::default()
    };
    if contents != bytes_only {
        return Err(invalid(format!(
            "{WHAT} is BYTES, so its contents go in contents.bytes_contents and no other field"
        )));
    }
    Ok(contents.bytes_contents)
}

/// The response for one model's classification of the texts, with `outputs` in their order.
pub fn response(
    info: &ModelInfo,
    id: String,
    outputs: &[Output],
    classified: &native::ClassifyResponse,
) -> pb::ModelInferResponse {
    // The request named one model, so each text has exactly one output.
    let results: Vec<&native::ModelOutput> = classified
        .results
        .iter()
        .map(|result| &result.outputs[0])
        .collect();
    let labels = info.labels.names.len();
    pb::ModelInferResponse {
        model_name: models::name(info).into(),
        model_version: info.version.clone(),
        id,
        parameters: Default::default(),
        outputs: outputs
            .iter()
            .map(|&output| InferOutputTensor {
                name: output.name().into(),
                datatype: output.datatype().into(),
                shape: output.shape(results.len() as i64, labels),
                ..Default::default()
            })
            .collect(),
        raw_output_contents: outputs.iter().map(|&o| raw_output(o, &results)).collect(),
    }
}

fn raw_output(output: Output, results: &[&native::ModelOutput]) -> Vec<u8> {
    match output {
        Output::Label => tensor::join_bytes(results.iter().map(|r| r.label.as_bytes())),
        Output::Scores => tensor::fp32_bytes(
            results
                .iter()
                .flat_map(|r| r.scores.iter().map(|s| s.score)),
        ),
        Output::MoodScore => tensor::fp32_bytes(results.iter().map(|r| r.mood_score)),
        Output::Logits => tensor::fp32_bytes(results.iter().flat_map(|r| r.logits.clone())),
    }
}

fn invalid(message: String) -> Error {
    Error::InvalidArgument(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(datatype: &str, shape: &[i64]) -> InferInputTensor {
        InferInputTensor {
            name: INPUT.into(),
            datatype: datatype.into(),
            shape: shape.to_vec(),
            ..Default::default()
        }
    }

    fn refusal(inputs: Vec<InferInputTensor>, raw: Vec<Vec<u8>>) -> String {
        input_elements(inputs, raw).unwrap_err().to_string()
    }

    #[test]
    fn reads_texts_from_raw_contents_and_from_bytes_contents_alike() {
        let raw = tensor::join_bytes([b"a".as_slice(), b"bc"]);
        let from_raw = input_elements(vec![input(BYTES, &[2, 1])], vec![raw]).unwrap();
        let mut with_contents = input(BYTES, &[2]);
        with_contents.contents = Some(InferTensorContents {
            bytes_contents: vec![b"a".to_vec(), b"bc".to_vec()],
            ..Default::default()
        });

        let from_contents = input_elements(vec![with_contents], Vec::new()).unwrap();

        assert_eq!(from_raw, from_contents);
    }

    #[test]
    fn refuses_raw_and_typed_contents_together() {
        let mut both = input(BYTES, &[1]);
        both.contents = Some(InferTensorContents {
            bytes_contents: vec![b"a".to_vec()],
            ..Default::default()
        });
        let raw = tensor::join_bytes([b"a".as_slice()]);
        assert!(refusal(vec![both], vec![raw]).contains("one of the two"));
    }

    #[test]
    fn refuses_a_non_bytes_datatype_an_unknown_input_and_a_missing_one() {
        let raw = || vec![tensor::join_bytes([b"a".as_slice()])];
        assert!(refusal(vec![input("FP32", &[1])], raw()).contains("must be BYTES"));
        let mut other = input(BYTES, &[1]);
        other.name = "texts".into();
        assert!(refusal(vec![other], raw()).contains("unknown input \"texts\""));
        assert!(refusal(Vec::new(), raw()).contains("exactly once"));
        assert!(refusal(vec![input(BYTES, &[1])], Vec::new()).contains("no data"));
    }

    #[test]
    fn refuses_numbers_in_a_bytes_tensor() {
        let mut typed = input(BYTES, &[1]);
        typed.contents = Some(InferTensorContents {
            fp32_contents: vec![1.0],
            ..Default::default()
        });
        assert!(refusal(vec![typed], Vec::new()).contains("bytes_contents and no other"));
    }

    #[test]
    fn returns_every_output_when_none_is_named_and_refuses_unknown_ones() {
        assert_eq!(requested_outputs(&[]).unwrap(), Output::ALL);
        let named = |name: &str| InferRequestedOutputTensor {
            name: name.into(),
            ..Default::default()
        };
        let twice = [named("scores"), named("label"), named("scores")];
        assert_eq!(
            requested_outputs(&twice).unwrap(),
            [Output::Scores, Output::Label]
        );
        let err = requested_outputs(&[named("probs")]).unwrap_err();
        assert!(
            err.to_string().contains("unknown output \"probs\""),
            "{err}"
        );
    }
}
