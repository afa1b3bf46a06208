//! PHQ-9 (Kroenke, Spitzer & Williams, 2001): nine items over the last two weeks, 0–27.
//!
//! Item wording is the published English text. The unscored tenth "difficulty" item is left out,
//! as in the original service. Bands follow the authors' cut points 5, 10, 15 and 20.

use super::{Band, Instrument, ResponseOption, Scoring};

/// The 0–3 frequency scale shared by the PHQ-9 and the GAD-7.
pub(super) const FREQUENCY_OPTIONS: &[ResponseOption] = &[
    ResponseOption {
        text: "Not at all",
        value: 0,
    },
    ResponseOption {
        text: "Several days",
        value: 1,
    },
    ResponseOption {
        text: "More than half the days",
        value: 2,
    },
    ResponseOption {
        text: "Nearly every day",
        value: 3,
    },
];

/// A line every band repeats, because a screening total is easy to mistake for a diagnosis.
pub(super) const NOT_A_DIAGNOSIS: &str = "This is a screening questionnaire, not a diagnosis. Only a qualified health professional can assess what your answers mean for you.";

const ITEMS: &[&str] = &[
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
];

const BANDS: &[Band] = &[
    Band {
        min: 0,
        max: 4,
        severity_level: "minimal",
        description: "Your answers suggest few or no symptoms of depression over the last two weeks.",
        recommendations: &[
            "Keep up the routines that help you feel well: sleep, movement, time with people you like.",
            "Journaling regularly can help you notice changes in your mood early.",
            "If things change, you can take this check-in again at any time.",
            NOT_A_DIAGNOSIS,
        ],
    },
    Band {
        min: 5,
        max: 9,
        severity_level: "mild",
        description: "Your answers suggest mild symptoms of depression over the last two weeks.",
        recommendations: &[
            "Plan one small, enjoyable or meaningful activity each day, even when motivation is low.",
            "Keep regular sleep and wake times, and try to get outside or move your body daily.",
            "Talk with someone you trust about how you have been feeling.",
            "Consider repeating this check-in in two weeks to see how things are going.",
            NOT_A_DIAGNOSIS,
        ],
    },
    Band {
        min: 10,
        max: 14,
        severity_level: "moderate",
        description: "Your answers suggest moderate symptoms of depression over the last two weeks.",
        recommendations: &[
            "Consider talking with a doctor or a mental health professional about how you have been feeling.",
            "Structured self-help, such as activity scheduling or thought records, can help alongside professional support.",
            "Stay connected with people you trust, even briefly, and let someone know what is going on.",
            "Look after the basics: regular meals, sleep and some daily movement.",
            NOT_A_DIAGNOSIS,
        ],
    },
    Band {
        min: 15,
        max: 19,
        severity_level: "moderately_severe",
        description: "Your answers suggest moderately severe symptoms of depression over the last two weeks.",
        recommendations: &[
            "Please consider contacting a doctor or a mental health professional soon to talk about how you have been feeling.",
            "Let someone close to you know that you are going through a hard time.",
            "Break the day into small, manageable steps and be patient with yourself.",
            "If you ever have thoughts of harming yourself, contact a crisis line or emergency services straight away.",
            NOT_A_DIAGNOSIS,
        ],
    },
    Band {
        min: 20,
        max: 27,
        severity_level: "severe",
        description: "Your answers suggest severe symptoms of depression over the last two weeks.",
        recommendations: &[
            "Please contact a doctor or a mental health professional as soon as you can; support can make a real difference.",
            "If you feel unsafe or have thoughts of harming yourself, contact a crisis line or emergency services now.",
            "Reach out to someone you trust and let them know how you are feeling.",
            "You do not have to handle this alone; asking for help is a strong and sensible step.",
            NOT_A_DIAGNOSIS,
        ],
    },
];

/// The PHQ-9 definition (id 1).
pub(super) const PHQ9: Instrument = Instrument {
    id: 1,
    test_type: "PHQ9",
    name: "PHQ-9 Depression Screening",
    description: "Over the last 2 weeks, how often have you been bothered by any of the following problems? The Patient Health Questionnaire (PHQ-9) is a widely used screening questionnaire for symptoms of depression.",
    items: ITEMS,
    options: FREQUENCY_OPTIONS,
    scoring: Scoring::Sum,
    max_score: 27,
    bands: BANDS,
    source: "Kroenke K, Spitzer RL, Williams JB (2001). Developed by Drs. Spitzer, Williams, Kroenke and colleagues with an educational grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute.",
};
