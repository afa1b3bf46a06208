//! The coping strategies that insights can suggest.
//!
//! Ids, categories, durations and effectiveness ratings are the contract's (section 6); the
//! names, descriptions and step-by-step instructions are ours, each grounded in the published
//! technique it names. Effectiveness is the original service's 0–10 rating used for ordering,
//! not a clinical claim.

use serde::Serialize;

/// One suggested exercise, in the contract's `CopingStrategy` shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CopingStrategy {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub category: &'static str,
    pub duration_minutes: i64,
    pub effectiveness_score: i64,
    /// Numbered steps separated by `\n`.
    pub instructions: &'static str,
}

pub const BEHAVIORAL_ACTIVATION: CopingStrategy = CopingStrategy {
    id: "behavioral_activation",
    name: "Behavioral Activation: One Small Step",
    description: "Low mood makes us do less, and doing less keeps mood low. Planning small, valued activities, and doing them before motivation arrives, helps break that loop.",
    category: "Depression",
    duration_minutes: 15,
    effectiveness_score: 9,
    instructions: "1. Write down three activities that used to give you a sense of enjoyment or achievement.\n2. Pick the smallest, easiest one and schedule it for a specific time today.\n3. Do it for 10 to 15 minutes, even if you don't feel like it: action often comes before motivation.\n4. Afterwards, rate your mood and your sense of achievement from 0 to 10.\n5. Plan one activity for tomorrow, building up a little at a time.",
};

pub const THOUGHT_RECORD: CopingStrategy = CopingStrategy {
    id: "thought_record",
    name: "Thought Record",
    description: "A cognitive-behavioural exercise: catch an upsetting thought, weigh the evidence for and against it, and write a more balanced alternative.",
    category: "Depression",
    duration_minutes: 10,
    effectiveness_score: 9,
    instructions: "1. Note the situation: what happened, where and when.\n2. Write down the thought that went through your mind and how strongly you believe it (0-100%).\n3. Name the feelings that came with it and rate how intense they were (0-100%).\n4. List the evidence that supports the thought, then the evidence that doesn't.\n5. Write a more balanced thought that takes all the evidence into account.\n6. Re-rate how much you believe the original thought and how intense your feelings are now.",
};

pub const PROGRESSIVE_MUSCLE_RELAXATION: CopingStrategy = CopingStrategy {
    id: "progressive_muscle_relaxation",
    name: "Progressive Muscle Relaxation",
    description: "Tensing and then releasing muscle groups one by one teaches the body the difference between tension and relaxation, and eases the physical side of anxiety.",
    category: "Anxiety",
    duration_minutes: 10,
    effectiveness_score: 8,
    instructions: "1. Sit or lie down somewhere comfortable; close your eyes if you like.\n2. Start with your feet: tense the muscles for about 5 seconds and notice the tension.\n3. Release all at once and notice the feeling of relaxation for 10 to 15 seconds.\n4. Work upward in turn: calves, thighs, stomach, hands, arms, shoulders, neck and face.\n5. Breathe slowly throughout, and never tense to the point of pain.\n6. Finish with a few slow breaths, noticing how your whole body feels.",
};

pub const WORRY_TIME: CopingStrategy = CopingStrategy {
    id: "worry_time",
    name: "Scheduled Worry Time",
    description: "Instead of worrying all day, postpone worries to a short daily slot. This limits how much of the day worry takes and makes worries easier to sort into solvable and unsolvable.",
    category: "Anxiety",
    duration_minutes: 15,
    effectiveness_score: 7,
    instructions: "1. Choose a fixed 15-minute slot each day, not close to bedtime.\n2. When a worry comes up during the day, jot it down in a few words and postpone it to your worry time.\n3. Gently bring your attention back to what you were doing.\n4. At worry time, go through the list: for each worry, ask whether there is something you can do about it.\n5. If there is, write down one concrete next step; if not, practise letting it go.\n6. When the 15 minutes are up, stop, even if the list isn't finished.",
};

pub const TIME_MANAGEMENT: CopingStrategy = CopingStrategy {
    id: "time_management",
    name: "Priority Matrix (Eisenhower Box)",
    description: "Sorting tasks by urgency and importance makes an overwhelming list manageable and shows what can wait, be shared or be dropped.",
    category: "Stress",
    duration_minutes: 10,
    effectiveness_score: 8,
    instructions: "1. Write down everything you feel you have to do.\n2. Draw four boxes: Urgent and Important, Important but Not Urgent, Urgent but Not Important, and Neither.\n3. Put each task in one box.\n4. Do the Urgent and Important tasks first.\n5. Give the Important but Not Urgent tasks a time in your calendar.\n6. Delegate, shorten or say no to Urgent but Not Important tasks where you can.\n7. Drop or postpone whatever is in Neither.",
};

pub const BOX_BREATHING: CopingStrategy = CopingStrategy {
    id: "box_breathing",
    name: "Box Breathing",
    description: "Slow, paced breathing with equal counts in, hold, out and hold calms the body's stress response within a few minutes.",
    category: "Stress",
    duration_minutes: 5,
    effectiveness_score: 9,
    instructions: "1. Sit upright and breathe out fully.\n2. Breathe in slowly through your nose for a count of 4.\n3. Hold your breath for a count of 4.\n4. Breathe out slowly through your mouth for a count of 4.\n5. Hold for a count of 4.\n6. Repeat for about 5 minutes. If holding your breath is uncomfortable, shorten the counts or skip the holds.",
};

pub const VALUES_CLARIFICATION: CopingStrategy = CopingStrategy {
    id: "values_clarification",
    name: "Values Clarification",
    description: "Personality describes your tendencies; values describe what you care about. Naming your values helps you choose actions that fit the person you want to be.",
    category: "Personality",
    duration_minutes: 15,
    effectiveness_score: 8,
    instructions: "1. Think about the main areas of your life: relationships, work or study, health, personal growth, community and leisure.\n2. For each, write a few words about what matters to you there and how you'd like to act.\n3. Pick the two or three values that feel most important right now.\n4. Rate from 0 to 10 how closely your recent actions have matched each one.\n5. Choose one small action this week that moves you toward one of those values.",
};

pub const GROUNDING_54321: CopingStrategy = CopingStrategy {
    id: "grounding_54321",
    name: "5-4-3-2-1 Grounding",
    description: "When feelings run high, turning your attention to your senses brings you back to the present moment.",
    category: "Mindfulness",
    duration_minutes: 5,
    effectiveness_score: 8,
    instructions: "1. Pause and take one slow breath.\n2. Name 5 things you can see around you.\n3. Name 4 things you can physically feel, such as your feet on the floor or the chair beneath you.\n4. Name 3 things you can hear.\n5. Name 2 things you can smell, or two smells you like.\n6. Name 1 thing you can taste, or one kind thing you can say to yourself.\n7. Take another slow breath and notice how you feel now.",
};

pub const THREE_GOOD_THINGS: CopingStrategy = CopingStrategy {
    id: "gratitude_three_good_things",
    name: "Three Good Things",
    description: "Writing down three things that went well each day, and why, is a simple positive-psychology exercise that shifts attention toward what is going right.",
    category: "Positive Psychology",
    duration_minutes: 5,
    effectiveness_score: 8,
    instructions: "1. In the evening, think back over your day.\n2. Write down three things that went well, however small.\n3. For each one, write why it happened or what your part in it was.\n4. Take a moment to notice the feeling each one brings.\n5. Repeat every evening for a week, then look back over your notes.",
};
