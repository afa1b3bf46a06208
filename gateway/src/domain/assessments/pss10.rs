//! PSS-10 (Cohen, Kamarck & Mermelstein, 1983; 10-item form, Cohen & Williamson, 1988).
//!
//! Ten items about the last month, answered 0–4. Items 4, 5, 7 and 8 are worded positively and
//! are reverse-scored (4 − answer) before summing, as the authors publish; the total is 0–40.
//! The PSS has no clinical cut points: the bands below are the conventional thirds the original
//! service used, described as a comparison of how stressful life has felt, nothing more.

use super::phq9::NOT_A_DIAGNOSIS;
use super::{Band, Instrument, ResponseOption, Scoring};

const OPTIONS: &[ResponseOption] = &[
    ResponseOption {
        text: "Never",
        value: 0,
    },
    ResponseOption {
        text: "Almost Never",
        value: 1,
    },
    ResponseOption {
        text: "Sometimes",
        value: 2,
    },
    ResponseOption {
        text: "Fairly Often",
        value: 3,
    },
    ResponseOption {
        text: "Very Often",
        value: 4,
    },
];

const ITEMS: &[&str] = &[
    "In the last month, how often have you been upset because of something that happened unexpectedly?",
    "In the last month, how often have you felt that you were unable to control the important things in your life?",
    "In the last month, how often have you felt nervous and \"stressed\"?",
    "In the last month, how often have you felt confident about your ability to handle your personal problems?",
    "In the last month, how often have you felt that things were going your way?",
    "In the last month, how often have you found that you could not cope with all the things that you had to do?",
    "In the last month, how often have you been able to control irritations in your life?",
    "In the last month, how often have you felt that you were on top of things?",
    "In the last month, how often have you been angered because of things that were outside of your control?",
    "In the last month, how often have you felt difficulties were piling up so high that you could not overcome them?",
];

/// The positively worded items, scored 4 − answer.
pub(super) const REVERSED: &[i64] = &[4, 5, 7, 8];

const BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 13,
        severity_level: "low",
        description: "Your answers suggest your life has felt fairly manageable over the last month, with low perceived stress.",
        recommendations: &[
            "Keep the habits that help you recover from busy days: rest, movement, time with others.",
            "Notice what is working for you now, so you can return to it when things get harder.",
            "You can take this check-in again later to compare.",
        ],
    },
    Band {
        min: 14,
        max: 26,
        severity_level: "moderate",
        description: "Your answers suggest moderate perceived stress over the last month: some demands have felt hard to control.",
        recommendations: &[
            "Sort your tasks by what is urgent and what is important, and let some of the rest wait.",
            "Build short breaks into your day, for example a few minutes of slow breathing.",
            "Protect your sleep: regular times and a wind-down period before bed.",
            "Talk through what is weighing on you with someone you trust.",
            "Regular physical activity is one of the most reliable ways to ease stress.",
        ],
    },
    Band {
        min: 27,
        max: 40,
        severity_level: "high",
        description: "Your answers suggest high perceived stress over the last month: life has often felt unpredictable or overwhelming.",
        recommendations: &[
            "Consider which demands you can drop, delay or share with someone else.",
            "Short, regular relaxation practice (slow breathing, muscle relaxation) can lower the physical load of stress.",
            "Ask for support from people around you; you do not have to carry everything alone.",
            "If stress is affecting your sleep, health or daily life, consider talking with a doctor or counsellor.",
            NOT_A_DIAGNOSIS,
        ],
    },
];

/// The PSS-10 definition (id 4).
pub(super) const PSS10: Instrument = Instrument {
    id: 4,
    test_type: "PSS10",
    name: "PSS-10 Stress Assessment",
    description: "The questions in this scale ask you about your feelings and thoughts during the last month. In each case, indicate how often you felt or thought a certain way. The Perceived Stress Scale (PSS-10) measures how unpredictable, uncontrollable and overloaded life has felt.",
    items: ITEMS,
    options: OPTIONS,
    scoring: Scoring::SumWithReversed {
        items: REVERSED,
        reverse_from: 4,
    },
    max_score: 40,
    bands: BANDS,
    source: "Cohen S, Kamarck T, Mermelstein R (1983). A global measure of perceived stress. Journal of Health and Social Behavior, 24, 385–396. Free for non-commercial research and educational use; commercial use needs permission.",
};
