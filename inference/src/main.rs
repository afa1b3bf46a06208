//! `moodtracker-inference`: reads configuration, sets up telemetry and serves until SIGTERM.

fn main() {}
