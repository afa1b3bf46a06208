//! Placeholder for the roberta classifier while it is being written; loading fails clearly.

use std::path::Path;
use std::sync::Arc;

use super::{Classifier, Encoding, LoadOptions, ModelInfo, TextEncoder};
use crate::Error;

/// Not implemented yet: [`Self::load`] always fails.
#[derive(Debug)]
pub struct RobertaClassifier {
    info: ModelInfo,
    encoder: Arc<super::tokenize::HfEncoder>,
}

impl RobertaClassifier {
    pub fn load(dir: &Path, _opts: &LoadOptions) -> Result<Self, Error> {
        Err(super::checkpoint::load_error(
            dir,
            "the roberta classifier is not implemented yet",
        ))
    }
}

impl Classifier for RobertaClassifier {
    fn info(&self) -> &ModelInfo {
        &self.info
    }
    fn encoder(&self) -> Arc<dyn TextEncoder> {
        self.encoder.clone()
    }
    fn forward(&self, _batch: &[&Encoding]) -> Result<Vec<Vec<f32>>, Error> {
        unreachable!("never loaded")
    }
}
