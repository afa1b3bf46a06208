//! Validating a submission and scoring it as each instrument's authors publish.
//!
//! Validation comes first and is total: every item answered exactly once with one of the
//! instrument's option values, or the whole submission is refused, so nothing partial is ever
//! scored or stored.

use serde::{Deserialize, Serialize};

use super::ipip50::{Factor, KEYED_ITEMS, keyed};
use super::{Instrument, PHQ9_ID, Scoring};

/// The PHQ-9 item about thoughts of self-harm; any answer above 0 raises the crisis flag.
const PHQ9_SELF_HARM_ITEM: i64 = 9;

/// One answered item, as the frontend sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answer {
    pub question_number: i64,
    pub value: i64,
}

/// Why a submission was refused. Each becomes 400 Bad Request with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("Answers required")]
    Empty,
    #[error("Question {0} does not exist in this test")]
    UnknownQuestion(i64),
    #[error("Question {0} is answered more than once")]
    Duplicate(i64),
    #[error("Question {0} is not answered")]
    Missing(i64),
    #[error("Answer {value} is not a valid option for question {question}")]
    InvalidValue { question: i64, value: i64 },
}

/// Big Five trait scores, each 10–50 (neuroticism = 60 − IPIP Emotional Stability).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TraitScores {
    pub extraversion: i64,
    pub agreeableness: i64,
    pub conscientiousness: i64,
    pub neuroticism: i64,
    pub openness: i64,
}

/// A scored submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub total_score: i64,
    pub severity_level: &'static str,
    pub description: &'static str,
    pub recommendations: &'static [&'static str],
    pub trait_scores: Option<TraitScores>,
    /// Set when PHQ-9 item 9 is above 0, whatever the total.
    pub crisis: bool,
    /// The answers in question order, as they will be stored.
    pub answers: Vec<Answer>,
}

impl Instrument {
    /// Validate `answers` and score them.
    pub fn score(&self, answers: &[Answer]) -> Result<Outcome, AnswerError> {
        let ordered = self.validate(answers)?;
        let values: Vec<i64> = ordered.iter().map(|a| a.value).collect();
        let (total_score, trait_scores) = match self.scoring {
            Scoring::Sum => (values.iter().sum(), None),
            Scoring::SumWithReversed {
                items,
                reverse_from,
            } => (sum_with_reversed(&values, items, reverse_from), None),
            Scoring::BigFive => (values.iter().sum(), Some(big_five(&values))),
        };
        let band = self.band_for(total_score);
        Ok(Outcome {
            total_score,
            severity_level: band.severity_level,
            description: band.description,
            recommendations: band.recommendations,
            trait_scores,
            crisis: self.id == PHQ9_ID && values[(PHQ9_SELF_HARM_ITEM - 1) as usize] > 0,
            answers: ordered,
        })
    }

    /// Every item once, each with an allowed value; returns the answers in question order.
    fn validate(&self, answers: &[Answer]) -> Result<Vec<Answer>, AnswerError> {
        if answers.is_empty() {
            return Err(AnswerError::Empty);
        }
        let count = self.total_questions();
        let mut slots: Vec<Option<Answer>> = vec![None; count as usize];
        for answer in answers {
            let n = answer.question_number;
            if !(1..=count).contains(&n) {
                return Err(AnswerError::UnknownQuestion(n));
            }
            if !self.accepts_value(answer.value) {
                return Err(AnswerError::InvalidValue {
                    question: n,
                    value: answer.value,
                });
            }
            let slot = &mut slots[(n - 1) as usize];
            if slot.replace(*answer).is_some() {
                return Err(AnswerError::Duplicate(n));
            }
        }
        slots
            .into_iter()
            .enumerate()
            .map(|(i, a)| a.ok_or(AnswerError::Missing(i as i64 + 1)))
            .collect()
    }
}

/// Sum of answers in question order, with the listed 1-based items counted as `from - x`.
fn sum_with_reversed(values: &[i64], reversed: &[i64], from: i64) -> i64 {
    values
        .iter()
        .zip(1..)
        .map(|(&x, n)| if reversed.contains(&n) { from - x } else { x })
        .sum()
}

