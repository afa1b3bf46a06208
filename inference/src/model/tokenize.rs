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

    fn seen_chars(&self, text: &str) -> Result<Option<usize>, Error> {
        let encoding = self
            .tokenizer
            .encode_char_offsets(text, true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        if encoding.get_overflowing().is_empty() {
            return Ok(None);
        }
        // Special tokens carry empty offsets; the kept text ends where its last real token does.
        let end = encoding
            .get_offsets()
            .iter()
            .zip(encoding.get_special_tokens_mask())
            .filter(|&(_, &special)| special == 0)
            .map(|(&(_, end), _)| end)
            .max()
            .unwrap_or(0);
        Ok(Some(end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lstm_tiny() -> HfEncoder {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lstm-tiny");
        HfEncoder::from_dir(&dir, 32).unwrap()
    }

    #[test]
    fn a_text_that_fits_is_seen_whole() {
        assert_eq!(lstm_tiny().seen_chars("a calm day").unwrap(), None);
    }

    #[test]
    fn a_cut_text_is_seen_up_to_its_last_kept_token_even_a_bare_space() {
        let text = ["calm", "storm", "sunny", "gloomy", "day"]
            .repeat(9)
            .join(" ");

        let seen = lstm_tiny().seen_chars(&text).unwrap();

        // The 30th content token is the byte-level space before the second "gloomy" (chars
        // 45..51), with an empty span at the word's start: the model saw that a word follows.
        assert_eq!(seen, Some(45));
        assert_eq!(&text[45..51], "gloomy");
    }
}
