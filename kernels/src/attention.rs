//! Multi-head scaled dot-product attention over packed sequences: the rows of a batch's texts
//! lie end to end with no padding, so no work is spent on padding and no mask is needed (a
//! padded key gets exactly zero weight in transformers, so the result is the same).
//!
//! Each (sequence, head) pair is one task: `Q Kᵀ / √d`, a softmax per row and `P V`, all on
//! one thread while the scores are in cache, with the tasks spread over the rayon pool.

use std::ops::Range;

use gemm::Parallelism;
use rayon::prelude::*;

use crate::par::SharedMut;
use crate::{math, simd};

/// Queries, keys or values inside a row-major buffer: head `h` of row `t` is
/// `data[t * stride + offset + h * head_dim ..][..head_dim]`. A fused QKV projection gives all
/// three as views of one buffer with offsets 0, `hidden` and `2 * hidden`.
#[derive(Debug, Clone, Copy)]
pub struct Heads<'a> {
    /// The buffer.
    pub data: &'a [f32],
    /// Elements from one row to the next.
    pub stride: usize,
    /// Where head 0 starts within a row.
    pub offset: usize,
}

impl Heads<'_> {
    /// Panics unless rows up to `rows_end` hold `width` elements from `offset` inside `data`.
    fn check(&self, rows_end: usize, width: usize, what: &str) {
        if rows_end == 0 {
            return;
        }
        let last = (rows_end - 1) * self.stride + self.offset + width;
        assert!(
            self.offset + width <= self.stride && last <= self.data.len(),
            "{what}: {rows_end} rows of {width} at offset {} and stride {} overrun {} elements",
            self.offset,
            self.stride,
            self.data.len()
        );
    }

    fn at(&self, row: usize, head: usize, head_dim: usize) -> *const f32 {
        self.data[row * self.stride + self.offset + head * head_dim..].as_ptr()
    }
}

/// `softmax(Q Kᵀ / √head_dim) V` for every sequence and head. Sequence `s` attends from query
/// rows `q_spans[s]` of `q` to key and value rows `kv_spans[s]` of `k` and `v`. The result has
/// one `heads * head_dim`-wide row per query row: as many rows as `q_spans` reach.
#[allow(clippy::too_many_arguments)] // the shape of attention, spelled out
pub fn attention(
    q: Heads<'_>,
    k: Heads<'_>,
    v: Heads<'_>,
    q_spans: &[Range<usize>],
    kv_spans: &[Range<usize>],
    heads: usize,
    head_dim: usize,
) -> Vec<f32> {
    assert_eq!(q_spans.len(), kv_spans.len(), "one query span per sequence");
    let width = heads * head_dim;
    let mut end = 0;
    for span in q_spans {
        // Disjoint, ordered query spans make the tasks' output regions disjoint.
        assert!(span.start >= end && span.end > span.start, "query spans");
        end = span.end;
    }
    let kv_end = kv_spans.iter().map(|s| s.end).max().unwrap_or(0);
    assert!(kv_spans.iter().all(|s| !s.is_empty()), "empty sequence");
    q.check(end, width, "queries");
    k.check(kv_end, width, "keys");
    v.check(kv_end, width, "values");

    let mut out = vec![0f32; end * width];
    let ptr = SharedMut(out.as_mut_ptr());
    let task = |i: usize| {
        let (s, h) = (i / heads, i % heads);
        // SAFETY: spans and views are checked above; this task writes only rows `q_spans[s]`,
        // columns of head `h`, of `out`.
        unsafe { one_head(q, k, v, &q_spans[s], &kv_spans[s], h, head_dim, width, ptr) }
    };
    let tasks = q_spans.len() * heads;
    let work: usize = q_spans
        .iter()
        .zip(kv_spans)
        .map(|(q, kv)| q.len() * kv.len() * head_dim * heads)
        .sum();
    if crate::threads() > 1 && tasks > 1 && work >= 64 * 1024 {
        (0..tasks).into_par_iter().for_each(task);
    } else {
        (0..tasks).for_each(task);
    }
    out
}

