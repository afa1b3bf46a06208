//! Placeholder for the lstm classifier while it is being written; loading fails clearly.

use std::path::Path;
use std::sync::Arc;

use super::{Classifier, Encoding, LoadOptions, ModelInfo, TextEncoder};
use crate::Error;

/// Not implemented yet: [`Self::load`] always fails.
#[derive(Debug)]
pub struct LstmClassifier {
    info: ModelInfo,
    encoder: Arc<super::tokenize::HfEncoder>,
}

impl LstmClassifier {
    pub fn load(dir: &Path, _opts: &LoadOptions) -> Result<Self, Error> {
        Err(super::checkpoint::load_error(
            dir,
            "the lstm classifier is not implemented yet",
        ))
    }
}

impl Classifier for LstmClassifier {
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
