//! The moodtracker HTTP API gateway.
#![forbid(unsafe_code)]