/// One sequence, one head.
///
/// # Safety
/// The spans must lie inside the views, and `out` must hold `q_span.end` rows of `width`, of
/// which this call writes the rows `q_span`, columns `head * head_dim ..` of `head_dim`.
#[allow(clippy::too_many_arguments)]
unsafe fn one_head(
    q: Heads<'_>,
    k: Heads<'_>,
    v: Heads<'_>,
    q_span: &Range<usize>,
    kv_span: &Range<usize>,
    head: usize,
    head_dim: usize,
    width: usize,
    out: SharedMut,
) {
    let (m, n, d) = (q_span.len(), kv_span.len(), head_dim);
    let mut scores = vec![0f32; m * n];
    // SAFETY (both calls): the caller guarantees the rows read exist in each view and the rows
    // written exist in `out`; `scores` is m x n. Kᵀ is K read with row and column strides
    // swapped.
    unsafe {
        gemm::gemm(
            m,
            n,
            d,
            scores.as_mut_ptr(),
            1,
            n as isize,
            false,
            q.at(q_span.start, head, d),
            1,
            q.stride as isize,
            k.at(kv_span.start, head, d),
            k.stride as isize,
            1,
            0.0,
            1.0 / (d as f32).sqrt(),
            false,
            false,
            false,
            Parallelism::None,
        );
    }
    softmax_rows(&mut scores, n);
    unsafe {
        gemm::gemm(
            m,
            d,
            n,
            out.add(q_span.start * width + head * d),
            1,
            width as isize,
            false,
            scores.as_ptr(),
            1,
            n as isize,
            v.at(kv_span.start, head, d),
            1,
            v.stride as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

multiversion! {
    /// Softmax of every `width`-wide row, in place, shifted by the row maximum as torch does.
    fn softmax_rows(xs: &mut [f32], width: usize) {
        for row in xs.chunks_exact_mut(width) {
            let max = simd::max(row);
            for x in row.iter_mut() {
                *x = math::exp(*x - max);
            }
            let scale = 1.0 / simd::sum(row);
            for x in row.iter_mut() {
                *x *= scale;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::pseudo_random;

    /// Attention for one sequence and head in f64, straight from the definition.
    fn naive(q: &[Vec<f64>], k: &[Vec<f64>], v: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let d = q[0].len() as f64;
        q.iter()
            .map(|qi| {
                let s: Vec<f64> = k
                    .iter()
                    .map(|kj| qi.iter().zip(kj).map(|(a, b)| a * b).sum::<f64>() / d.sqrt())
                    .collect();
                let max = s.iter().cloned().fold(f64::MIN, f64::max);
                let e: Vec<f64> = s.iter().map(|x| (x - max).exp()).collect();
                let total: f64 = e.iter().sum();
                (0..v[0].len())
                    .map(|c| e.iter().zip(v).map(|(p, vj)| p / total * vj[c]).sum())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn packed_sequences_attend_only_within_themselves() {
        let (heads, d) = (3, 8);
        let hidden = heads * d;
        let lengths = [5, 1, 40, 17];
        let spans: Vec<Range<usize>> = lengths
            .iter()
            .scan(0, |at, &n| {
                *at += n;
                Some(*at - n..*at)
            })
            .collect();
        let rows: usize = lengths.iter().sum();
        let qkv = pseudo_random(rows * 3 * hidden, 3, 2.0);
        let view = |offset| Heads {
            data: &qkv,
            stride: 3 * hidden,
            offset,
        };
        let got = attention(
            view(0),
            view(hidden),
            view(2 * hidden),
            &spans,
            &spans,
            heads,
            d,
        );
        assert_eq!(got.len(), rows * hidden);

        // Only the first query of each sequence, from a separate buffer, as the last layer does.
        let firsts: Vec<f32> = spans
            .iter()
            .flat_map(|s| qkv[s.start * 3 * hidden..][..hidden].to_vec())
            .collect();
        let first_spans: Vec<Range<usize>> = (0..spans.len()).map(|i| i..i + 1).collect();
        let q_first = Heads {
            data: &firsts,
            stride: hidden,
            offset: 0,
        };
        let got_first = attention(
            q_first,
            view(hidden),
            view(2 * hidden),
            &first_spans,
            &spans,
            heads,
            d,
        );

        for (s, span) in spans.iter().enumerate() {
            for h in 0..heads {
                let part = |row: usize, base: usize| -> Vec<f64> {
                    qkv[row * 3 * hidden + base + h * d..][..d]
                        .iter()
                        .map(|&x| x as f64)
                        .collect()
                };
                let q: Vec<_> = span.clone().map(|r| part(r, 0)).collect();
                let k: Vec<_> = span.clone().map(|r| part(r, hidden)).collect();
                let v: Vec<_> = span.clone().map(|r| part(r, 2 * hidden)).collect();
                let want = naive(&q, &k, &v);
                for (i, row) in span.clone().enumerate() {
                    for c in 0..d {
                        let g = got[row * hidden + h * d + c] as f64;
                        assert!((g - want[i][c]).abs() < 1e-5, "seq {s} head {h} row {i}");
                    }
                }
                for c in 0..d {
                    let g = got_first[s * hidden + h * d + c] as f64;
                    assert!((g - want[0][c]).abs() < 1e-5, "first of seq {s} head {h}");
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "overrun")]
    fn refuses_spans_past_the_buffer() {
        let data = vec![0f32; 4 * 6];
        let view = Heads {
            data: &data,
            stride: 6,
            offset: 0,
        };
        let spans: Vec<Range<usize>> = std::iter::once(0..5).collect();
        attention(view, view, view, &spans, &spans, 2, 3);
    }
}
