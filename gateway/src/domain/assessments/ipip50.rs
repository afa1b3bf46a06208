//! The 50-item IPIP representation of Goldberg's (1992) Big-Five factor markers.
//!
//! Items, their order and their keying are as published on ipip.ori.org: item k measures factor
//! ((k − 1) mod 5) + 1, in the order Extraversion, Agreeableness, Conscientiousness, Emotional
//! Stability, Intellect/Imagination. Answers are 1–5; a minus-keyed item counts 6 − answer.
//!
//! IPIP's fourth factor is Emotional Stability. The contract reports `neuroticism` instead, so
//! we report the same ten items scored in the opposite direction: neuroticism = 60 − stability,
//! which is what keying those items toward neuroticism gives. Each trait is 10–50.
//!
//! The contract also keeps a `total_score` (the plain sum of the 50 answers, 50–250) and its
//! bands for wire compatibility. That total mixes five independent traits and means little; the
//! band texts say so and point to the trait scores.

use super::{Band, Instrument, ResponseOption, Scoring};

/// A Big-Five factor as IPIP names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Factor {
    Extraversion,
    Agreeableness,
    Conscientiousness,
    EmotionalStability,
    Intellect,
}

/// Whether agreeing with an item counts toward its factor (+) or against it (−).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    Plus,
    Minus,
}

use Factor::{
    Agreeableness as A, Conscientiousness as C, EmotionalStability as S, Extraversion as E,
    Intellect as O,
};
use Key::{Minus as M, Plus as P};

/// (wording, factor, key) in published order.
pub(super) const KEYED_ITEMS: [(&str, Factor, Key); 50] = [
    ("Am the life of the party.", E, P),
    ("Feel little concern for others.", A, M),
    ("Am always prepared.", C, P),
    ("Get stressed out easily.", S, M),
    ("Have a rich vocabulary.", O, P),
    ("Don't talk a lot.", E, M),
    ("Am interested in people.", A, P),
    ("Leave my belongings around.", C, M),
    ("Am relaxed most of the time.", S, P),
    ("Have difficulty understanding abstract ideas.", O, M),
    ("Feel comfortable around people.", E, P),
    ("Insult people.", A, M),
    ("Pay attention to details.", C, P),
    ("Worry about things.", S, M),
    ("Have a vivid imagination.", O, P),
    ("Keep in the background.", E, M),
    ("Sympathize with others' feelings.", A, P),
    ("Make a mess of things.", C, M),
    ("Seldom feel blue.", S, P),
    ("Am not interested in abstract ideas.", O, M),
    ("Start conversations.", E, P),
    ("Am not interested in other people's problems.", A, M),
    ("Get chores done right away.", C, P),
    ("Am easily disturbed.", S, M),
    ("Have excellent ideas.", O, P),
    ("Have little to say.", E, M),
    ("Have a soft heart.", A, P),
    (
        "Often forget to put things back in their proper place.",
        C,
        M,
    ),
    ("Get upset easily.", S, M),
    ("Do not have a good imagination.", O, M),
    ("Talk to a lot of different people at parties.", E, P),
    ("Am not really interested in others.", A, M),
    ("Like order.", C, P),
    ("Change my mood a lot.", S, M),
    ("Am quick to understand things.", O, P),
    ("Don't like to draw attention to myself.", E, M),
    ("Take time out for others.", A, P),
    ("Shirk my duties.", C, M),
    ("Have frequent mood swings.", S, M),
    ("Use difficult words.", O, P),
    ("Don't mind being the center of attention.", E, P),
    ("Feel others' emotions.", A, P),
    ("Follow a schedule.", C, P),
    ("Get irritated easily.", S, M),
    ("Spend time reflecting on things.", O, P),
    ("Am quiet around strangers.", E, M),
    ("Make people feel at ease.", A, P),
    ("Am exacting in my work.", C, P),
    ("Often feel blue.", S, M),
    ("Am full of ideas.", O, P),
];

const ITEMS: [&str; 50] = {
    let mut texts = [""; 50];
    let mut i = 0;
    while i < 50 {
        texts[i] = KEYED_ITEMS[i].0;
        i += 1;
    }
    texts
};

