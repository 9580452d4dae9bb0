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
use crate::tensor::{ByFloat, Float, PerFloat};

/// A complex f64 value.
pub(crate) type C64 = Complex<f64>;

/// Pieces a shared transform's rows (then columns) are cut into.
const PIECES: usize = 4;

/// FFT plans by (length, inverse) and the buffers of 2-D transforms in `E`.
pub(crate) struct Fft2<E: Float> {
    planner: FftPlanner<E>,
    plans: HashMap<(usize, bool), Arc<dyn Fft<E>>>,
    /// The transposed result of the last transform.
    t: Vec<Complex<E>>,
    scratch: Vec<Complex<E>>,
    /// [`Self::fft2_t_fused`]'s rows and strip.
    rows: Vec<Complex<E>>,
}

impl<E: Float> Default for Fft2<E> {
    fn default() -> Self {
        Fft2 {
            planner: FftPlanner::new(),
            plans: HashMap::new(),
            t: Vec::new(),
            scratch: Vec::new(),
            rows: Vec::new(),
        }
    }
}

/// Side of the blocks a strip is copied by: each block's rows are read as a whole and
/// written out as the transposed block's rows (in f32 with AVX2 by shuffles,
/// [`blocks::copy`]).
const BLOCK: usize = 4;

/// `t[(c - cs.start) * rows + r] = a[r * cols + c]` for the columns `c` in `cs` (`t`
/// holds those columns of the transposed array), by strips of [`STRIP`] columns
/// ([`transpose_strip`], compiled for AVX2 too).
fn transpose<E: Float>(
    a: &[Complex<E>],
    t: &mut [Complex<E>],
    rows: usize,
    cols: usize,
    cs: std::ops::Range<usize>,
) {
    let all = 0..rows;
    let strip = Strip::of(cols, rows, std::slice::from_ref(&all), rows);
    for c0 in cs.clone().step_by(STRIP) {
        let k = STRIP.min(cs.end - c0);
        let tc = &mut t[(c0 - cs.start) * rows..];
        transpose_strip(a, tc, strip.cols(c0, k));
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
    /// of the row-major `rows x cols` array `a` (overwritten), left transposed in this
    /// `Fft2` ([`Self::take_result`]): the result's entry (r, c) at `[c * rows + r]`.
    /// `fill(r0, piece)` first writes each piece of `a`'s rows (from row `r0`: the
    /// array's values, or what they are made from) just before its transforms.
    ///
    /// Shared out over threads: the row transforms in pieces of rows, then the
    /// transposes and column transforms in pieces of columns, each piece whole on one
    /// thread (the same bits on any number of threads).
    pub(crate) fn fft2_t(
        &mut self,
        a: &mut [Complex<E>],
        (rows, cols): (usize, usize),
        inverse: bool,
        fill: impl Fn(usize, &mut [Complex<E>]) + Sync,
    ) {
        self.fft2_t_then(
            a,
            (rows, cols),
            inverse,
            fill,
            &mut [],
            |_, _: &mut [()], _| (),
        );
    }

    /// [`Self::fft2_t`], then `then(k0, out_piece, result_piece)` on each piece of the
    /// result (whole columns of it: rows of the transposed result, from value `k0`) and
    /// the same range of `out` (as long as the result, or empty: then `out_piece` is
    /// empty), on the thread that transformed it.
    pub(crate) fn fft2_t_then<R: Send>(
        &mut self,
        a: &mut [Complex<E>],
        (rows, cols): (usize, usize),
        inverse: bool,
        fill: impl Fn(usize, &mut [Complex<E>]) + Sync,
        out: &mut [R],
        then: impl Fn(usize, &mut [R], &[Complex<E>]) + Sync,
    ) {
        debug_assert_eq!(a.len(), rows * cols);
        assert!(
            out.is_empty() || out.len() == rows * cols,
            "one output value per value of the result, or none"
        );
        let (row_plan, col_plan) = self.prepare(rows, cols, inverse);
        let t = &mut self.t[..rows * cols];
        // (each piece its own scratch, as long as this Fft2's)
        let need = self.scratch.len();
        let scratch = || vec![Complex::new(E::zero(), E::zero()); need];
        let per_rows = rows.div_ceil(PIECES);
        par::pieces(a, cols * per_rows, |i, v| {
            fill(i * per_rows, v);
            if cols > 1 {
                row_plan.process_with_scratch(v, &mut scratch())
            }
        });
        let per = cols.div_ceil(PIECES);
        let a = &*a;
        // (an empty `out` gives empty pieces)
        let mut outs = out.chunks_mut(rows * per);
        let jobs: Vec<_> = t
            .chunks_mut(rows * per)
            .enumerate()
            .map(|(i, tc)| (i, tc, outs.next().unwrap_or_default()))
            .collect();
        par::map(
            jobs,
            |(_, tc, _)| tc.len(),
            |(i, tc, oc)| {
                let c0 = i * per;
                let cs = c0..c0 + tc.len() / rows;
                columns(a, tc, rows, cols, cs, &col_plan, &mut scratch());
                then(c0 * rows, oc, tc);
            },
        );
    }

    /// [`Self::fft2_t`] (forward) of the real row-major `h x w` plane `x`, with half the
    /// transforms: rows `2r` and `2r + 1` transformed together as one complex row (`x[2r]
    /// + i x[2r + 1]`) and told apart by the symmetry of real rows' transforms, then only
    /// the columns `0..=w/2` transformed (the others are their mirror images, conjugated:
    /// a real plane's transform is conjugate-symmetric). `a` is the work buffer (at least
    /// `h x w` values). With `h` odd, [`Self::fft2_t`] of the plane.
    ///
    /// Shared out over threads as [`Self::fft2_t`]: the same bits on any number of
    /// threads.
    pub(crate) fn fft2_real_t(&mut self, a: &mut [Complex<E>], x: &[E], (h, w): (usize, usize)) {
        assert!(
            x.len() == h * w && a.len() >= h * w,
            "a plane and its work buffer"
        );
        let real = |r0: usize, piece: &mut [Complex<E>]| {
            for (a, &v) in piece.iter_mut().zip(&x[r0 * w..]) {
                *a = Complex::new(v, E::zero());
            }
        };
        if h % 2 == 1 || w < 2 {
            return self.fft2_t(&mut a[..h * w], (h, w), false, real);
        }
        let (row_plan, col_plan) = self.prepare(h, w, false);
        // each pair of rows' two half spectra (columns 0..hw), one after the other: the
        // h x hw array of every row's half spectrum
        let hw = w / 2 + 1;
        let a = &mut a[..h * hw];
        let need = self.scratch.len();
        let scratch = || vec![Complex::new(E::zero(), E::zero()); need];
        let pairs = (h / 2).div_ceil(PIECES);
        par::pieces(a, 2 * hw * pairs, |i, piece| {
            let mut sc = scratch();
            let mut z = vec![Complex::new(E::zero(), E::zero()); w];
            let half = E::of_f64(0.5);
            for (j, pair) in piece.chunks_exact_mut(2 * hw).enumerate() {
                let r = 2 * (i * pairs + j);
                let (ra, rb) = (&x[r * w..(r + 1) * w], &x[(r + 1) * w..(r + 2) * w]);
                for ((z, &u), &v) in z.iter_mut().zip(ra).zip(rb) {
                    *z = Complex::new(u, v);
                }
                row_plan.process_with_scratch(&mut z, &mut sc);
                let (sa, sb) = pair.split_at_mut(hw);
                for (k, (sa, sb)) in sa.iter_mut().zip(sb).enumerate() {
                    let (zk, zm) = (z[k], z[(w - k) % w].conj());
                    let (s, d) = (zk + zm, zk - zm);
                    // the first row's (zk + zm) / 2, the second's (zk - zm) / 2i
                    *sa = Complex::new(s.re * half, s.im * half);
                    *sb = Complex::new(d.im * half, -d.re * half);
                }
            }
        });
        let t = &mut self.t[..h * w];
        let (lo, up) = t.split_at_mut(hw * h);
        let a = &*a;
        let per = hw.div_ceil(PIECES);
        let jobs: Vec<_> = lo.chunks_mut(h * per).enumerate().collect();
        par::map(
            jobs,
            |(_, tc)| tc.len(),
            |(i, tc)| {
                let c0 = i * per;
                let cs = c0..c0 + tc.len() / h;
                columns(a, tc, h, hw, cs, &col_plan, &mut scratch());
            },
        );
        // columns hw..w: column c is column w - c, conjugated, its rows reversed (row
        // k from row (h - k) mod h)
        let lo = &*lo;
        par::pieces(up, h * per, |i, piece| {
            for (j, col) in piece.chunks_exact_mut(h).enumerate() {
                let src = &lo[(w - (hw + i * per + j)) * h..][..h];
                col[0] = src[0].conj();
                for (c, s) in col[1..].iter_mut().zip(src[1..].iter().rev()) {
                    *c = s.conj();
                }
            }
        });
    }

    /// [`Self::fft2_t`] one piece at a time, on this thread only (the bands' transforms
    /// are themselves shared out), of a `rows x cols` array that is zero but for the rows
    /// in the ranges `live` (increasing), without writing or reading back a whole
    /// intermediate array:
    /// - `fill(r, row)` writes each live row `r`, which is transformed at once (while it
    ///   is in cache);
    /// - then, for the result's columns in the ranges `wanted` (rows of the transposed
    ///   result), [`STRIP`] at a time: the strip's columns are transposed out of the
    ///   rows (the zero rows' values written as zeros, not read), transformed, and each
    ///   handed to `take(c, values)`: the transposed result's row `c` (`rows` values).
    ///
    /// The rows and the strip are kept [`PAD`] values longer than they are, so that
    /// values a column apart in them do not fall in the same few cache sets (`cols` and
    /// `rows` are often powers of two).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn fft2_t_fused(
        &mut self,
        rows: usize,
        cols: usize,
        inverse: bool,
        live: &[std::ops::Range<usize>],
        mut fill: impl FnMut(usize, &mut [Complex<E>]),
        wanted: &[std::ops::Range<usize>],
        mut take: impl FnMut(usize, &[Complex<E>]),
    ) {
        let (row_plan, col_plan) = self.prepare(rows, cols, inverse);
        let zero = Complex::new(E::zero(), E::zero());
        let (rs, ts) = (cols + PAD, rows + PAD);
        let strip = STRIP.min(cols);
        let need = rows * rs + strip * ts;
        if self.rows.len() < need {
            self.rows.resize(need, zero);
        }
        let (a, t) = self.rows.split_at_mut(rows * rs);
        for i in live.iter().flat_map(|l| l.clone()) {
            let row = &mut a[i * rs..i * rs + cols];
            fill(i, row);
            if cols > 1 {
                row_plan.process_with_scratch(row, &mut self.scratch);
            }
        }
        let strip = Strip::of(rs, rows, live, ts);
        for c in wanted {
            for c0 in c.clone().step_by(STRIP) {
                let k = STRIP.min(c.end - c0);
                transpose_strip(a, t, strip.cols(c0, k));
                for j in 0..k {
                    let tj = &mut t[j * ts..j * ts + rows];
                    if rows > 1 {
                        col_plan.process_with_scratch(tj, &mut self.scratch);
                    }
                    take(c0 + j, tj);
                }
            }
        }
    }
}

