//! Pure domain logic: no I/O, no clocks (the current time is a parameter), so every rule is
//! unit-tested directly.

pub mod analytics;
pub mod assessments;
pub mod coping;
pub mod history;
pub mod insights;
pub mod sentiment;
