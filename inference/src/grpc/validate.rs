//! Checks a `ClassifyRequest` or `ExplainRequest` before it takes a place in the queue; every
//! refusal is an INVALID_ARGUMENT whose message says which text or model is wrong and what the
//! limit is.

use std::sync::Arc;

use moodtracker_proto::inference::v1::{ClassifyRequest, ExplainRequest, ModelKind};

use crate::{
    Error,
    batch::Models,
    config::RequestLimits,
    explain::{self, Word},
    model::Kind,
};

/// A request that passed validation.
#[derive(Debug)]
pub struct Valid {
    pub texts: Arc<[String]>,
    /// Requested models without repeats, in request order; every loaded model (kind order) when
    /// the request named none.
    pub kinds: Vec<Kind>,
    pub include_logits: bool,
}

pub fn classify_request(
    request: ClassifyRequest,
    limits: &RequestLimits,
    models: &Models,
) -> Result<Valid, Error> {
    check_texts(&request.texts, limits)?;
    Ok(Valid {
        kinds: kinds(&request.models, models)?,
        texts: request.texts.into(),
        include_logits: request.include_logits,
    })
}

/// An `ExplainRequest` that passed validation, its text already split into words.
#[derive(Debug)]
pub struct ValidExplain {
    pub text: Arc<str>,
    pub words: Arc<[Word]>,
    /// As [`Valid::kinds`].
    pub kinds: Vec<Kind>,
}

pub fn explain_request(
    request: ExplainRequest,
    limits: &RequestLimits,
    models: &Models,
) -> Result<ValidExplain, Error> {
    check_text("text", &request.text, limits)?;
    let words = explain::words(&request.text);
    if words.len() > limits.max_explain_words {
        return Err(invalid(format!(
            "text has too many words to explain: {} words, at most {} (INFERENCE_MAX_EXPLAIN_WORDS)",
            words.len(),
            limits.max_explain_words
        )));
    }
    Ok(ValidExplain {
        kinds: kinds(&request.models, models)?,
        text: request.text.into(),
        words: words.into(),
    })
}

fn check_texts(texts: &[String], limits: &RequestLimits) -> Result<(), Error> {
    if texts.is_empty() {
        return Err(invalid("texts must hold at least one text".into()));
    }
    if texts.len() > limits.max_texts {
        return Err(invalid(format!(
            "too many texts: {} given, at most {} per request",
            texts.len(),
            limits.max_texts
        )));
    }
    texts
        .iter()
        .enumerate()
        .try_for_each(|(i, t)| check_text(&format!("texts[{i}]"), t, limits))
}

/// `name` says which text it is in the message ("texts[2]", "text").
fn check_text(name: &str, text: &str, limits: &RequestLimits) -> Result<(), Error> {
    if text.trim().is_empty() {
        return Err(invalid(format!("{name} is empty or only whitespace")));
    }
    // Characters as the original API counted them (Python's len: code points), not bytes.
    let chars = text.chars().count();
    if chars > limits.max_text_chars {
        return Err(invalid(format!(
            "{name} is too long: {chars} characters, at most {}",
            limits.max_text_chars
        )));
    }
    Ok(())
}

fn kinds(requested: &[i32], models: &Models) -> Result<Vec<Kind>, Error> {
    if requested.is_empty() {
        return Ok(models.infos().map(|i| i.kind).collect());
    }
    let mut kinds = Vec::with_capacity(requested.len());
    for &value in requested {
        let kind = kind(value)?;
        if !models.is_loaded(kind) {
            return Err(invalid(format!(
                "model {} is not loaded on this server",
                name(value)
            )));
        }
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

/// The proto's model kind as the domain's; `MODEL_KIND_UNSPECIFIED` and unknown numbers are
/// refused rather than guessed.
pub fn kind(value: i32) -> Result<Kind, Error> {
    match ModelKind::try_from(value) {
        Ok(ModelKind::Roberta) => Ok(Kind::Roberta),
        Ok(ModelKind::Lstm) => Ok(Kind::Lstm),
        Ok(ModelKind::Unspecified) => Err(invalid(
            "models must not hold MODEL_KIND_UNSPECIFIED; name a model or send none for all".into(),
        )),
        Err(_) => Err(invalid(format!("unknown model kind {value}"))),
    }
}

fn name(value: i32) -> String {
    ModelKind::try_from(value).map_or_else(|_| value.to_string(), |k| k.as_str_name().to_string())
}

fn invalid(message: String) -> Error {
    Error::InvalidArgument(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: RequestLimits = RequestLimits {
        max_queue: 4,
        max_texts: 2,
        max_text_chars: 5,
        max_explain_words: 2,
    };

    fn refusal(texts: &[&str]) -> String {
        let texts: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        check_texts(&texts, &LIMITS).unwrap_err().to_string()
    }

    #[test]
    fn refuses_a_request_without_texts() {
        assert!(refusal(&[]).contains("at least one"));
    }

    #[test]
    fn refuses_more_texts_than_the_limit() {
        assert!(refusal(&["a", "b", "c"]).contains("at most 2"));
    }

    #[test]
    fn refuses_a_whitespace_only_text_naming_its_index() {
        assert!(refusal(&["fine", " \n\t"]).contains("texts[1]"));
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert!(check_texts(&["ééééé".to_string()], &LIMITS).is_ok());
        assert!(refusal(&["éééééé"]).contains("6 characters, at most 5"));
    }

    #[tokio::test]
    async fn refuses_an_explanation_past_the_word_limit_naming_the_limit() {
        let (models, _) = crate::batch::tests::models(8, 0, 4).await;
        let limits = RequestLimits {
            max_text_chars: 100,
            ..LIMITS
        };
        let explain = |text: &str| ExplainRequest {
            text: text.into(),
            models: vec![],
        };

        let err = explain_request(explain("one two three"), &limits, &models).unwrap_err();

        let message = err.to_string();
        assert!(message.contains("3 words, at most 2"), "{message}");
        assert!(message.contains("INFERENCE_MAX_EXPLAIN_WORDS"), "{message}");
        let valid = explain_request(explain(" one\ttwo "), &limits, &models).unwrap();
        assert_eq!(valid.words.len(), 2);
        assert_eq!(valid.kinds, vec![Kind::Lstm]);
        let empty = explain_request(explain(" \n"), &limits, &models).unwrap_err();
        assert!(empty.to_string().contains("text is empty"), "{empty}");
    }

    #[tokio::test]
    async fn refuses_a_model_that_is_not_loaded_and_defaults_to_every_loaded_one() {
        let (models, _) = crate::batch::tests::models(8, 0, 4).await;

        let err = kinds(&[ModelKind::Roberta as i32], &models).unwrap_err();

        assert!(
            err.to_string().contains("MODEL_KIND_ROBERTA is not loaded"),
            "{err}"
        );
        assert_eq!(kinds(&[], &models).unwrap(), vec![Kind::Lstm]);
        let repeated = [ModelKind::Lstm as i32, ModelKind::Lstm as i32];
        assert_eq!(kinds(&repeated, &models).unwrap(), vec![Kind::Lstm]);
    }

    #[test]
    fn refuses_the_unspecified_and_unknown_model_kinds() {
        assert!(kind(0).unwrap_err().to_string().contains("UNSPECIFIED"));
        assert!(
            kind(7)
                .unwrap_err()
                .to_string()
                .contains("unknown model kind 7")
        );
        assert_eq!(kind(2).unwrap(), Kind::Lstm);
    }
}
