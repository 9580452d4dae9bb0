//! Complex 2-D FFTs on the host (rustfft), in the element type of the op (f32 or f64):
//! [`Fft2`] holds the plans it made and its buffers, so repeated transforms allocate
//! nothing. A transform leaves its result transposed, which the spectral op's layouts
//! are arranged around (one transpose per 2-D transform instead of two).

use std::collections::HashMap;
use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::ops::par;
use crate::ops::simd::avx2;
use crate::tensor::Float;

/// A complex f64 value.
pub(crate) type C64 = Complex<f64>;

/// Pieces a shared transform's rows (then columns) are cut into.
const PIECES: usize = 4;

/// Block side of the cache-friendly transpose.
const TILE: usize = 16;

/// FFT plans by (length, inverse) and the buffers of 2-D transforms in `E`.
pub(crate) struct Fft2<E: Float> {
    planner: FftPlanner<E>,
    plans: HashMap<(usize, bool), Arc<dyn Fft<E>>>,
    /// The transposed result of the last transform.
    t: Vec<Complex<E>>,
    scratch: Vec<Complex<E>>,
}

impl<E: Float> Default for Fft2<E> {
    fn default() -> Self {
        Fft2 {
            planner: FftPlanner::new(),
            plans: HashMap::new(),
            t: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

/// Side of the blocks a tile is copied by: each block's rows are read as a whole and
/// written out as the transposed block's rows (the compiler turns them into shuffles).
const BLOCK: usize = 4;

/// `t[(c - cs.start) * rows + r] = a[r * cols + c]` for the columns `c` in `cs` (`t`
/// holds those columns of the transposed array), by tiles of [`BLOCK`]-square blocks
/// (compiled for AVX2 too).
fn transpose<E: Float>(
    a: &[Complex<E>],
    t: &mut [Complex<E>],
    rows: usize,
    cols: usize,
    cs: std::ops::Range<usize>,
) {
    avx2(
        #[inline(always)]
        || transpose_tiles(a, t, rows, cols, cs),
    )
}

// (`j` picks the block's column and the destination row alike)
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn transpose_tiles<E: Float>(
    a: &[Complex<E>],
    t: &mut [Complex<E>],
    rows: usize,
    cols: usize,
    cs: std::ops::Range<usize>,
) {
    let c_start = cs.start;
    let one =
        |t: &mut [Complex<E>], r: usize, c: usize| t[(c - c_start) * rows + r] = a[r * cols + c];
    for r0 in (0..rows).step_by(TILE) {
        let r1 = (r0 + TILE).min(rows);
        for c0 in cs.clone().step_by(TILE) {
            let c1 = (c0 + TILE).min(cs.end);
            let mut r = r0;
            while r + BLOCK <= r1 {
                let mut c = c0;
                while c + BLOCK <= c1 {
                    let block: [&[Complex<E>; BLOCK]; BLOCK] = std::array::from_fn(|i| {
                        let o = (r + i) * cols + c;
                        a[o..o + BLOCK].try_into().expect("a block row")
                    });
                    for j in 0..BLOCK {
                        let o = (c + j - c_start) * rows + r;
                        let out: &mut [Complex<E>; BLOCK] =
                            (&mut t[o..o + BLOCK]).try_into().expect("a block column");
                        *out = std::array::from_fn(|i| block[i][j]);
                    }
                    c += BLOCK;
                }
                for rr in r..r + BLOCK {
                    (c..c1).for_each(|cc| one(t, rr, cc));
                }
                r += BLOCK;
            }
            for rr in r..r1 {
                (c0..c1).for_each(|cc| one(t, rr, cc));
            }
        }
    }
}

/// The second pass of a 2-D transform: the columns `cs` of the row-transformed
/// `rows x cols` array `a`, transposed into `tc` (as [`transpose`]) and transformed by
/// `col_plan` (length `rows`).
fn columns<E: Float>(
    a: &[Complex<E>],
    tc: &mut [Complex<E>],
    rows: usize,
    cols: usize,
    cs: std::ops::Range<usize>,
    col_plan: &Arc<dyn Fft<E>>,
    scratch: &mut [Complex<E>],
) {
    transpose(a, tc, rows, cols, cs);
    if rows > 1 {
        col_plan.process_with_scratch(tc, scratch);
    }
}

impl<E: Float> Fft2<E> {
    fn plan(&mut self, n: usize, inverse: bool) -> Arc<dyn Fft<E>> {
        let planner = &mut self.planner;
        self.plans
            .entry((n, inverse))
            .or_insert_with(|| {
                if inverse {
                    planner.plan_fft_inverse(n)
                } else {
                    planner.plan_fft_forward(n)
                }
            })
            .clone()
    }

    /// The row and column plans of a `rows x cols` transform, the result's buffer `t`
    /// sized for it, and this `Fft2`'s scratch sized for both plans.
    fn prepare(
        &mut self,
        rows: usize,
        cols: usize,
        inverse: bool,
    ) -> (Arc<dyn Fft<E>>, Arc<dyn Fft<E>>) {
        let row_plan = self.plan(cols, inverse);
        let col_plan = self.plan(rows, inverse);
        let need = row_plan
            .get_inplace_scratch_len()
            .max(col_plan.get_inplace_scratch_len());
        let zero = Complex::new(E::zero(), E::zero());
        if self.scratch.len() < need {
            self.scratch.resize(need, zero);
        }
        if self.t.len() < rows * cols {
            self.t.resize(rows * cols, zero);
        }
        (row_plan, col_plan)
    }

    /// Swaps the last transform's result (its whole buffer) with `v`.
    pub(crate) fn take_result(&mut self, v: &mut Vec<Complex<E>>) {
        std::mem::swap(&mut self.t, v);
    }

    /// The unnormalised 2-D DFT (`inverse`: the conjugate transform, still unnormalised)
    /// of the row-major `rows x cols` array `a` (overwritten), returned transposed: the
    /// result's entry (r, c) is at `[c * rows + r]`.
    ///
    /// Shared out over threads ([`par::pieces`]): the row transforms in pieces of rows,
    /// then the transposes and column transforms in pieces of columns, each piece whole
    /// on one thread (the same bits on any number of threads).
    pub(crate) fn fft2_t(
        &mut self,
        a: &mut [Complex<E>],
        rows: usize,
        cols: usize,
        inverse: bool,
    ) -> &mut [Complex<E>] {
        debug_assert_eq!(a.len(), rows * cols);
        let (row_plan, col_plan) = self.prepare(rows, cols, inverse);
        let t = &mut self.t[..rows * cols];
        // (each piece its own scratch, as long as this Fft2's)
        let need = self.scratch.len();
        let scratch = || vec![Complex::new(E::zero(), E::zero()); need];
        if cols > 1 {
            par::pieces(a, cols * rows.div_ceil(PIECES), |_, v| {
                row_plan.process_with_scratch(v, &mut scratch())
            });
        }
        let per = cols.div_ceil(PIECES);
        let a = &*a;
        par::pieces(t, rows * per, |i, tc| {
            let c0 = i * per;
            columns(
                a,
                tc,
                rows,
                cols,
                c0..c0 + tc.len() / rows,
                &col_plan,
                &mut scratch(),
            );
        });
        t
    }

    /// [`Self::fft2_t`] for an `a` that is zero but for the rows in the ranges `live`,
    /// of which only the result's columns in the ranges `wanted` are needed: the zero
    /// rows' transforms are skipped, and the result's other columns (rows of the
    /// returned transposed array) are left unspecified. On this thread only (the bands'
    /// transforms are themselves shared out).
    pub(crate) fn fft2_t_pruned(
        &mut self,
        a: &mut [Complex<E>],
        rows: usize,
        cols: usize,
        inverse: bool,
        live: &[std::ops::Range<usize>],
        wanted: &[std::ops::Range<usize>],
    ) -> &mut [Complex<E>] {
        debug_assert_eq!(a.len(), rows * cols);
        let (row_plan, col_plan) = self.prepare(rows, cols, inverse);
        let t = &mut self.t[..rows * cols];
        if cols > 1 {
            for r in live {
                row_plan
                    .process_with_scratch(&mut a[r.start * cols..r.end * cols], &mut self.scratch);
            }
        }
        for c in wanted {
            let tc = &mut t[c.start * rows..c.end * rows];
            columns(a, tc, rows, cols, c.clone(), &col_plan, &mut self.scratch);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The block transpose against the definition, on sizes and column ranges that leave
    /// partial blocks and tiles at every edge.
    #[test]
    fn transpose_matches_the_definition_on_partial_blocks() {
        for (rows, cols, cs) in [
            (7, 10, 3..9),
            (16, 16, 0..16),
            (37, 21, 0..21),
            (5, 3, 1..2),
        ] {
            let a: Vec<Complex<f32>> = (0..rows * cols)
                .map(|i| Complex::new(i as f32, -(i as f32)))
                .collect();
            let mut t = vec![Complex::new(f32::NAN, 0.0); rows * cols];
            transpose(
                &a,
                &mut t[cs.start * rows..cs.end * rows],
                rows,
                cols,
                cs.clone(),
            );
            for c in 0..cols {
                for r in 0..rows {
                    let got = t[c * rows + r];
                    if cs.contains(&c) {
                        assert_eq!(got, a[r * cols + c], "{rows}x{cols} ({r}, {c})");
                    } else {
                        assert!(got.re.is_nan(), "column {c} outside {cs:?} written");
                    }
                }
            }
        }
    }
}
