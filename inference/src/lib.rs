//! The moodtracker inference service: RoBERTa and LSTM text classifiers on candle, served over
//! gRPC with health, reflection, batching and admission control.
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

mod error;
pub mod model;

pub use error::Error;