const OPTIONS: &[ResponseOption] = &[
    ResponseOption {
        text: "Very Inaccurate",
        value: 1,
    },
    ResponseOption {
        text: "Moderately Inaccurate",
        value: 2,
    },
    ResponseOption {
        text: "Neither Accurate nor Inaccurate",
        value: 3,
    },
    ResponseOption {
        text: "Moderately Accurate",
        value: 4,
    },
    ResponseOption {
        text: "Very Accurate",
        value: 5,
    },
];

const TRAITS_MATTER: &str = "The five trait scores (each 10–50) describe your personality far better than this overall total, which adds up unrelated traits.";
const NO_GOOD_OR_BAD: &str =
    "No trait level is good or bad: each has strengths in different situations.";
const NOT_CLINICAL: &str =
    "This is a personality questionnaire, not a clinical or diagnostic assessment.";

const BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 100,
        severity_level: "low",
        description: "Your overall total is in the lower range. The total combines five different traits, so see your trait scores for what your answers describe.",
        recommendations: &[TRAITS_MATTER, NO_GOOD_OR_BAD, NOT_CLINICAL],
    },
    Band {
        min: 101,
        max: 150,
        severity_level: "moderate_low",
        description: "Your overall total is in the moderate-low range. The total combines five different traits, so see your trait scores for what your answers describe.",
        recommendations: &[TRAITS_MATTER, NO_GOOD_OR_BAD, NOT_CLINICAL],
    },
    Band {
        min: 151,
        max: 200,
        severity_level: "moderate_high",
        description: "Your overall total is in the moderate-high range. The total combines five different traits, so see your trait scores for what your answers describe.",
        recommendations: &[TRAITS_MATTER, NO_GOOD_OR_BAD, NOT_CLINICAL],
    },
    Band {
        min: 201,
        max: 250,
        severity_level: "high",
        description: "Your overall total is in the higher range. The total combines five different traits, so see your trait scores for what your answers describe.",
        recommendations: &[TRAITS_MATTER, NO_GOOD_OR_BAD, NOT_CLINICAL],
    },
];

/// The Big Five IPIP-50 definition (id 3).
pub(super) const IPIP50: Instrument = Instrument {
    id: 3,
    test_type: "BIGFIVE_IPIP",
    name: "Big Five Personality Test",
    description: "Describe yourself as you generally are now, not as you wish to be in the future, compared with other people you know of the same sex and roughly your age. For each statement, choose how accurately it describes you. Based on the 50-item IPIP Big-Five factor markers.",
    items: &ITEMS,
    options: OPTIONS,
    scoring: Scoring::BigFive,
    max_score: 250,
    bands: BANDS,
    source: "Goldberg LR (1992). The development of markers for the Big-Five factor structure. Psychological Assessment, 4, 26–42. 50-item IPIP version from the International Personality Item Pool (ipip.ori.org); IPIP items are in the public domain.",
};

/// The keyed contribution of one answer (1–5) to its factor's score.
pub(super) fn keyed(answer: i64, key: Key) -> i64 {
    match key {
        Key::Plus => answer,
        Key::Minus => 6 - answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_factor_has_ten_items_in_the_published_rotation() {
        for (index, (_, factor, _)) in KEYED_ITEMS.iter().enumerate() {
            let expected = [E, A, C, S, O][index % 5];
            assert_eq!(*factor, expected, "item {}", index + 1);
        }
    }

    #[test]
    fn minus_keyed_items_are_the_published_ones() {
        let minus = |f: Factor| -> Vec<usize> {
            KEYED_ITEMS
                .iter()
                .enumerate()
                .filter(|(_, (_, g, k))| *g == f && *k == M)
                .map(|(i, _)| i + 1)
                .collect()
        };
        assert_eq!(minus(E), [6, 16, 26, 36, 46]);
        assert_eq!(minus(A), [2, 12, 22, 32]);
        assert_eq!(minus(C), [8, 18, 28, 38]);
        assert_eq!(minus(S), [4, 14, 24, 29, 34, 39, 44, 49]);
        assert_eq!(minus(O), [10, 20, 30]);
    }
}
