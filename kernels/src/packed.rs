//! Dense products on weights packed once at load, for the few-row products of interactive calls.
//!
//! `gemm` packs the right-hand matrix into its micro-kernel's layout at every call. For a batch
//! of thousands of rows that cost is spread thin; for one short text (16 to 128 rows) it is a
//! large share of the product, and on CPUs without AVX-512 it left a 16-token text at 0.56x ONNX
//! Runtime's speed, whose MLAS packs the weights once when the model loads. Here the transposed
//! weight is cut into panels of `NR` columns, each stored `k`-major (`NR` consecutive values per
//! input index), aligned to a cache line, so the micro-kernel streams a panel from the first
//! byte to the last with aligned vector loads and broadcasts the inputs straight from `x`.
//!
//! Two micro-kernels, chosen when the panels are made: AVX2 + FMA, 6 rows x 16 columns (12 ymm
//! accumulators, two weight loads and six broadcasts per step of `k`), and AVX-512, 12 rows x 32
//! columns (24 zmm accumulators). [`crate::cap_isa`] caps the choice at AVX2 on an AVX-512 CPU
//! so both can be measured on one machine. Other CPUs get no panels and use `gemm`.

use std::ops::Range;

use rayon::prelude::*;

use crate::par::SharedMut;

/// Which micro-kernel a set of panels was laid out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// AVX2 + FMA: 6 rows x 16 columns.
    Avx2,
    /// AVX-512 F: 12 rows x 32 columns.
    Avx512,
}

impl Kernel {
    /// The widest kernel the CPU runs within the [`crate::cap_isa`] cap; `None` off x86-64 or
    /// without AVX2 and FMA.
    pub(crate) fn best() -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        {
            if crate::simd::has_v4() {
                return Some(Self::Avx512);
            }
            if crate::simd::has_v3() {
                return Some(Self::Avx2);
            }
        }
        None
    }

    /// Whether this CPU has the kernel's instructions, whatever the cap.
    pub(crate) fn supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Self::Avx2 => crate::simd::detected_v3(),
                Self::Avx512 => crate::simd::detected_v4(),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// Columns per panel.
    const fn nr(self) -> usize {
        match self {
            Self::Avx2 => 16,
            Self::Avx512 => 32,
        }
    }

    /// Rows per micro-tile.
    const fn mr(self) -> usize {
        match self {
            Self::Avx2 => 6,
            Self::Avx512 => 12,
        }
    }
}

/// 64 bytes, cache-line aligned: the unit panels are allocated in, so every panel row starts on
/// a line and the kernels' loads never straddle two.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Line([f32; 16]);

/// The transposed weight `(k, n)` cut into `ceil(n / nr)` panels of `k` rows of `nr` values,
/// zero-padded past column `n`.
#[derive(Debug, Clone)]
pub(crate) struct Panels {
    lines: Vec<Line>,
    kernel: Kernel,
    k: usize,
    n: usize,
}

impl Panels {
    /// Packs `weight_t`, `k` rows of `n`, for `kernel`.
    pub(crate) fn pack(weight_t: &[f32], k: usize, n: usize, kernel: Kernel) -> Self {
        assert_eq!(weight_t.len(), k * n, "weight shape");
        let nr = kernel.nr();
        let panels = n.div_ceil(nr);
        let mut lines = vec![Line([0.0; 16]); panels * k * nr / 16];
        let flat = lines_as_mut(&mut lines);
        for p in 0..panels {
            let width = nr.min(n - p * nr);
            for row in 0..k {
                let from = &weight_t[row * n + p * nr..][..width];
                flat[(p * k + row) * nr..][..width].copy_from_slice(from);
            }
        }
        Self {
            lines,
            kernel,
            k,
            n,
        }
    }