/// Columns a strip of [`Fft2::fft2_t_fused`] holds.
const STRIP: usize = 16;

/// Values past the end of each row (and strip row) of [`Fft2::fft2_t_fused`]'s buffers.
const PAD: usize = 8;

/// A strip of [`transpose_strip`]: `t[j * ts + r] = a[r * rs + c0 + j]` for `j < k`
/// and every `r < rows`, the rows outside `live` (increasing ranges) zero.
#[derive(Clone, Copy)]
struct Strip<'l> {
    rs: usize,
    rows: usize,
    live: &'l [std::ops::Range<usize>],
    c0: usize,
    k: usize,
    ts: usize,
}

impl<'l> Strip<'l> {
    /// Strips of an array of `rows` rows `rs` values apart (those outside `live` zero),
    /// into rows `ts` values apart.
    fn of(rs: usize, rows: usize, live: &'l [std::ops::Range<usize>], ts: usize) -> Self {
        Strip {
            rs,
            rows,
            live,
            c0: 0,
            k: 0,
            ts,
        }
    }

    /// The strip of the `k` columns from `c0`.
    fn cols(self, c0: usize, k: usize) -> Self {
        Strip { c0, k, ..self }
    }
}

/// The strip `s` of `a` into `t`: the values of the rows outside `live` as zeros,
/// without reading them; the others by blocks of [`BLOCK`] rows and columns (in f32
/// with AVX2, [`blocks::copy`]), then the values past the last whole block one at a
/// time.
#[inline(always)]
fn transpose_strip<E: Float>(a: &[Complex<E>], t: &mut [Complex<E>], s: Strip<'_>) {
    (E::pick(&STRIPS))(a, t, s)
}

