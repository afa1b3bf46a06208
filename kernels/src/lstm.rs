//! LSTM layers over packed sequences, PyTorch's semantics (`nn.LSTM` over a packed batch).
//!
//! The input projection of every token is one matrix product up front. The recurrence then
//! steps all texts together with one small product per step, texts sorted longest first so the
//! ones still running are always a prefix of the state; the backward direction walks each text
//! from its own last token. Gate maths is one fused, vectorized pass per step. Op by op through
//! candle a step costs tens of microseconds of dispatch and allocation; here a few.

use std::ops::Range;

use gemm::Parallelism;

use crate::dense::transpose;
use crate::{Dense, math};

/// One direction of one layer: `weight_ih_l{k}[_reverse]`, `weight_hh_…`, and the two biases
/// summed (they are only ever added together). Gates in PyTorch's order: i, f, g, o.
#[derive(Debug, Clone)]
pub struct LstmDirection {
    input: Dense,
    /// `weight_hh` transposed: `hidden` rows of `4 * hidden`.
    w_hh_t: Vec<f32>,
    hidden: usize,
    reverse: bool,
}

impl LstmDirection {
    /// `w_ih` is `(4H, input)`, `w_hh` `(4H, H)`, both row-major as PyTorch stores them, and
    /// `bias` is `bias_ih + bias_hh` (`4H`).
    pub fn new(
        w_ih: &[f32],
        w_hh: &[f32],
        bias: Vec<f32>,
        input: usize,
        hidden: usize,
        reverse: bool,
    ) -> Self {
        let gates = 4 * hidden;
        assert_eq!(w_hh.len(), gates * hidden, "weight_hh shape");
        Self {
            input: Dense::new(w_ih, bias, gates, input),
            w_hh_t: transpose(w_hh, gates, hidden),
            hidden,
            reverse,
        }
    }

    /// Hidden size.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Runs over packed rows `x` (each `input` wide) holding the texts `spans`. Returns the
    /// hidden state after every token (`(tokens, H)`, in `x`'s order) and each text's final
    /// hidden state (`(texts, H)`): the last token's for the forward direction, the first's
    /// for the backward one.
    pub fn run(&self, x: &[f32], spans: &[Range<usize>]) -> (Vec<f32>, Vec<f32>) {
        let (hidden, gates) = (self.hidden, 4 * self.hidden);
        let projected = self.input.forward(x);
        let tokens = projected.len() / gates;
        assert!(
            spans.iter().all(|s| s.start < s.end && s.end <= tokens),
            "spans"
        );
        // Longest first: the texts still running at step s are then order[..running].
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(spans[i].len()));
        let steps = order.first().map_or(0, |&i| spans[i].len());

        let mut outputs = vec![0f32; tokens * hidden];
        let (mut h, mut c) = (
            vec![0f32; spans.len() * hidden],
            vec![0f32; spans.len() * hidden],
        );
        let mut step_gates = Vec::with_capacity(spans.len() * gates);
        for s in 0..steps {
            let running = order.partition_point(|&i| spans[i].len() > s);
            let token = |i: usize| {
                let span = &spans[i];
                if self.reverse {
                    span.end - 1 - s
                } else {
                    span.start + s
                }
            };
            step_gates.clear();
            for &i in &order[..running] {
                step_gates.extend_from_slice(&projected[token(i) * gates..][..gates]);
            }
            // gates += h W_hhᵀ for the running texts.
            // SAFETY: `h` holds at least `running` rows of `hidden`, `w_hh_t` `hidden` rows of
            // `gates`, `step_gates` exactly `running` rows of `gates`; none alias.
            unsafe {
                gemm::gemm(
                    running,
                    gates,
                    hidden,
                    step_gates.as_mut_ptr(),
                    1,
                    gates as isize,
                    true,
                    h.as_ptr(),
                    1,
                    hidden as isize,
                    self.w_hh_t.as_ptr(),
                    1,
                    gates as isize,
                    1.0,
                    1.0,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
            }
            let width = running * hidden;
            cell(&step_gates, &mut c[..width], &mut h[..width], hidden);
            for (r, &i) in order[..running].iter().enumerate() {
                outputs[token(i) * hidden..][..hidden].copy_from_slice(&h[r * hidden..][..hidden]);
            }
        }
        let mut finals = vec![0f32; spans.len() * hidden];
        for (r, &i) in order.iter().enumerate() {
            finals[i * hidden..][..hidden].copy_from_slice(&h[r * hidden..][..hidden]);
        }
        (outputs, finals)
    }
}

/// Runs every direction of one layer over the same input (the two directions of a
/// bidirectional layer in parallel) and concatenates them per token and per text, forward
/// first, as `nn.LSTM` lays out its output and `torch.cat(h_n[-2], h_n[-1])` the finals.
pub fn run_layer(
    directions: &[LstmDirection],
    x: &[f32],
    spans: &[Range<usize>],
) -> (Vec<f32>, Vec<f32>) {
    let runs: Vec<(Vec<f32>, Vec<f32>)> = match directions {
        [forward, backward] if crate::threads() > 1 => {
            let (f, b) = rayon::join(|| forward.run(x, spans), || backward.run(x, spans));
            vec![f, b]
        }
        _ => directions.iter().map(|d| d.run(x, spans)).collect(),
    };
    let widths: Vec<usize> = directions.iter().map(|d| d.hidden).collect();
    let outputs: Vec<&[f32]> = runs.iter().map(|r| r.0.as_slice()).collect();
    let finals: Vec<&[f32]> = runs.iter().map(|r| r.1.as_slice()).collect();
    (
        concat_rows(&outputs, &widths),
        concat_rows(&finals, &widths),
    )
}