/// Per-factor keyed sums of the 50 answers (in question order).
fn big_five(values: &[i64]) -> TraitScores {
    let factor = |wanted: Factor| -> i64 {
        KEYED_ITEMS
            .iter()
            .zip(values)
            .filter(|((_, f, _), _)| *f == wanted)
            .map(|((_, _, key), &x)| keyed(x, *key))
            .sum()
    };
    TraitScores {
        extraversion: factor(Factor::Extraversion),
        agreeableness: factor(Factor::Agreeableness),
        conscientiousness: factor(Factor::Conscientiousness),
        // Ten items of 1–5 each: stability + neuroticism = 10 × 6.
        neuroticism: 60 - factor(Factor::EmotionalStability),
        openness: factor(Factor::Intellect),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{BIGFIVE_ID, GAD7_ID, PHQ9_ID, PSS10_ID, find};
    use super::*;

    fn answers(values: &[i64]) -> Vec<Answer> {
        values
            .iter()
            .zip(1..)
            .map(|(&value, question_number)| Answer {
                question_number,
                value,
            })
            .collect()
    }

    fn score(id: i64, values: &[i64]) -> Result<Outcome, AnswerError> {
        find(id).unwrap().score(&answers(values))
    }

    #[test]
    fn phq9_sums_items_and_bands_at_5_10_15_20() {
        let cases = [
            ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
            ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
            ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
            ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"),
            ([3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately_severe"),
            ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"),
            ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe"),
        ];
        for (values, total, level) in cases {
            let outcome = score(PHQ9_ID, &values).unwrap();
            assert_eq!(
                (outcome.total_score, outcome.severity_level),
                (total, level)
            );
        }
    }

    #[test]
    fn phq9_item_9_above_zero_flags_crisis_whatever_the_total() {
        assert!(score(PHQ9_ID, &[0, 0, 0, 0, 0, 0, 0, 0, 1]).unwrap().crisis);
        assert!(!score(PHQ9_ID, &[3, 3, 3, 3, 3, 3, 3, 3, 0]).unwrap().crisis);
        assert!(!score(GAD7_ID, &[3, 3, 3, 3, 3, 3, 3]).unwrap().crisis);
    }

    #[test]
    fn gad7_bands_at_5_10_15() {
        let total = |v: [i64; 7]| score(GAD7_ID, &v).unwrap().severity_level;
        assert_eq!(total([1, 1, 1, 1, 0, 0, 0]), "minimal");
        assert_eq!(total([1, 1, 1, 1, 1, 0, 0]), "mild");
        assert_eq!(total([2, 2, 2, 2, 2, 0, 0]), "moderate");
        assert_eq!(total([3, 3, 3, 3, 3, 0, 0]), "severe");
    }

    #[test]
    fn pss10_reverse_scores_items_4_5_7_8() {
        // All "Never": the six negative items give 0, the four positive ones 4 each.
        assert_eq!(score(PSS10_ID, &[0; 10]).unwrap().total_score, 16);
        // Most stressed pattern: 4 on negative items, 0 on positive ones.
        let worst = [4, 4, 4, 0, 0, 4, 0, 0, 4, 4];
        let outcome = score(PSS10_ID, &worst).unwrap();
        assert_eq!((outcome.total_score, outcome.severity_level), (40, "high"));
        let least = [0, 0, 0, 4, 4, 0, 4, 4, 0, 0];
        assert_eq!(score(PSS10_ID, &least).unwrap().total_score, 0);
    }

    #[test]
    fn big_five_scores_traits_with_minus_keyed_items_reversed() {
        // Answering 5 everywhere: each factor gets 5 per plus item and 1 per minus item.
        let outcome = score(BIGFIVE_ID, &[5; 50]).unwrap();
        let traits = outcome.trait_scores.unwrap();
        assert_eq!(outcome.total_score, 250);
        assert_eq!(traits.extraversion, 5 * 5 + 5);
        assert_eq!(traits.agreeableness, 6 * 5 + 4);
        assert_eq!(traits.conscientiousness, 6 * 5 + 4);
        assert_eq!(traits.openness, 7 * 5 + 3);
        // Stability = 2 × 5 + 8 × 1 = 18, so neuroticism = 60 − 18 = 42.
        assert_eq!(traits.neuroticism, 42);
    }

    #[test]
    fn big_five_traits_span_10_to_50() {
        let keyed_answer = |high: bool| -> Vec<i64> {
            KEYED_ITEMS
                .iter()
                .map(|(_, _, k)| match (k, high) {
                    (super::super::ipip50::Key::Plus, true) => 5,
                    (super::super::ipip50::Key::Minus, false) => 5,
                    _ => 1,
                })
                .collect()
        };
        let high = score(BIGFIVE_ID, &keyed_answer(true))
            .unwrap()
            .trait_scores
            .unwrap();
        assert_eq!(
            [
                high.extraversion,
                high.agreeableness,
                high.conscientiousness,
                high.openness
            ],
            [50; 4]
        );
        // Maximal emotional stability is minimal neuroticism.
        assert_eq!(high.neuroticism, 10);
        let low = score(BIGFIVE_ID, &keyed_answer(false))
            .unwrap()
            .trait_scores
            .unwrap();
        assert_eq!([low.extraversion, low.neuroticism], [10, 50]);
    }

    #[test]
    fn refuses_missing_duplicate_unknown_and_out_of_range_answers() {
        let phq = find(PHQ9_ID).unwrap();
        assert_eq!(phq.score(&[]), Err(AnswerError::Empty));
        assert_eq!(phq.score(&answers(&[0; 8])), Err(AnswerError::Missing(9)));
        assert_eq!(
            phq.score(&answers(&[0; 10])),
            Err(AnswerError::UnknownQuestion(10))
        );
        let mut twice = answers(&[0; 9]);
        twice[8].question_number = 1;
        assert_eq!(phq.score(&twice), Err(AnswerError::Duplicate(1)));
        let out_of_range = answers(&[0, 0, 4, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            phq.score(&out_of_range),
            Err(AnswerError::InvalidValue {
                question: 3,
                value: 4
            })
        );
        // IPIP answers start at 1, so 0 is not an option there.
        assert!(score(BIGFIVE_ID, &[0; 50]).is_err());
    }

    #[test]
    fn answers_come_back_in_question_order() {
        let mut shuffled = answers(&[1, 2, 3, 0, 1, 2, 3]);
        shuffled.reverse();
        let outcome = find(GAD7_ID).unwrap().score(&shuffled).unwrap();
        assert_eq!(outcome.answers, answers(&[1, 2, 3, 0, 1, 2, 3]));
    }
}