struct Strips;
impl PerFloat for Strips {
    type Of<E: Float> = fn(&[Complex<E>], &mut [Complex<E>], Strip<'_>);
}
/// [`transpose_strip`] per element type.
static STRIPS: ByFloat<Strips> = ByFloat {
    single: strip_f32,
    double: strip_by_values,
};

/// [`transpose_strip`] by [`block_by_values`], compiled for AVX2 too.
fn strip_by_values<E: Float>(a: &[Complex<E>], t: &mut [Complex<E>], s: Strip<'_>) {
    avx2(
        #[inline(always)]
        || strip_by(a, t, s, block_by_values),
    )
}

/// [`transpose_strip`] in f32: its blocks by [`blocks::copy`] where the CPU has AVX2.
fn strip_f32(a: &[Complex<f32>], t: &mut [Complex<f32>], s: Strip<'_>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above
        return unsafe { blocks::strip(a, t, s) };
    }
    strip_by_values(a, t, s)
}

/// One block of [`strip_by`] value by value (the compiler picks the instructions).
#[inline(always)]
fn block_by_values<E: Float>(a: &[Complex<E>], rs: usize, t: &mut [Complex<E>], ts: usize) {
    let block: [&[Complex<E>; BLOCK]; BLOCK] =
        std::array::from_fn(|i| a[i * rs..i * rs + BLOCK].try_into().expect("a block row"));
    for (jj, out) in t.chunks_mut(ts).take(BLOCK).enumerate() {
        let out: &mut [Complex<E>; BLOCK] = (&mut out[..BLOCK]).try_into().expect("a block column");
        *out = std::array::from_fn(|i| block[i][jj]);
    }
}

