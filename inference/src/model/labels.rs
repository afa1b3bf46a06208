//! Labels and scoring: turning a model's logits into probabilities, a winning label and a mood
//! score, the same way for every architecture.
//!
//! `mood_score` is the original service's formula generalised: each label has a valence on the
//! 0 to 10 mood scale and the score is the probability-weighted mean valence. For a multi-label
//! model the per-label sigmoids need not sum to one, so they are normalised to sum to one before
//! weighting; the mood is then "the valence of what the text expresses", independent of how many
//! labels fire at once.

use std::collections::HashMap;

use super::ProblemType;

/// Valence of a label nobody gave one: the neutral midpoint of the original sentiment scale, so
/// an unknown label pulls the mood towards "neutral" rather than to either end.
pub const NEUTRAL_VALENCE: f32 = 5.5;
const NEGATIVE_VALENCE: f32 = 2.0;
const POSITIVE_VALENCE: f32 = 10.0;

/// GoEmotions' own grouping of its 27 emotions into positive and negative sentiment (Demszky et
/// al., 2020); its "ambiguous" emotions (surprise, curiosity, confusion, realization) fall back
/// to neutral. Ekman's labels (anger, disgust, fear, joy, sadness, surprise) are a subset, so
/// checkpoints trained on the sentiment, Ekman or full label sets all get a meaningful score
/// without configuration.
const POSITIVE_EMOTIONS: &[&str] = &[
    "admiration",
    "amusement",
    "approval",
    "caring",
    "desire",
    "excitement",
    "gratitude",
    "joy",
    "love",
    "optimism",
    "pride",
    "relief",
];
const NEGATIVE_EMOTIONS: &[&str] = &[
    "anger",
    "annoyance",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "fear",
    "grief",
    "nervousness",
    "remorse",
    "sadness",
];

/// The valence a label gets when the operator configured none: negative 2.0, neutral 5.5,
/// positive 10.0 (the original service), GoEmotions emotions by their sentiment group, and
/// [`NEUTRAL_VALENCE`] for anything else. Case-insensitive.
pub fn default_valence(label: &str) -> f32 {
    let label = label.to_lowercase();
    match label.as_str() {
        "negative" => NEGATIVE_VALENCE,
        "positive" => POSITIVE_VALENCE,
        l if POSITIVE_EMOTIONS.contains(&l) => POSITIVE_VALENCE,
        l if NEGATIVE_EMOTIONS.contains(&l) => NEGATIVE_VALENCE,
        _ => NEUTRAL_VALENCE,
    }
}

/// What [`scores`] makes of one text's logits.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Per label, in id order: softmax probabilities (single-label) or sigmoids (multi-label).
    pub probabilities: Vec<f32>,
    /// Id of the most probable label.
    pub index: usize,
    /// Name of the most probable label.
    pub label: String,
    /// Its probability.
    pub confidence: f32,
    /// Probability-weighted valence, on the valences' scale (0 to 10 with the defaults).
    pub mood_score: f32,
}

impl super::Labels {
    /// Labels in id order with valences from `configured` (label name, case-insensitive, to
    /// valence); labels missing from it get [`default_valence`].
    pub fn new(
        names: Vec<String>,
        problem_type: ProblemType,
        configured: Option<&HashMap<String, f32>>,
    ) -> Self {
        let configured: HashMap<String, f32> = configured
            .into_iter()
            .flatten()
            .map(|(name, v)| (name.to_lowercase(), *v))
            .collect();
        let valences = names
            .iter()
            .map(|n| {
                configured
                    .get(&n.to_lowercase())
                    .copied()
                    .unwrap_or_else(|| default_valence(n))
            })
            .collect();
        Self {
            names,
            problem_type,
            valences,
        }
    }

    /// See [`scores`].
    pub fn scores(&self, logits: &[f32]) -> Scored {
        scores(self, logits)
    }
}

