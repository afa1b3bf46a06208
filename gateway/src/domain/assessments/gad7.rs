//! GAD-7 (Spitzer, Kroenke, Williams & Löwe, 2006): seven items over the last two weeks, 0–21.
//!
//! Item wording is the published English text; bands follow the authors' cut points 5, 10, 15.

use super::phq9::{FREQUENCY_OPTIONS, NOT_A_DIAGNOSIS};
use super::{Band, Instrument, Scoring};

const ITEMS: &[&str] = &[
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
];

const BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 4,
        severity_level: "minimal",
        description: "Your answers suggest few or no symptoms of anxiety over the last two weeks.",
        recommendations: &[
            "Keep using what already helps you stay calm and steady.",
            "Short breathing or relaxation exercises are worth practising while things are calm.",
            "You can take this check-in again whenever you want to see how you are doing.",
            NOT_A_DIAGNOSIS,
        ],
    },
    Band {
        min: 5,
        max: 9,
        severity_level: "mild",
        description: "Your answers suggest mild symptoms of anxiety over the last two weeks.",
        recommendations: &[
            "Try a few minutes of slow breathing or muscle relaxation each day.",
            "Notice which situations raise your worry, and write them down when they happen.",
            "Cutting back on caffeine and keeping regular sleep times can ease physical tension.",
            "Talk with someone you trust about what has been on your mind.",
            NOT_A_DIAGNOSIS,
        ],
    },
    Band {
        min: 10,
        max: 14,
        severity_level: "moderate",
        description: "Your answers suggest moderate symptoms of anxiety over the last two weeks.",
        recommendations: &[
            "Consider talking with a doctor or a mental health professional about how you have been feeling.",
            "Setting aside a short, fixed \"worry time\" each day can help keep worry from filling the whole day.",
            "Regular physical activity and relaxation practice can reduce tension.",
            "Let someone you trust know what you are going through.",
            NOT_A_DIAGNOSIS,
        ],
    },
    Band {
        min: 15,
        max: 21,
        severity_level: "severe",
        description: "Your answers suggest severe symptoms of anxiety over the last two weeks.",
        recommendations: &[
            "Please consider contacting a doctor or a mental health professional soon; effective help exists.",
            "When anxiety peaks, slow your breathing and focus on what you can see, hear and touch around you.",
            "Reach out to someone you trust rather than coping alone.",
            "If you feel unsafe, contact a crisis line or emergency services.",
            NOT_A_DIAGNOSIS,
        ],
    },
];

/// The GAD-7 definition (id 2).
pub(super) const GAD7: Instrument = Instrument {
    id: 2,
    test_type: "GAD7",
    name: "GAD-7 Anxiety Screening",
    description: "Over the last 2 weeks, how often have you been bothered by the following problems? The Generalized Anxiety Disorder scale (GAD-7) is a widely used screening questionnaire for symptoms of anxiety.",
    items: ITEMS,
    options: FREQUENCY_OPTIONS,
    scoring: Scoring::Sum,
    max_score: 21,
    bands: BANDS,
    source: "Spitzer RL, Kroenke K, Williams JBW, Löwe B (2006). Developed with an educational grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute.",
};