/// The f32 blocks in AVX2: a block's four rows loaded whole (4 complex values, 32
/// bytes each) and shuffled into its four columns, where the compiler moves each value
/// on its own (16 loads a block). A copy: the same values.
#[cfg(target_arch = "x86_64")]
mod blocks {
    use std::arch::x86_64::*;

    use rustfft::num_complex::Complex;

    use super::{Strip, BLOCK};

    /// [`super::transpose_strip`] in f32 by [`copy`].
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn strip(a: &[Complex<f32>], t: &mut [Complex<f32>], s: Strip<'_>) {
        super::strip_by(a, t, s, |a, rs, t, ts| {
            // SAFETY: the CPU has AVX2 (this function's contract)
            unsafe { copy(a, rs, t, ts) }
        })
    }

    /// One block of [`super::strip_by`] in f32.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn copy(a: &[Complex<f32>], rs: usize, t: &mut [Complex<f32>], ts: usize) {
        const { assert!(BLOCK == 4, "4 x 4 blocks") };
        assert!(
            a.len() >= 3 * rs + 4 && t.len() >= 3 * ts + 4,
            "a block's rows and columns"
        );
        let (pa, pt) = (a.as_ptr().cast::<f64>(), t.as_mut_ptr().cast::<f64>());
        // SAFETY: 4 values from 0, rs, 2 rs, 3 rs in `a` and from 0, ts, 2 ts, 3 ts in
        // `t` (asserted); a complex f32 value is 8 bytes, moved as one f64 lane
        let row = |i: usize| _mm256_loadu_pd(pa.add(i * rs));
        let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
        let (t0, t1) = (_mm256_unpacklo_pd(r0, r1), _mm256_unpackhi_pd(r0, r1));
        let (t2, t3) = (_mm256_unpacklo_pd(r2, r3), _mm256_unpackhi_pd(r2, r3));
        _mm256_storeu_pd(pt, _mm256_permute2f128_pd::<0x20>(t0, t2));
        _mm256_storeu_pd(pt.add(ts), _mm256_permute2f128_pd::<0x20>(t1, t3));
        _mm256_storeu_pd(pt.add(2 * ts), _mm256_permute2f128_pd::<0x31>(t0, t2));
        _mm256_storeu_pd(pt.add(3 * ts), _mm256_permute2f128_pd::<0x31>(t1, t3));
    }
}

