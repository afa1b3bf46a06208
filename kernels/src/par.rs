//! Spreading element-wise passes over the rayon pool, and only when it pays.

use rayon::prelude::*;

/// Below this many elements a pass stays on the calling thread: waking the pool costs a few
/// microseconds, about what 32 Ki fused multiply-adds take.
pub(crate) const MIN_PARALLEL: usize = 32 * 1024;

/// Calls `f(block, first_row)` on consecutive blocks of whole `width`-wide rows of `xs`, from
/// several threads when `xs` is large. `first_row` is the block's first row index in `xs`.
pub(crate) fn for_row_blocks(xs: &mut [f32], width: usize, f: impl Fn(&mut [f32], usize) + Sync) {
    assert!(width > 0 && xs.len().is_multiple_of(width), "ragged rows");
    let rows = xs.len() / width;
    let threads = crate::threads();
    if xs.len() < MIN_PARALLEL || threads == 1 || rows < 2 {
        f(xs, 0);
        return;
    }
    // A few blocks per thread so a thread slowed by a neighbour does not hold up the pass.
    let rows_per_block = rows.div_ceil(threads * 4);
    xs.par_chunks_mut(rows_per_block * width)
        .enumerate()
        .for_each(|(i, block)| f(block, i * rows_per_block));
}

/// A raw output pointer that tasks writing disjoint parts of one buffer can share.
#[derive(Clone, Copy)]
pub(crate) struct SharedMut(pub(crate) *mut f32);
// SAFETY: users give every task a region of the buffer no other task touches, and keep the
// buffer alive until the parallel loop has finished.
unsafe impl Send for SharedMut {}
unsafe impl Sync for SharedMut {}

impl SharedMut {
    /// The pointer `offset` elements in. A method, so closures capture the `Send` wrapper and
    /// not its raw field.
    ///
    /// # Safety
    /// As for `pointer::add`: the offset must stay inside the buffer.
    pub(crate) unsafe fn add(self, offset: usize) -> *mut f32 {
        // SAFETY: the caller's.
        unsafe { self.0.add(offset) }
    }
}
