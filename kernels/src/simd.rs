//! One loop, compiled for several instruction sets, chosen at run time.
//!
//! Release builds target baseline x86-64 (SSE2) so one image runs on every node. The kernels are
//! written as plain loops that LLVM vectorizes; [`multiversion!`] compiles each a second time
//! with AVX2 and FMA and a third time with AVX-512, and calls the widest the CPU supports
//! (`is_x86_feature_detected!` caches what the CPU reports after the first check).

/// Defines `fn $name` whose body is compiled three times on x86-64 (baseline, x86-64-v3 and
/// x86-64-v4 features) and picked per call by what the CPU supports. Helpers the body calls must
/// be `#[inline(always)]` so they are compiled with the caller's features.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn portable($($arg: $ty),*) $(-> $ret)? $body

            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,f16c")]
                fn v4($($arg: $ty),*) $(-> $ret)? { portable($($arg),*) }
                #[target_feature(enable = "avx2,fma,f16c")]
                fn v3($($arg: $ty),*) $(-> $ret)? { portable($($arg),*) }

                if $crate::simd::has_v4() {
                    // SAFETY: the CPU supports every feature `v4` is compiled with.
                    return unsafe { v4($($arg),*) };
                }
                if $crate::simd::has_v3() {
                    // SAFETY: the CPU supports every feature `v3` is compiled with.
                    return unsafe { v3($($arg),*) };
                }
            }
            portable($($arg),*)
        }
    };
}

/// AVX-512 (F, VL, BW, DQ) with AVX2 and FMA, unless [`crate::cap_isa`] capped the kernels at
/// AVX2.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_v4() -> bool {
    !capped_at_avx2() && detected_v4()
}

/// AVX2 and FMA (x86-64-v3's vector part).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_v3() -> bool {
    detected_v3()
}

/// What the CPU reports for [`has_v4`], ignoring the cap.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn detected_v4() -> bool {
    use std::arch::is_x86_feature_detected as has;
    has!("avx512f") && has!("avx512vl") && has!("avx512bw") && has!("avx512dq") && detected_v3()
}

/// What the CPU reports for [`has_v3`].
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn detected_v3() -> bool {
    use std::arch::is_x86_feature_detected as has;
    has!("avx2") && has!("fma") && has!("f16c")
}

/// Set by [`crate::cap_isa`]: AVX-512 left unused even where the CPU has it.
static CAP_AT_AVX2: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
#[inline]
fn capped_at_avx2() -> bool {
    CAP_AT_AVX2.load(std::sync::atomic::Ordering::Relaxed)
}

/// Caps (or uncaps) the kernels at AVX2; see [`crate::cap_isa`].
pub(crate) fn set_cap_at_avx2(capped: bool) {
    CAP_AT_AVX2.store(capped, std::sync::atomic::Ordering::Relaxed);
}

/// Fixed-width accumulators LLVM keeps in vector registers: summing into 16 lanes reorders the
/// additions (as every vectorized BLAS and PyTorch do) and lets the loop vectorize, which a
/// single running sum, bound to source order, cannot.
pub(crate) const LANES: usize = 16;

/// The sum of `xs`, 16 lanes at a time.
#[inline(always)]
pub(crate) fn sum(xs: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (a, x) in acc.iter_mut().zip(chunk) {
            *a += x;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The sum of `(x - center)²` over `xs`, 16 lanes at a time.
#[inline(always)]
pub(crate) fn sum_squared_deviation(xs: &[f32], center: f32) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail: f32 = chunks
        .remainder()
        .iter()
        .map(|x| (x - center) * (x - center))
        .sum();
    for chunk in chunks {
        for (a, x) in acc.iter_mut().zip(chunk) {
            *a += (x - center) * (x - center);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The largest element (`-inf` for an empty slice), 16 lanes at a time.
#[inline(always)]
pub(crate) fn max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    for chunk in chunks {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a = a.max(x);
        }
    }
    acc.iter().fold(tail, |m, &x| m.max(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_match_sequential_ones() {
        let xs: Vec<f32> = (0..101).map(|i| ((i * 37) % 23) as f32 - 11.0).collect();
        let naive: f32 = xs.iter().sum();
        assert!((sum(&xs) - naive).abs() < 1e-4);
        let mean = naive / xs.len() as f32;
        let var: f32 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
        assert!((sum_squared_deviation(&xs, mean) - var).abs() < 1e-2);
        assert_eq!(max(&xs), 11.0);
        assert_eq!(
            max(&xs[..5]),
            xs[..5].iter().cloned().fold(f32::MIN, f32::max)
        );
        assert_eq!(max(&[]), f32::NEG_INFINITY);
    }
}