/// Probabilities, winning label, confidence and mood score for one text's logits.
///
/// `logits` must hold one value per label (what [`super::Classifier::forward`] returns).
pub fn scores(labels: &super::Labels, logits: &[f32]) -> Scored {
    debug_assert_eq!(logits.len(), labels.names.len());
    let probabilities = match labels.problem_type {
        ProblemType::SingleLabel => softmax(logits),
        ProblemType::MultiLabel => logits.iter().map(|&x| sigmoid(x)).collect(),
    };
    let index = argmax(&probabilities);
    Scored {
        mood_score: mood_score(&probabilities, &labels.valences),
        label: labels.names.get(index).cloned().unwrap_or_default(),
        confidence: probabilities.get(index).copied().unwrap_or(0.0),
        index,
        probabilities,
    }
}

/// Weighted mean valence; weights are normalised so multi-label sigmoids count as a
/// distribution. With no probability mass at all the text is neutral.
fn mood_score(probabilities: &[f32], valences: &[f32]) -> f32 {
    let total: f32 = probabilities.iter().sum();
    if total <= f32::EPSILON {
        return NEUTRAL_VALENCE;
    }
    let weighted: f32 = probabilities.iter().zip(valences).map(|(p, v)| p * v).sum();
    weighted / total
}

/// Numerically stable softmax (subtracts the maximum so large logits do not overflow).
fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|&x| (x - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Index of the largest value; the first one on ties, like `torch.argmax`.
fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Labels;

    fn sentiment(problem_type: ProblemType) -> Labels {
        let names = ["negative", "neutral", "positive"]
            .map(String::from)
            .to_vec();
        Labels::new(names, problem_type, None)
    }

    #[test]
    fn sentiment_labels_get_the_original_valences_whatever_their_case() {
        let labels = Labels::new(
            vec!["NEGATIVE".into(), "Neutral".into(), "positive".into()],
            ProblemType::SingleLabel,
            None,
        );
        assert_eq!(labels.valences, vec![2.0, 5.5, 10.0]);
    }

    #[test]
    fn configured_valences_override_defaults_case_insensitively() {
        let configured = HashMap::from([("Joy".to_string(), 9.0)]);
        let labels = Labels::new(
            vec!["joy".into(), "sadness".into(), "mystery".into()],
            ProblemType::MultiLabel,
            Some(&configured),
        );
        assert_eq!(labels.valences, vec![9.0, 2.0, NEUTRAL_VALENCE]);
    }

    #[test]
    fn single_label_scores_are_a_softmax_and_weight_the_valences() {
        let scored = sentiment(ProblemType::SingleLabel).scores(&[0.0, 0.0, 2.0f32.ln()]);
        assert_eq!(scored.label, "positive");
        assert_eq!(scored.index, 2);
        assert!((scored.confidence - 0.5).abs() < 1e-6);
        let expected = 0.25 * 2.0 + 0.25 * 5.5 + 0.5 * 10.0;
        assert!((scored.mood_score - expected).abs() < 1e-5);
    }

    #[test]
    fn multi_label_scores_are_sigmoids_normalised_for_the_mood() {
        let scored = sentiment(ProblemType::MultiLabel).scores(&[0.0, -50.0, 0.0]);
        assert!((scored.probabilities[0] - 0.5).abs() < 1e-6);
        assert!((scored.probabilities[2] - 0.5).abs() < 1e-6);
        assert_eq!(
            scored.label, "negative",
            "ties go to the lower id, like torch.argmax"
        );
        assert!((scored.mood_score - 6.0).abs() < 1e-4);
    }

    #[test]
    fn huge_logits_do_not_overflow_the_softmax() {
        let scored = sentiment(ProblemType::SingleLabel).scores(&[1000.0, 0.0, 0.0]);
        assert!((scored.confidence - 1.0).abs() < 1e-6);
        assert!((scored.mood_score - 2.0).abs() < 1e-5);
    }
}
