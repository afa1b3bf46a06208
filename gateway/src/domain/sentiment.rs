//! From a model's label scores to the contract's `SentimentResult`: capitalised sentiment,
//! confidence, `{positive, neutral, negative}` and the mood score.
//!
//! Models may have any label set (sentiment, Ekman, the 27 GoEmotions emotions), so labels are
//! grouped by the valence the inference service reports for each: high valence is positive,
//! low is negative, the rest neutral. The groups' probabilities are normalised to sum to one
//! (multi-label models' sigmoids need not), and the sentiment is the largest group.

use serde::{Deserialize, Serialize};

/// Valences at or above this are positive (the service's positive labels score 10.0).
const POSITIVE_FROM: f32 = 7.75;
/// Valences at or below this are negative (the service's negative labels score 2.0).
const NEGATIVE_TO: f32 = 3.75;

/// The three sentiments, capitalised on the wire: the frontend counts them by exact key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Sentiment {
    Positive,
    Neutral,
    Negative,
}

impl Sentiment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Positive => "Positive",
            Self::Neutral => "Neutral",
            Self::Negative => "Negative",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Positive" => Some(Self::Positive),
            "Neutral" => Some(Self::Neutral),
            "Negative" => Some(Self::Negative),
            _ => None,
        }
    }
}

/// Probabilities of the three sentiments; they sum to one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scores {
    pub positive: f64,
    pub neutral: f64,
    pub negative: f64,
}

/// One model's result, as the API returns and the journal stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SentimentResult {
    pub sentiment: Sentiment,
    /// The probability of `sentiment`, in [0, 1].
    pub confidence: f64,
    pub scores: Scores,
    /// `10·positive + 5.5·neutral + 2·negative`, one decimal: the original's mood formula.
    pub mood_score: f64,
    /// The model's own top label (an emotion for emotion models).
    pub label: String,
    /// The model's name and architecture, as the inference service reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
}

/// The result for label scores `(label, probability)` whose valences are `valences` (same
/// order; a missing valence falls back to the label's name).
pub fn from_label_scores(
    scores: &[(String, f32)],
    valences: &[f32],
    top_label: &str,
) -> SentimentResult {
    let mut sums = [0f64; 3];
    for (i, (label, p)) in scores.iter().enumerate() {
        let group = group_of(label, valences.get(i).copied());
        sums[group as usize] += f64::from(*p);
    }
    let total: f64 = sums.iter().sum();
    let [positive, neutral, negative] = match total > 0.0 {
        true => sums.map(|s| s / total),
        false => [0.0, 1.0, 0.0],
    };
    let scores = Scores {
        positive: round(positive, 4),
        neutral: round(neutral, 4),
        negative: round(negative, 4),
    };
    let (sentiment, confidence) = strongest(positive, neutral, negative);
    SentimentResult {
        sentiment,
        confidence: round(confidence, 4),
        scores,
        mood_score: mood_score(positive, neutral, negative),
        label: top_label.to_owned(),
        model: None,
        architecture: None,
    }
}

/// The original's mood formula, rounded to one decimal: in [2.0, 10.0].
pub fn mood_score(positive: f64, neutral: f64, negative: f64) -> f64 {
    round(10.0 * positive + 5.5 * neutral + 2.0 * negative, 1)
}

/// The result the journal and the top-level `sentiment` use: the LSTM's when present, else
/// RoBERTa's (the frontend's own preference).
pub fn primary<'a>(
    roberta: Option<&'a SentimentResult>,
    lstm: Option<&'a SentimentResult>,
) -> Option<&'a SentimentResult> {
    lstm.or(roberta)
}

/// Whether both models ran and agree; never true when either is missing.
pub fn consensus(roberta: Option<&SentimentResult>, lstm: Option<&SentimentResult>) -> bool {
    matches!((roberta, lstm), (Some(r), Some(l)) if r.sentiment == l.sentiment)
}

fn group_of(label: &str, valence: Option<f32>) -> Sentiment {
    match valence {
        Some(v) if v >= POSITIVE_FROM => Sentiment::Positive,
        Some(v) if v <= NEGATIVE_TO => Sentiment::Negative,
        Some(_) => Sentiment::Neutral,
        None => match label.to_lowercase().as_str() {
            "positive" => Sentiment::Positive,
            "negative" => Sentiment::Negative,
            _ => Sentiment::Neutral,
        },
    }
}

/// The largest of the three; ties go to neutral, then positive, the least alarming reading.
fn strongest(positive: f64, neutral: f64, negative: f64) -> (Sentiment, f64) {
    let mut best = (Sentiment::Neutral, neutral);
    for candidate in [
        (Sentiment::Positive, positive),
        (Sentiment::Negative, negative),
    ] {
        if candidate.1 > best.1 {
            best = candidate;
        }
    }
    best
}

/// `value` rounded to `places` decimals.
pub fn round(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (value * factor).round() / factor
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, f32)]) -> Vec<(String, f32)> {
        pairs.iter().map(|(l, p)| ((*l).to_owned(), *p)).collect()
    }

    #[test]
    fn groups_emotions_by_valence() {
        let scores = labels(&[("joy", 0.6), ("anger", 0.2), ("surprise", 0.2)]);
        let r = from_label_scores(&scores, &[10.0, 2.0, 5.5], "joy");
        assert_eq!(r.sentiment, Sentiment::Positive);
        assert_eq!(
            (r.scores.positive, r.scores.negative, r.scores.neutral),
            (0.6, 0.2, 0.2)
        );
        assert_eq!(r.mood_score, 7.5);
        assert_eq!(r.label, "joy");
    }

    #[test]
    fn normalises_multi_label_sigmoids() {
        let scores = labels(&[("negative", 0.9), ("neutral", 0.9), ("positive", 0.0)]);
        let r = from_label_scores(&scores, &[], "negative");
        assert_eq!(r.scores.negative, 0.5);
        assert_eq!(r.sentiment, Sentiment::Neutral, "a tie reads as neutral");
    }

    #[test]
    fn consensus_needs_both_models() {
        let r = from_label_scores(&labels(&[("positive", 1.0)]), &[10.0], "positive");
        assert!(consensus(Some(&r), Some(&r)));
        assert!(!consensus(Some(&r), None));
        assert!(!consensus(None, None));
    }
}