/// [`transpose_strip`] with each block copied by `block(a, rs, t, ts)`: `t[jj * ts + i]
/// = a[i * rs + jj]` for `i, jj <` [`BLOCK`] (`a` from the block's first value, `t`
/// from that value's place).
#[inline(always)]
fn strip_by<E: Float>(
    a: &[Complex<E>],
    t: &mut [Complex<E>],
    s: Strip<'_>,
    block: impl Fn(&[Complex<E>], usize, &mut [Complex<E>], usize),
) {
    let Strip {
        rs,
        rows,
        live,
        c0,
        k,
        ts,
    } = s;
    let zero = Complex::new(E::zero(), E::zero());
    let dead = |t: &mut [Complex<E>], r: std::ops::Range<usize>| {
        for j in 0..k {
            t[j * ts + r.start..j * ts + r.end].fill(zero);
        }
    };
    let mut end = 0;
    for l in live {
        dead(t, end..l.start);
        end = l.end;
        let mut r = l.start;
        while r + BLOCK <= l.end {
            let mut j = 0;
            while j + BLOCK <= k {
                let (o, ot) = (r * rs + c0 + j, j * ts + r);
                block(&a[o..], rs, &mut t[ot..], ts);
                j += BLOCK;
            }
            for jj in j..k {
                for i in r..r + BLOCK {
                    t[jj * ts + i] = a[i * rs + c0 + jj];
                }
            }
            r += BLOCK;
        }
        for i in r..l.end {
            for jj in 0..k {
                t[jj * ts + i] = a[i * rs + c0 + jj];
            }
        }
    }
    dead(t, end..rows);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::on_threads;

    /// The fused transform against [`Fft2::fft2_t`] of the same array (zero rows
    /// included), on sizes that leave partial blocks and strips, live rows with gaps and
    /// wanted columns in pieces, after a transform that filled every row: each wanted
    /// column comes once, with the same bits.
    #[test]
    // (lists of one range are lists of ranges here)
    #[allow(clippy::single_range_in_vec_init)]
    fn fused_transform_matches_the_whole_transform() {
        for (rows, cols, live, wanted, inverse) in [
            (12, 37, vec![1..3, 5..11], vec![0..5, 20..37], false),
            (16, 16, vec![0..16], vec![0..16], true),
            (9, 40, vec![4..5], vec![3..4, 17..36], true),
        ] {
            let value = |r: usize, c: usize| {
                let x = (r * cols + c) as f64;
                Complex::new((0.37 * x).sin(), (0.11 * x).cos())
            };
            let mut a = vec![Complex::new(0.0, 0.0); rows * cols];
            for r in live.iter().flat_map(|l| l.clone()) {
                for c in 0..cols {
                    a[r * cols + c] = value(r, c);
                }
            }
            let mut f = Fft2::<f64>::default();
            let mut want = vec![];
            f.fft2_t(&mut a, (rows, cols), inverse, |_, _| ());
            f.take_result(&mut want);
            want.truncate(rows * cols);
            let mut got = vec![None; cols];
            // a transform first that leaves values in every row of the buffers: the dead
            // rows must not keep them
            let mut f = Fft2::<f64>::default();
            let every = [0..rows];
            let all = [0..cols];
            let fill = |_: usize, row: &mut [C64]| row.fill(Complex::new(1.0, 2.0));
            f.fft2_t_fused(rows, cols, inverse, &every, fill, &all, |_, _| ());
            f.fft2_t_fused(
                rows,
                cols,
                inverse,
                &live,
                |r, row| {
                    assert!(live.iter().any(|l| l.contains(&r)), "row {r} is not live");
                    row.iter_mut()
                        .enumerate()
                        .for_each(|(c, v)| *v = value(r, c));
                },
                &wanted,
                |c, v| {
                    assert!(got[c].is_none(), "column {c} taken twice");
                    got[c] = Some(v.to_vec());
                },
            );
            for c in 0..cols {
                match &got[c] {
                    Some(v) => assert_eq!(v[..], want[c * rows..(c + 1) * rows], "column {c}"),
                    None => assert!(!wanted.iter().any(|w| w.contains(&c)), "column {c} missed"),
                }
            }
        }
    }

    /// The f32 strip (AVX2 blocks where the CPU has them) against the copy by values, on
    /// live rows with gaps and partial blocks, strips of full and partial width: the
    /// same values, the dead rows zero.
    #[test]
    #[allow(clippy::single_range_in_vec_init)]
    fn f32_strips_match_the_copy_by_values() {
        let (rows, rs, ts) = (19, 45, 24);
        let a: Vec<Complex<f32>> = (0..rows * rs)
            .map(|i| Complex::new(i as f32, 0.5 - i as f32))
            .collect();
        for (live, c0, k) in [
            (vec![0..19], 0, 16),
            (vec![1..3, 4..11, 13..18], 5, 16),
            (vec![2..9], 29, 13),
            (vec![], 3, 4),
        ] {
            let mut want = vec![Complex::new(f32::NAN, 0.0); k * ts];
            let mut got = want.clone();
            let s = Strip::of(rs, rows, &live, ts).cols(c0, k);
            strip_by_values(&a, &mut want, s);
            strip_f32(&a, &mut got, s);
            for j in 0..k {
                let r = j * ts..j * ts + rows;
                assert_eq!(got[r.clone()], want[r], "column {j} of {live:?}");
            }
        }
    }

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

    /// The real plane's transform against the complex transform of the same values:
    /// even and odd sides (odd heights take the complex transform), sizes worth sharing
    /// out over threads, the same bits on one and two threads.
    #[test]
    fn real_transform_matches_the_complex_one() {
        for (h, w) in [
            (8, 8),
            (6, 5),
            (2, 3),
            (7, 6),
            (130, 129),
            (256, 256),
            (2, 1),
        ] {
            let x: Vec<f64> = (0..h * w).map(|k| (0.37 * k as f64).sin() + 0.2).collect();
            let run = |threads: usize| {
                on_threads(threads, || {
                    let mut f = Fft2::<f64>::default();
                    let mut a = vec![C64::new(f64::NAN, 0.0); h * w];
                    f.fft2_real_t(&mut a, &x, (h, w));
                    f.t[..h * w].to_vec()
                })
            };
            let got = run(2);
            assert!(
                got == run(1),
                "{h}x{w}: the same bits on one and two threads"
            );
            let mut f = Fft2::<f64>::default();
            let mut a: Vec<C64> = x.iter().map(|v| C64::new(*v, 0.0)).collect();
            f.fft2_t(&mut a, (h, w), false, |_, _| ());
            let want = &f.t[..h * w];
            let scale = want.iter().map(|v| v.norm()).fold(0.0, f64::max);
            for (k, (g, v)) in got.iter().zip(want).enumerate() {
                assert!((g - v).norm() < 1e-13 * scale, "{h}x{w}, {k}: {g} {v}");
            }
        }
    }

    /// The shared 2-D transform against the DFT's definition (a size worth sharing out
    /// over threads): `fill` writes each piece of rows from its first row, and `then`
    /// hands out every value of the result once, at its index, with the matching piece of
    /// `out`; the same bits on one and two threads.
    #[test]
    fn shared_transform_fills_and_hands_out_each_piece() {
        let (rows, cols) = (130, 129);
        let value = |k: usize| C64::new((0.37 * k as f64).sin(), (0.11 * k as f64).cos());
        let run = |threads: usize| {
            on_threads(threads, || {
                let mut f = Fft2::<f64>::default();
                let mut a = vec![C64::new(f64::NAN, 0.0); rows * cols];
                let mut out = vec![C64::new(f64::NAN, 0.0); rows * cols];
                // (each piece also put at its index k0)
                let at = std::sync::Mutex::new(vec![C64::new(f64::NAN, 0.0); rows * cols]);
                let fill = |r0: usize, piece: &mut [C64]| {
                    assert_eq!(piece.len() % cols, 0, "whole rows");
                    let values = piece.iter_mut().enumerate();
                    values.for_each(|(i, v)| *v = value(r0 * cols + i));
                };
                let then = |k0: usize, o: &mut [C64], t: &[C64]| {
                    assert!(
                        o.len() == t.len() && k0.is_multiple_of(rows),
                        "whole columns"
                    );
                    o.iter_mut().zip(t).for_each(|(o, t)| *o = *t);
                    at.lock().unwrap()[k0..k0 + t.len()].copy_from_slice(t);
                };
                f.fft2_t_then(&mut a, (rows, cols), true, fill, &mut out, then);
                assert!(out == at.into_inner().unwrap(), "each piece at its index");
                out
            })
        };
        let got = run(2);
        assert!(got == run(1), "the same bits on one and two threads");
        // the definition, one dimension at a time
        let dft = |n: usize, k: usize, j: usize| {
            let ph = 2.0 * std::f64::consts::PI * ((k * j) % n) as f64 / n as f64;
            C64::new(ph.cos(), ph.sin())
        };
        let mut by_row = vec![C64::new(0.0, 0.0); rows * cols];
        for r in 0..rows {
            for c in 0..cols {
                by_row[r * cols + c] = (0..cols)
                    .map(|j| value(r * cols + j) * dft(cols, c, j))
                    .sum();
            }
        }
        for c in 0..cols {
            for r in 0..rows {
                let want: C64 = (0..rows)
                    .map(|i| by_row[i * cols + c] * dft(rows, r, i))
                    .sum();
                assert!((got[c * rows + r] - want).norm() < 1e-9, "({r}, {c})");
            }
        }
    }
}
