//! Cumulative inference statistics per model, for the Open Inference Protocol's
//! `ModelStatistics`: successful and failed requests with their total time, texts classified,
//! and when the last request arrived. Both protocols count here, so the figures describe the
//! model, not one API.

use std::{
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use crate::model::Kind;

/// One model's figures so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelStats {
    pub success_count: u64,
    pub success_ns: u64,
    pub fail_count: u64,
    pub fail_ns: u64,
    /// Texts in successful requests (Triton's `inference_count` counts batch elements).
    pub inference_count: u64,
    /// Milliseconds since the Unix epoch of the last request; 0 before the first.
    pub last_inference_ms: u64,
}

/// Shared by every connection's service clone.
#[derive(Debug, Default)]
pub struct Statistics {
    /// A std mutex, not tokio's: it is held for a few additions and never across an await.
    by_kind: Mutex<[ModelStats; 2]>,
}

impl Statistics {
    /// Counts one answered request under each model it named.
    pub fn record(&self, kinds: &[Kind], texts: usize, ok: bool, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut by_kind = self.by_kind.lock().expect("statistics lock poisoned");
        for &kind in kinds {
            let stats = &mut by_kind[index(kind)];
            stats.last_inference_ms = now_ms;
            if ok {
                stats.success_count += 1;
                stats.success_ns += ns;
                stats.inference_count += texts as u64;
            } else {
                stats.fail_count += 1;
                stats.fail_ns += ns;
            }
        }
    }

    pub fn of(&self, kind: Kind) -> ModelStats {
        self.by_kind.lock().expect("statistics lock poisoned")[index(kind)]
    }
}

fn index(kind: Kind) -> usize {
    match kind {
        Kind::Roberta => 0,
        Kind::Lstm => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_successes_with_their_texts_and_failures_apart_per_model() {
        let stats = Statistics::default();

        stats.record(&[Kind::Roberta], 3, true, Duration::from_millis(2));
        stats.record(
            &[Kind::Roberta, Kind::Lstm],
            1,
            false,
            Duration::from_nanos(5),
        );

        let roberta = stats.of(Kind::Roberta);
        assert_eq!(
            (
                roberta.success_count,
                roberta.success_ns,
                roberta.inference_count
            ),
            (1, 2_000_000, 3)
        );
        assert_eq!((roberta.fail_count, roberta.fail_ns), (1, 5));
        let lstm = stats.of(Kind::Lstm);
        assert_eq!(
            (lstm.success_count, lstm.fail_count, lstm.inference_count),
            (0, 1, 0)
        );
        assert!(lstm.last_inference_ms > 0);
    }
}
