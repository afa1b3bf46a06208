//! Fused f32 CPU kernels for a transformer encoder's forward pass: dense layers with the bias and
//! residual folded into the matrix product, LayerNorm, GELU, and self-attention over packed
//! (unpadded) sequences; and LSTM layers over the same packed layout.
//!
//! Why this crate exists: run op by op through candle, a MiniLM-sized encoder on a 2-core CPU
//! spends about half its time outside matrix products: allocating a tensor per element-wise
//! op, one pass over memory per op, a scalar `erf`, and two thread pools (candle's element-wise
//! barrier pool and the rayon pool `gemm` uses) spinning against each other. Here every
//! element-wise step is fused into the pass next to it, all parallel work goes through the one
//! rayon pool, and transcendental functions are branch-free polynomials that vectorize.
//!
//! The matrix products of up to 1024 rows (one text, or a few) run on weights packed once at
//! load for an AVX2 or AVX-512 micro-kernel (`packed.rs`); larger ones on the same `gemm` crate
//! candle uses on the CPU, called directly so the bias and residual can be accumulated into the
//! output. Everything unsafe in the inference
//! service lives here, each block with the reason it is sound; the kernels are checked against
//! naive reference implementations in the tests of each module.

#![warn(missing_debug_implementations, missing_docs, rust_2018_idioms)]
#![deny(unsafe_op_in_unsafe_fn)]

#[macro_use]
mod simd;

pub mod activation;
pub mod attention;
pub mod dense;
pub mod lstm;
pub mod math;
pub mod norm;
mod packed;
mod par;

pub use activation::Activation;
pub use attention::{Heads, attention};
pub use dense::Dense;
pub use lstm::LstmDirection;
pub use norm::LayerNorm;

/// Each text's range of rows once texts of `lengths` rows are laid end to end: the packed
/// layout [`attention`] and [`LstmDirection::run`] take.
pub fn packed_spans(lengths: impl IntoIterator<Item = usize>) -> Vec<std::ops::Range<usize>> {
    let mut at = 0;
    lengths
        .into_iter()
        .map(|len| {
            at += len;
            at - len..at
        })
        .collect()
}

/// Runs `f` on a thread of the rayon pool and returns its result. A forward pass alternates
/// parallel steps with short serial ones; run from outside the pool, the serial steps compete
/// for a core with pool threads still spinning for the next task, and each parallel step pays
/// a hand-off both ways. On a pool thread the serial steps run where the work already is.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

/// Sizes the thread pool every kernel (and `gemm`) runs on: `count` threads, or rayon's default, the
/// CPUs this process may use (a container's CPU limit included). Only the first call in a
/// process can size it; later calls, or a pool another library already started, keep the pool
/// as it is. Returns the size in effect.
pub fn init_threads(count: Option<usize>) -> usize {
    let mut pool = rayon::ThreadPoolBuilder::new().thread_name(|i| format!("compute-{i}"));
    if let Some(n) = count {
        pool = pool.num_threads(n);
    }
    // An error only means the global pool already exists; its size is reported below.
    let _ = pool.build_global();
    threads()
}

/// The widest instruction set the kernels may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Isa {
    /// The widest the CPU has: AVX-512 where present, else AVX2 and FMA, else baseline x86-64.
    #[default]
    Native,
    /// At most AVX2 and FMA, even on an AVX-512 CPU: to measure, on one machine, what a CPU
    /// without AVX-512 gets (`gemm`, used for products of many rows, still picks its own).
    Avx2,
}

/// Caps the instruction set of every kernel from now on. Dense layers built before keep the
/// panels they packed and use them only while the cap still allows their kernel, so set the
/// cap before loading a model (the service does, from `INFERENCE_CPU_ISA`).
pub fn cap_isa(isa: Isa) {
    simd::set_cap_at_avx2(isa == Isa::Avx2);
}

/// Turns the packed-weight micro-kernels on (the default) or off, leaving every product to
/// `gemm` as before they existed: for benchmarks that show both in one run.
pub fn use_packed_weights(on: bool) {
    dense::set_packed(on);
}

/// The instruction set the kernels use now: `"avx512"`, `"avx2"` or `"baseline"`.
pub fn isa_in_use() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if simd::has_v4() {
            return "avx512";
        }
        if simd::has_v3() {
            return "avx2";
        }
    }
    "baseline"
}

/// Threads the kernels spread work over: the rayon pool's, which `gemm` also uses.
pub fn threads() -> usize {
    rayon::current_num_threads()
}

/// Inputs for the kernels' tests.
#[cfg(test)]
pub(crate) mod testing {
    /// `n` values spread over `[-scale, scale)` in a fixed, seed-dependent scramble.
    pub(crate) fn pseudo_random(n: usize, seed: usize, scale: f32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let unit = (((i + seed) * 2_654_435_761) % 10_007) as f32 / 10_007.0;
                (2.0 * unit - 1.0) * scale
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn texts_are_laid_end_to_end() {
        assert_eq!(super::packed_spans([3, 1, 2]), [0..3, 3..4, 4..6]);
        assert!(super::packed_spans([]).is_empty());
    }
}
