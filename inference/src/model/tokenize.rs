//! Tokenization: a model directory's `tokenizer.json`, applied as it is, cut to the model's
//! input limit.
//!
//! The goal is to produce exactly what Hugging Face's
//! `tokenizer(text, truncation=True, max_length=limit)` produces: the file's normaliser,
//! pre-tokenizer, model and post-processor (which adds `<s>`/`</s>` or `[CLS]`/`[SEP]`), with the
//! limit counting those special tokens. Padding and truncation settings saved in the file are
//! replaced, because batching pads on its own and the limit belongs to the model's config.

use std::path::Path;

use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::{Encoding, TextEncoder};
use crate::Error;

/// A `tokenizer.json` bound to a model's input limit.
#[derive(Debug)]
pub struct HfEncoder {
    tokenizer: Tokenizer,
    max_tokens: usize,
}

impl HfEncoder {
    /// Loads `tokenizer.json` from `dir` for a model that takes at most `max_tokens` tokens,
    /// special tokens included.
    pub fn from_dir(dir: &Path, max_tokens: usize) -> Result<Self, Error> {
        let path = dir.join("tokenizer.json");
        let load_err = |reason: String| Error::Load {
            dir: dir.to_path_buf(),
            reason,
        };
        let mut tokenizer = Tokenizer::from_file(&path)
            .map_err(|e| load_err(format!("{}: {e}", path.display())))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(truncation(max_tokens)))
            .map_err(|e| load_err(format!("truncation to {max_tokens} tokens: {e}")))?;
        Ok(Self {
            tokenizer,
            max_tokens,
        })
    }

    /// The most tokens an encoding can hold, special tokens included.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }
}

/// What `truncation=True, max_length=N` means in Python: longest-first from the right, no
/// stride. The library subtracts the post-processor's special tokens from `max_length` itself.
fn truncation(max_tokens: usize) -> TruncationParams {
    TruncationParams {
        max_length: max_tokens,
        strategy: TruncationStrategy::LongestFirst,
        stride: 0,
        direction: TruncationDirection::Right,
    }
}

impl TextEncoder for HfEncoder {
    fn encode(&self, text: &str) -> Result<Encoding, Error> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(Encoding {
            ids: encoding.get_ids().to_vec(),
            // Truncation moves the cut-off tokens into `overflowing`; nothing there means the
            // text fitted.
            truncated: !encoding.get_overflowing().is_empty(),
        })
    }
}