    /// The kernel these panels are laid out for.
    pub(crate) fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Whether output columns `cols` start on a panel boundary (every split the models use
    /// does: multiples of the hidden size).
    pub(crate) fn aligned(&self, cols: &Range<usize>) -> bool {
        cols.start.is_multiple_of(self.kernel.nr()) && cols.end <= self.n
    }

    /// `out = x Wᵀ` restricted to output columns `cols` (aligned, see [`Panels::aligned`]):
    /// `x` holds `m` rows of `k`, `out` `m` rows of `cols.len()`. Panels are spread over the
    /// rayon pool when there is enough work.
    pub(crate) fn matmul(&self, x: &[f32], m: usize, cols: Range<usize>, out: &mut [f32]) {
        assert!(self.aligned(&cols), "columns off a panel boundary");
        assert_eq!(x.len(), m * self.k, "input shape");
        assert_eq!(out.len(), m * cols.len(), "output shape");
        assert!(self.kernel.supported(), "panels for another CPU");
        let nr = self.kernel.nr();
        let (first, width) = (cols.start / nr, cols.len());
        let count = width.div_ceil(nr);
        let dst = SharedMut(out.as_mut_ptr());
        let task = |p: usize| {
            let columns = nr.min(width - p * nr);
            // SAFETY: panel `first + p` exists (`cols.end <= n`); `x` holds `m` rows of `k`;
            // this task writes only columns `p * nr..p * nr + columns` of the `m` output rows,
            // which lie inside `out` (`m * width` values), and no other task writes them.
            unsafe { self.panel(first + p, x, m, dst.add(p * nr), width, columns) }
        };
        let threads = crate::threads();
        if threads > 1 && count > 1 && m * width * self.k >= 32 * 32 * 32 {
            (0..count).into_par_iter().for_each(task);
        } else {
            (0..count).for_each(task);
        }
    }

    /// Rows `0..m` of panel `p` times `x`, into `columns` columns at `dst` (rows `stride` apart).
    ///
    /// # Safety
    /// As in [`Panels::matmul`]: `dst` valid for `m` rows of `columns` at `stride`.
    unsafe fn panel(
        &self,
        p: usize,
        x: &[f32],
        m: usize,
        dst: *mut f32,
        stride: usize,
        columns: usize,
    ) {
        let nr = self.kernel.nr();
        let panel = &lines_as(&self.lines)[p * self.k * nr..][..self.k * nr];
        let mr = self.kernel.mr();
        let mut row = 0;
        while row < m {
            let rows = mr.min(m - row);
            let a = &x[row * self.k..][..rows * self.k];
            // SAFETY: rows `row..row + rows` of `dst` are the caller's, `columns <= nr`.
            unsafe {
                tile(
                    self.kernel,
                    panel,
                    a,
                    rows,
                    self.k,
                    dst.add(row * stride),
                    stride,
                    columns,
                )
            };
            row += rows;
        }
    }
}

fn lines_as(lines: &[Line]) -> &[f32] {
    // SAFETY: `Line` is `repr(C)` around `[f32; 16]`: the slice is `16 * len` f32s.
    unsafe { std::slice::from_raw_parts(lines.as_ptr().cast(), lines.len() * 16) }
}

fn lines_as_mut(lines: &mut [Line]) -> &mut [f32] {
    // SAFETY: as in `lines_as`, borrowed mutably once.
    unsafe { std::slice::from_raw_parts_mut(lines.as_mut_ptr().cast(), lines.len() * 16) }
}

/// One micro-tile: `rows` (at most the kernel's `mr`) rows of `a` times one panel.
///
/// # Safety
/// `dst` valid for `rows` rows of `columns` (at most `nr`) at `stride`; the CPU has the
/// kernel's features ([`Kernel::supported`], asserted in [`Panels::matmul`]).
#[allow(clippy::too_many_arguments)]
unsafe fn tile(
    kernel: Kernel,
    panel: &[f32],
    a: &[f32],
    rows: usize,
    k: usize,
    dst: *mut f32,
    stride: usize,
    columns: usize,
) {
    #[cfg(target_arch = "x86_64")]
    {
        // A full-width tile stores straight into `dst`; a narrower one (the last panel of an
        // odd width) goes through a buffer, then its valid columns are copied.
        let mut buffer = [0f32; 12 * 32];
        let nr = kernel.nr();
        let (out, out_stride) = match columns == nr {
            true => (dst, stride),
            false => (buffer.as_mut_ptr(), nr),
        };
        // SAFETY: the caller's bounds; `out` is `dst` or a buffer of `mr * nr` values.
        unsafe {
            match kernel {
                Kernel::Avx2 => x86::avx2_tile(panel, a, rows, k, out, out_stride),
                Kernel::Avx512 => x86::avx512_tile(panel, a, rows, k, out, out_stride),
            }
        }
        if columns != nr {
            for r in 0..rows {
                // SAFETY: row `r` of `dst` holds `columns` values (the caller's bound).
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        buffer.as_ptr().add(r * nr),
                        dst.add(r * stride),
                        columns,
                    )
                };
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (kernel, panel, a, rows, k, dst, stride, columns);
        unreachable!("no packed kernel off x86-64 (Kernel::best is None)");
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The micro-kernels. Each is generic over its row count so the accumulators are a fixed
    //! array LLVM keeps in registers; a dispatch per tile picks the instance for `rows`.

    use std::arch::x86_64::*;

    /// Calls `$kernel::<R>` for `R = $rows` among `1..=$max`.
    macro_rules! by_rows {
        ($kernel:ident, $rows:expr, [$($r:literal),*], $args:tt) => {
            match $rows {
                $($r => $kernel::<$r> $args,)*
                _ => unreachable!("more rows than the micro-tile holds"),
            }
        };
    }

    /// AVX2 tile: `rows <= 6` rows of `a` (`k` wide) times a 16-column panel, into `dst`.
    ///
    /// # Safety
    /// AVX2 and FMA present; `panel` holds `k * 16` values, 32-byte aligned; `dst` valid for
    /// `rows` rows of 16 at `stride`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2_tile(
        panel: &[f32],
        a: &[f32],
        rows: usize,
        k: usize,
        dst: *mut f32,
        stride: usize,
    ) {
        // SAFETY: the caller's.
        unsafe { by_rows!(avx2, rows, [1, 2, 3, 4, 5, 6], (panel, a, k, dst, stride)) }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn avx2<const R: usize>(
        panel: &[f32],
        a: &[f32],
        k: usize,
        dst: *mut f32,
        stride: usize,
    ) {
        debug_assert!(panel.len() >= k * 16 && a.len() >= R * k);
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        let (b, x) = (panel.as_ptr(), a.as_ptr());
        for i in 0..k {
            // SAFETY: `i < k`: the panel's row `i` (16 values, aligned) and `a[r * k + i]`.
            unsafe {
                let b0 = _mm256_load_ps(b.add(i * 16));
                let b1 = _mm256_load_ps(b.add(i * 16 + 8));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let v = _mm256_broadcast_ss(&*x.add(r * k + i));
                    acc[0] = _mm256_fmadd_ps(v, b0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(v, b1, acc[1]);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            // SAFETY: row `r < rows` of `dst` holds 16 values (the caller's bound).
            unsafe {
                _mm256_storeu_ps(dst.add(r * stride), acc[0]);
                _mm256_storeu_ps(dst.add(r * stride + 8), acc[1]);
            }
        }
    }

    /// AVX-512 tile: `rows <= 12` rows of `a` times a 32-column panel, into `dst`.
    ///
    /// # Safety
    /// AVX-512 F present; `panel` holds `k * 32` values, 64-byte aligned; `dst` valid for
    /// `rows` rows of 32 at `stride`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512_tile(
        panel: &[f32],
        a: &[f32],
        rows: usize,
        k: usize,
        dst: *mut f32,
        stride: usize,
    ) {
        // SAFETY: the caller's.
        unsafe {
            by_rows!(
                avx512,
                rows,
                [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
                (panel, a, k, dst, stride)
            )
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn avx512<const R: usize>(
        panel: &[f32],
        a: &[f32],
        k: usize,
        dst: *mut f32,
        stride: usize,
    ) {
        debug_assert!(panel.len() >= k * 32 && a.len() >= R * k);
        let mut acc = [[_mm512_setzero_ps(); 2]; R];
        let (b, x) = (panel.as_ptr(), a.as_ptr());
        for i in 0..k {
            // SAFETY: `i < k`: the panel's row `i` (32 values, aligned) and `a[r * k + i]`.
            unsafe {
                let b0 = _mm512_load_ps(b.add(i * 32));
                let b1 = _mm512_load_ps(b.add(i * 32 + 16));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let v = _mm512_set1_ps(*x.add(r * k + i));
                    acc[0] = _mm512_fmadd_ps(v, b0, acc[0]);
                    acc[1] = _mm512_fmadd_ps(v, b1, acc[1]);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            // SAFETY: row `r < rows` of `dst` holds 32 values (the caller's bound).
            unsafe {
                _mm512_storeu_ps(dst.add(r * stride), acc[0]);
                _mm512_storeu_ps(dst.add(r * stride + 16), acc[1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::pseudo_random;

    fn naive(
        x: &[f32],
        weight_t: &[f32],
        m: usize,
        k: usize,
        n: usize,
        cols: Range<usize>,
    ) -> Vec<f32> {
        let mut out = Vec::with_capacity(m * cols.len());
        for r in 0..m {
            for c in cols.clone() {
                out.push((0..k).map(|i| x[r * k + i] * weight_t[i * n + c]).sum());
            }
        }
        out
    }

    /// Every row count from 1 past two tiles, widths that leave a partial last panel, and a
    /// column range starting on a panel boundary, for each kernel this CPU runs.
    #[test]
    fn matches_the_definition() {
        let kernels = [Kernel::Avx2, Kernel::Avx512];
        for kernel in kernels.into_iter().filter(|&k| k.supported()) {
            for (k, n) in [(7, 5), (64, 96), (48, 200)] {
                let weight_t = pseudo_random(k * n, 3, 1.0);
                let panels = Panels::pack(&weight_t, k, n, kernel);
                for m in 1..=2 * kernel.mr() + 1 {
                    let x = pseudo_random(m * k, m, 1.0);
                    let nr = kernel.nr();
                    let ranges = [0..n, (nr.min(n) / nr) * nr..n];
                    for cols in ranges.into_iter().filter(|c| !c.is_empty()) {
                        let mut got = vec![f32::NAN; m * cols.len()];
                        panels.matmul(&x, m, cols.clone(), &mut got);
                        let want = naive(&x, &weight_t, m, k, n, cols.clone());
                        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                            assert!(
                                (g - w).abs() < 1e-4,
                                "{kernel:?} m={m} k={k} n={n} cols={cols:?} [{i}]: {g} vs {w}"
                            );
                        }
                    }
                }
            }
        }
    }
}