/// Row `r` of the result is row `r` of every part, side by side; part `p` is `widths[p]` wide.
fn concat_rows(parts: &[&[f32]], widths: &[usize]) -> Vec<f32> {
    let rows = parts.first().map_or(0, |p| p.len() / widths[0]);
    let mut out = Vec::with_capacity(rows * widths.iter().sum::<usize>());
    for r in 0..rows {
        for (part, &w) in parts.iter().zip(widths) {
            out.extend_from_slice(&part[r * w..][..w]);
        }
    }
    out
}

multiversion! {
    /// One step's gate maths for every running text: `gates` rows are `[i f g o]`, each `hidden`
    /// wide; `c` and `h` are updated in place.
    fn cell(gates: &[f32], c: &mut [f32], h: &mut [f32], hidden: usize) {
        for ((g, c), h) in gates
            .chunks_exact(4 * hidden)
            .zip(c.chunks_exact_mut(hidden))
            .zip(h.chunks_exact_mut(hidden))
        {
            let (i, rest) = g.split_at(hidden);
            let (f, rest) = rest.split_at(hidden);
            let (g, o) = rest.split_at(hidden);
            for j in 0..hidden {
                let next = sigmoid(f[j]) * c[j] + sigmoid(i[j]) * math::tanh(g[j]);
                c[j] = next;
                h[j] = sigmoid(o[j]) * math::tanh(next);
            }
        }
    }
}

#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + math::exp(-x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::pseudo_random;

    /// One text through one direction, step by step in f64, straight from PyTorch's equations.
    fn naive(
        x: &[Vec<f64>],
        w_ih: &[f32],
        w_hh: &[f32],
        bias: &[f32],
        hidden: usize,
    ) -> Vec<Vec<f64>> {
        let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
        let input = x[0].len();
        let (mut h, mut c) = (vec![0f64; hidden], vec![0f64; hidden]);
        let mut outs = Vec::new();
        for xt in x {
            let gate = |g: usize| -> f64 {
                bias[g] as f64
                    + (0..input)
                        .map(|k| w_ih[g * input + k] as f64 * xt[k])
                        .sum::<f64>()
                    + (0..hidden)
                        .map(|k| w_hh[g * hidden + k] as f64 * h[k])
                        .sum::<f64>()
            };
            let gates: Vec<f64> = (0..4 * hidden).map(gate).collect();
            for j in 0..hidden {
                let (i, f) = (sig(gates[j]), sig(gates[hidden + j]));
                let (g, o) = (gates[2 * hidden + j].tanh(), sig(gates[3 * hidden + j]));
                c[j] = f * c[j] + i * g;
                h[j] = o * c[j].tanh();
            }
            outs.push(h.clone());
        }
        outs
    }

    #[test]
    fn packed_texts_match_the_equations_in_both_directions() {
        let (input, hidden) = (6, 5);
        let w_ih = pseudo_random(4 * hidden * input, 1, 1.0);
        let w_hh = pseudo_random(4 * hidden * hidden, 2, 1.0);
        let bias = pseudo_random(4 * hidden, 3, 1.0);
        let lengths = [3, 7, 1, 7, 4];
        let spans: Vec<Range<usize>> = lengths
            .iter()
            .scan(0, |at, &n| {
                *at += n;
                Some(*at - n..*at)
            })
            .collect();
        let tokens: usize = lengths.iter().sum();
        let x = pseudo_random(tokens * input, 4, 1.0);
        let directions = [false, true]
            .map(|reverse| LstmDirection::new(&w_ih, &w_hh, bias.clone(), input, hidden, reverse));
        let (outputs, finals) = run_layer(&directions, &x, &spans);
        assert_eq!(outputs.len(), tokens * 2 * hidden);
        assert_eq!(finals.len(), spans.len() * 2 * hidden);

        for (s, span) in spans.iter().enumerate() {
            let rows: Vec<Vec<f64>> = span
                .clone()
                .map(|t| x[t * input..][..input].iter().map(|&v| v as f64).collect())
                .collect();
            let forward = naive(&rows, &w_ih, &w_hh, &bias, hidden);
            let reversed: Vec<_> = rows.iter().rev().cloned().collect();
            let mut backward = naive(&reversed, &w_ih, &w_hh, &bias, hidden);
            backward.reverse();
            for (k, t) in span.clone().enumerate() {
                let row = &outputs[t * 2 * hidden..][..2 * hidden];
                for j in 0..hidden {
                    assert!((row[j] as f64 - forward[k][j]).abs() < 1e-5, "fwd {s} {k}");
                    assert!(
                        (row[hidden + j] as f64 - backward[k][j]).abs() < 1e-5,
                        "bwd {s} {k}"
                    );
                }
            }
            let last = &finals[s * 2 * hidden..][..2 * hidden];
            for j in 0..hidden {
                assert!((last[j] as f64 - forward[span.len() - 1][j]).abs() < 1e-5);
                assert!((last[hidden + j] as f64 - backward[0][j]).abs() < 1e-5);
            }
        }
    }
}
