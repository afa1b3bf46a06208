//! The Generic Cell Rate Algorithm in integer microseconds, shared by the in-memory limiter and
//! mirrored line for line by the Redis script in `script.lua`.
//!
//! Why GCRA rather than a sliding-window log: it keeps one number per key (the "theoretical
//! arrival time", TAT) instead of one entry per request, so 1000/day costs the same as 5/minute,
//! and it is exact: a quota of N per period admits exactly N requests at once from an empty
//! bucket, then one more every `period / N`. A quota is a bucket of capacity
//! `interval * limit` that drains one `interval` per request; the request is admitted when the
//! bucket after it would not overflow.
//!
//! `interval` is `floor(period / limit)` and the capacity `interval * limit`, so all arithmetic
//! stays in integers (exact in Lua's doubles below 2^53) and a burst of exactly `limit` always
//! fits, whatever rounding the division needed.

/// One quota's parameters in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// Requests admitted per period.
    pub limit: u64,
    /// Microseconds each request adds to the bucket: `floor(period / limit)`, at least 1.
    pub interval: u64,
}

impl Cell {
    /// The cell for `limit` requests per `period_us` microseconds.
    pub fn new(limit: u64, period_us: u64) -> Self {
        let limit = limit.max(1);
        Self {
            limit,
            interval: (period_us / limit).max(1),
        }
    }

    fn capacity(self) -> u64 {
        self.interval * self.limit
    }
}

/// The outcome for one quota at time `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Whether this quota admits the request.
    pub allowed: bool,
    /// Requests left after this one (0 when refused).
    pub remaining: u64,
    /// Microseconds until the bucket is empty again (the quota fully resets).
    pub reset_us: u64,
    /// Microseconds until a refused request would be admitted (0 when allowed).
    pub retry_us: u64,
    /// The TAT to store when every quota of the decision admits the request.
    pub new_tat: u64,
}

/// Evaluates one quota for a request at `now`, given the stored TAT (`None` when absent).
pub fn evaluate(cell: Cell, stored_tat: Option<u64>, now: u64) -> Verdict {
    let tat = stored_tat.unwrap_or(now).max(now);
    let new_tat = tat + cell.interval;
    let fill = new_tat - now;
    if fill > cell.capacity() {
        return Verdict {
            allowed: false,
            remaining: 0,
            reset_us: tat - now,
            retry_us: fill - cell.capacity(),
            new_tat: tat,
        };
    }
    Verdict {
        allowed: true,
        remaining: (cell.capacity() - fill) / cell.interval,
        reset_us: fill,
        retry_us: 0,
        new_tat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: u64 = 60_000_000;

    fn burst(cell: Cell, n: usize, now: u64) -> (Vec<Verdict>, Option<u64>) {
        burst_from(cell, None, n, now)
    }

    fn burst_from(
        cell: Cell,
        mut tat: Option<u64>,
        n: usize,
        now: u64,
    ) -> (Vec<Verdict>, Option<u64>) {
        let mut out = Vec::new();
        for _ in 0..n {
            let v = evaluate(cell, tat, now);
            if v.allowed {
                tat = Some(v.new_tat);
            }
            out.push(v);
        }
        (out, tat)
    }

    #[test]
    fn admits_exactly_the_limit_at_once_even_when_the_period_does_not_divide() {
        for limit in [1, 3, 5, 7, 30, 1000] {
            let (verdicts, _) = burst(Cell::new(limit, MINUTE), limit as usize + 3, 1_000);
            let admitted = verdicts.iter().filter(|v| v.allowed).count();
            assert_eq!(admitted as u64, limit, "limit {limit}");
        }
    }

    #[test]
    fn remaining_counts_down_to_zero() {
        let (verdicts, _) = burst(Cell::new(5, MINUTE), 5, 0);
        let remaining: Vec<u64> = verdicts.iter().map(|v| v.remaining).collect();
        assert_eq!(remaining, vec![4, 3, 2, 1, 0]);
    }

    #[test]
    fn a_refused_request_learns_when_to_retry_and_is_admitted_then() {
        let cell = Cell::new(5, MINUTE);
        let (_, tat) = burst(cell, 5, 0);
        let refused = evaluate(cell, tat, 0);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_us, MINUTE / 5);
        assert_eq!(refused.reset_us, MINUTE);
        assert!(evaluate(cell, tat, refused.retry_us).allowed);
        assert!(!evaluate(cell, tat, refused.retry_us - 1).allowed);
    }

    #[test]
    fn an_idle_bucket_refills_completely() {
        let cell = Cell::new(3, MINUTE);
        let (_, tat) = burst(cell, 3, 0);
        let (later, _) = burst_from(cell, tat, 4, MINUTE);
        assert_eq!(later.iter().filter(|v| v.allowed).count(), 3);
    }
}
