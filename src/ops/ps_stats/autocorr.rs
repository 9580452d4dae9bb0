//! Circular autocorrelations at the centred window's shifts, and their adjoint, by
//! direct sums over the image wrapped at its edges: a pass sums [`SH`] column shifts at
//! [`DYS`] row shifts at once, each loaded window of a row serving every row shift (AVX2
//! and FMA intrinsics where the CPU has them; with AVX-512 the windows' row kernel once
//! per row shift, else the portable one), in 8 lanes of the element type over a few
//! rows, added up in f64. The adjoint's taps make two output rows at once,
//! so each loaded window of an input row serves both (AVX2; with AVX-512 the windows'
//! kernel, once per row). For plenoptic's 9x9 window on 256x256 this took about as long
//! as the real 2-D FFTs it replaced (forward 103 against 131 us, adjoint 164 against 166
//! us on the development machine, before the AVX-512 and two-row kernels), and the
//! forward keeps no spectra for the adjoint.

use std::mem::MaybeUninit;

use super::buffers::{self, Buf, Kept};
use crate::ops::simd::avx2;
use crate::tensor::{ByFloat, Float, PerFloat};

/// The shifts of the centred `w x w` autocorrelation window: -(w/2) ..= (w+1)/2 - 1.
fn shifts(w: usize) -> impl Iterator<Item = isize> + Clone {
    let lo = -((w / 2) as isize);
    (0..w as isize).map(move |i| lo + i)
}

/// Shifts along a row that one pass of the direct sums takes together.
const SH: usize = 9;

/// `out[j] = sum_(i, x) a[i * wd + x] * b[i * pw + x + j]` for the [`SH`] shifts `j`
/// over the rows `i` of `a` (`wd` values each; `b`'s rows are `pw` apart and hold at
/// least `wd + SH - 1` values), in f64 from 8 lanes of `S` per [`ROWS`] rows.
type RowDots<S> = fn(&[S], &[S], usize, usize) -> [f64; SH];
/// `out[x] = sum_(ey, ex) k[ey * nd + ex] * b[ey * pw + x + ex]` written for every `x`
/// of `out` (`k` is `nd x nd`, `b` starts at the first row's `x = 0`).
type RowTaps<S> = fn(&[S], usize, &[S], usize, &mut [MaybeUninit<S>]);
/// [`RowTaps`] for two consecutive output rows: `out0` from `b`'s rows `0..nd`, `out1`
/// from its rows `1..=nd` (each row of `b` read once for both).
type RowTaps2<S> = fn(&[S], usize, &[S], usize, &mut [MaybeUninit<S>], &mut [MaybeUninit<S>]);

/// Row shifts one pass of [`DyDots`] takes together.
const DYS: usize = 3;

/// `out[t][j] = sum_(i, x) m[i * wd + x] * b[(i + t) * pw + x + j]` for the row shifts
/// `t < ndy` (at most [`DYS`]) and the [`SH`] column shifts `j`, over the `h` rows of `m`
/// (`wd` values each; `b`'s rows are `pw` apart and hold at least `wd + SH - 1` values).
type DyDots<S> = fn(&[S], usize, usize, &[S], usize, usize) -> [[f64; SH]; DYS];

struct Kernels;
impl PerFloat for Kernels {
    type Of<E: Float> = (DyDots<E>, RowTaps<E>, RowTaps2<E>);
}
static KERNELS: ByFloat<Kernels> = ByFloat {
    single: (dy_dots_f32, row_taps_f32, row_taps2_f32),
    double: (dy_dots_f64, row_taps_f64, row_taps2_f64),
};

/// Rows whose products each lane sums in the element type before they are added in f64:
/// rows of `a` in [`RowDots`], rows of `b` in [`DyDots`]'s AVX2 kernel.
const ROWS: usize = 4;

#[inline(always)]
fn row_dots_body<S: Float>(a: &[S], b: &[S], wd: usize, pw: usize) -> [f64; SH] {
    const L: usize = 8;
    let body = wd / L * L;
    let mut out = [0.0; SH];
    for (j, o) in out.iter_mut().enumerate() {
        let mut s = [S::zero(); L];
        for (i, a) in a.chunks_exact(wd).enumerate() {
            let bj = &b[i * pw + j..i * pw + j + wd];
            for (ac, bc) in a[..body].chunks_exact(L).zip(bj[..body].chunks_exact(L)) {
                for k in 0..L {
                    s[k] += ac[k] * bc[k];
                }
            }
            for x in body..wd {
                *o += (a[x] * bj[x]).as_f64();
            }
        }
        *o += super::host::halving_sum(s.map(|v| v.as_f64()));
    }
    out
}

fn row_dots<S: Float>(a: &[S], b: &[S], wd: usize, pw: usize) -> [f64; SH] {
    avx2(
        #[inline(always)]
        || row_dots_body(a, b, wd, pw),
    )
}

/// [`DyDots`] by a [`RowDots`] kernel, once per row shift and [`ROWS`] rows of `m`.
fn dots_by_rows<S: Float>(
    dots: RowDots<S>,
    m: &[S],
    h: usize,
    wd: usize,
    b: &[S],
    pw: usize,
    ndy: usize,
) -> [[f64; SH]; DYS] {
    let mut out = [[0.0; SH]; DYS];
    for (t, o) in out.iter_mut().enumerate().take(ndy) {
        for y in (0..h).step_by(ROWS) {
            let y1 = (y + ROWS).min(h);
            let r = dots(
                &m[y * wd..y1 * wd],
                &b[(y + t) * pw..(y1 - 1 + t) * pw + wd + SH - 1],
                wd,
                pw,
            );
            for (o, v) in o.iter_mut().zip(r) {
                *o += v;
            }
        }
    }
    out
}

#[inline(always)]
fn row_taps_body<S: Float>(k: &[S], nd: usize, b: &[S], pw: usize, out: &mut [MaybeUninit<S>]) {
    const L: usize = 8;
    let n = out.len();
    let body = n / L * L;
    for x in (0..body).step_by(L) {
        let mut acc = [S::zero(); L];
        for ey in 0..nd {
            let r = &b[ey * pw + x..ey * pw + x + L + nd - 1];
            for (ex, &kv) in k[ey * nd..(ey + 1) * nd].iter().enumerate() {
                let v: &[S; L] = r[ex..ex + L].try_into().expect("L values");
                for l in 0..L {
                    acc[l] += kv * v[l];
                }
            }
        }
        for (o, a) in out[x..x + L].iter_mut().zip(acc) {
            o.write(a);
        }
    }
    for (x, o) in out.iter_mut().enumerate().skip(body) {
        let mut t = S::zero();
        for ey in 0..nd {
            let r = &b[ey * pw + x..ey * pw + x + nd];
            for (kv, bv) in k[ey * nd..(ey + 1) * nd].iter().zip(r) {
                t += *kv * *bv;
            }
        }
        o.write(t);
    }
}

fn row_taps<S: Float>(k: &[S], nd: usize, b: &[S], pw: usize, out: &mut [MaybeUninit<S>]) {
    avx2(
        #[inline(always)]
        || row_taps_body(k, nd, b, pw, out),
    )
}

/// [`RowTaps2`] by [`RowTaps`] once per row.
fn row_taps2_by<S: Float>(
    taps: RowTaps<S>,
    k: &[S],
    nd: usize,
    b: &[S],
    pw: usize,
    out0: &mut [MaybeUninit<S>],
    out1: &mut [MaybeUninit<S>],
) {
    taps(k, nd, b, pw, out0);
    taps(k, nd, &b[pw..], pw, out1);
}

/// The row kernels of `$t`: the intrinsics' where the CPU has AVX2 and FMA, else the
/// portable ones.
macro_rules! dispatch {
    ($dots:ident, $taps:ident, $taps2:ident, $t:ty, $m:ident) => {
        fn $dots(
            m: &[$t],
            h: usize,
            wd: usize,
            b: &[$t],
            pw: usize,
            ndy: usize,
        ) -> [[f64; SH]; DYS] {
            #[cfg(target_arch = "x86_64")]
            if crate::ops::simd::has_avx2_fma() {
                // SAFETY: the CPU has AVX2 and FMA (checked just above)
                return unsafe { fma::$m::dy_dots(m, h, wd, b, pw, ndy) };
            }
            dots_by_rows(row_dots, m, h, wd, b, pw, ndy)
        }

        fn $taps(k: &[$t], nd: usize, b: &[$t], pw: usize, out: &mut [MaybeUninit<$t>]) {
            #[cfg(target_arch = "x86_64")]
            if crate::ops::simd::has_avx2_fma() {
                // SAFETY: the CPU has AVX2 and FMA (checked just above)
                return unsafe { fma::$m::row_taps(k, nd, b, pw, out) };
            }
            row_taps(k, nd, b, pw, out)
        }

        fn $taps2(
            k: &[$t],
            nd: usize,
            b: &[$t],
            pw: usize,
            out0: &mut [MaybeUninit<$t>],
            out1: &mut [MaybeUninit<$t>],
        ) {
            #[cfg(target_arch = "x86_64")]
            if crate::ops::simd::has_avx2_fma() {
                // SAFETY: the CPU has AVX2 and FMA (checked just above)
                return unsafe { fma::$m::row_taps2(k, nd, b, pw, out0, out1) };
            }
            row_taps2_by(row_taps, k, nd, b, pw, out0, out1)
        }
    };
}
dispatch!(
    dy_dots_avx2_f32,
    row_taps_avx2_f32,
    row_taps2_avx2_f32,
    f32,
    single
);
dispatch!(dy_dots_f64, row_taps_f64, row_taps2_f64, f64, double);

/// [`DyDots`] in f32: with AVX-512 (256-bit vectors) the windows' row kernel, else the
/// AVX2 one, else the portable one.
fn dy_dots_f32(
    m: &[f32],
    h: usize,
    wd: usize,
    b: &[f32],
    pw: usize,
    ndy: usize,
) -> [[f64; SH]; DYS] {
    #[cfg(target_arch = "x86_64")]
    if crate::ops::simd::has_avx512vl() {
        // SAFETY: the CPU has AVX2, FMA, AVX-512F and VL (checked just above)
        return dots_by_rows(
            |a, b, wd, pw| unsafe { windows::row_dots(a, b, wd, pw) },
            m,
            h,
            wd,
            b,
            pw,
            ndy,
        );
    }
    dy_dots_avx2_f32(m, h, wd, b, pw, ndy)
}

/// [`RowTaps`] in f32, picked as [`dy_dots_f32`] (the windows' kernel for the
/// 9 x 9 taps only).
fn row_taps_f32(k: &[f32], nd: usize, b: &[f32], pw: usize, out: &mut [MaybeUninit<f32>]) {
    #[cfg(target_arch = "x86_64")]
    if nd == windows::ND && crate::ops::simd::has_avx512vl() {
        // SAFETY: the CPU has AVX2, FMA, AVX-512F and VL (checked just above)
        return unsafe { windows::row_taps(k, b, pw, out) };
    }
    row_taps_avx2_f32(k, nd, b, pw, out)
}

/// [`RowTaps2`] in f32: with AVX-512 the windows' kernel once per row, else the AVX2
/// two-row kernel (which reads each row once for both).
fn row_taps2_f32(
    k: &[f32],
    nd: usize,
    b: &[f32],
    pw: usize,
    out0: &mut [MaybeUninit<f32>],
    out1: &mut [MaybeUninit<f32>],
) {
    #[cfg(target_arch = "x86_64")]
    if nd == windows::ND && crate::ops::simd::has_avx512vl() {
        return row_taps2_by(row_taps_f32, k, nd, b, pw, out0, out1);
    }
    row_taps2_avx2_f32(k, nd, b, pw, out0, out1)
}

/// The f32 row kernels with AVX-512 on 256-bit vectors: the shifted windows of a row
/// (`x + j` for the [`SH`] shifts or the taps' 9 columns) come from two loaded vectors
/// by `valignd`, so each value is loaded once per row instead of once per shift (a
/// load at a shift crosses a cache line nearly half the time). The same products in
/// the same order as the AVX2 kernels: the same bits.
#[cfg(target_arch = "x86_64")]
mod windows {
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    use super::SH;

    /// The taps' width this kernel takes: every window up to 9 (the margin is at least
    /// [`SH`] / 2).
    pub(super) const ND: usize = 9;

    /// The 8 values at `lo`'s lane `K` onwards, continuing into `hi` (`valignd`: the
    /// reason the crate needs Rust 1.89).
    #[inline(always)]
    unsafe fn at<const K: i32>(lo: __m256, hi: __m256) -> __m256 {
        _mm256_castsi256_ps(_mm256_alignr_epi32::<K>(
            _mm256_castps_si256(hi),
            _mm256_castps_si256(lo),
        ))
    }

    /// The 9 windows `x + 0 ..= x + 8` of the 16 values `lo`, `hi`.
    #[inline(always)]
    unsafe fn windows(lo: __m256, hi: __m256) -> [__m256; 9] {
        [
            lo,
            at::<1>(lo, hi),
            at::<2>(lo, hi),
            at::<3>(lo, hi),
            at::<4>(lo, hi),
            at::<5>(lo, hi),
            at::<6>(lo, hi),
            at::<7>(lo, hi),
            hi,
        ]
    }

    /// [`super::RowDots`].
    #[target_feature(enable = "avx2,fma,avx512f,avx512vl")]
    pub(super) unsafe fn row_dots(a: &[f32], b: &[f32], wd: usize, pw: usize) -> [f64; SH] {
        const { assert!(SH == 9, "9 windows") };
        let rows = a.len() / wd;
        assert!(
            a.len() == rows * wd && rows > 0 && b.len() >= (rows - 1) * pw + wd + SH - 1,
            "the rows' values"
        );
        let body = wd / 8 * 8;
        let mut acc = [_mm256_setzero_ps(); SH];
        let mut out = [0.0; SH];
        for i in 0..rows {
            let (pa, pb) = (a.as_ptr().add(i * wd), b.as_ptr().add(i * pw));
            // SAFETY: x + 8 <= wd in row i of a, and x + 16 <= wd + 8 <= wd + SH - 1 in
            // row i of b (asserted)
            let mut lo = if body > 0 {
                _mm256_loadu_ps(pb)
            } else {
                _mm256_setzero_ps()
            };
            for x in (0..body).step_by(8) {
                let av = _mm256_loadu_ps(pa.add(x));
                let hi = _mm256_loadu_ps(pb.add(x + 8));
                for (s, w) in acc.iter_mut().zip(windows(lo, hi)) {
                    *s = _mm256_fmadd_ps(av, w, *s);
                }
                lo = hi;
            }
            for (j, o) in out.iter_mut().enumerate() {
                for x in body..wd {
                    *o += (a[i * wd + x] * b[i * pw + x + j]) as f64;
                }
            }
        }
        for (o, s) in out.iter_mut().zip(acc) {
            let mut v = [0.0f32; 8];
            _mm256_storeu_ps(v.as_mut_ptr(), s);
            *o += crate::ops::ps_stats::host::halving_sum(v.map(|x| x as f64));
        }
        out
    }

    /// [`super::RowTaps`] for 9 x 9 taps: blocks of 64 values while a block's last
    /// loaded vector is in the row, then the AVX2 kernel.
    #[target_feature(enable = "avx2,fma,avx512f,avx512vl")]
    pub(super) unsafe fn row_taps(k: &[f32], b: &[f32], pw: usize, out: &mut [MaybeUninit<f32>]) {
        const G: usize = 8;
        let n = out.len();
        assert!(
            k.len() == ND * ND && b.len() >= (ND - 1) * pw + n + ND - 1,
            "the taps' rows"
        );
        let pb = b.as_ptr();
        let mut x = 0;
        // (the loads reach x + 8 (G + 1) <= n + ND - 1: within each row's values)
        while x + 8 * (G + 1) < n + ND {
            let mut acc = [_mm256_setzero_ps(); G];
            for ey in 0..ND {
                let r = pb.add(ey * pw + x);
                // SAFETY: values x .. x + 8 (G + 1) of row ey (asserted, and the loop's
                // bound)
                let v: [__m256; G + 1] = std::array::from_fn(|c| _mm256_loadu_ps(r.add(8 * c)));
                let ks = &k[ey * ND..(ey + 1) * ND];
                for (c, s) in acc.iter_mut().enumerate() {
                    for (w, &kv) in windows(v[c], v[c + 1]).into_iter().zip(ks) {
                        *s = _mm256_fmadd_ps(_mm256_set1_ps(kv), w, *s);
                    }
                }
            }
            for (c, s) in acc.iter().enumerate() {
                _mm256_storeu_ps(out.as_mut_ptr().cast::<f32>().add(x + 8 * c), *s);
            }
            x += 8 * G;
        }
        if x < n {
            super::fma::single::row_taps(k, ND, &b[x..], pw, &mut out[x..]);
        }
    }
}

/// The row kernels in AVX2 and FMA intrinsics (f32 and f64: the same code on 8 or 4
/// lanes).
#[cfg(target_arch = "x86_64")]
mod fma {
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    use super::{DYS, ROWS, SH};

    /// Column shifts whose windows [`single::dy_dots`] loads together.
    const G: usize = 3;

    macro_rules! kernels {
        ($m:ident, $t:ty, $v:ty, $n:expr, $zero:ident, $load:ident, $store:ident, $fma:ident, $set1:ident) => {
            pub(super) mod $m {
                use super::*;

                /// [`super::super::DyDots`]: for each row of `b`, its windows at [`G`]
                /// shifts at a time loaded once and multiplied by each row of `m` it pairs with
                /// (one per row shift), so each loaded window serves up to [`DYS`] sums;
                /// the sums in the element type over [`ROWS`] rows of `b`, then in f64.
                #[target_feature(enable = "avx2,fma")]
                pub(crate) unsafe fn dy_dots(
                    m: &[$t],
                    h: usize,
                    wd: usize,
                    b: &[$t],
                    pw: usize,
                    ndy: usize,
                ) -> [[f64; SH]; DYS] {
                    const { assert!(SH % G == 0 && DYS == 3, "whole groups of shifts") };
                    assert!(
                        h > 0
                            && (1..=DYS).contains(&ndy)
                            && m.len() == h * wd
                            && b.len() >= (h + ndy - 2) * pw + wd + SH - 1,
                        "the rows' values"
                    );
                    let body = wd / $n * $n;
                    let nb = h + ndy - 1;
                    let mut acc = [[[$zero(); G]; DYS]; SH / G];
                    let mut wide = [[[0.0f64; $n]; SH]; DYS];
                    let mut out = [[0.0f64; SH]; DYS];
                    let (pm, pb) = (m.as_ptr(), b.as_ptr());
                    for rb in 0..nb {
                        // the rows of m this row of b pairs with: i = rb - t, t in t0..t1
                        let (t0, t1) = ((rb + 1).saturating_sub(h), ndy.min(rb + 1));
                        let r = pb.add(rb * pw);
                        for (g, ac) in acc.iter_mut().enumerate() {
                            // SAFETY: rows rb - t of m for t in t0..t1, and values x + g G
                            // + jj + lanes - 1 < wd + SH - 1 of row rb of b (asserted)
                            let w = r.add(g * G);
                            let ac = &mut ac[t0..t1];
                            let row = |t: usize| pm.add((rb - t0 - t) * wd);
                            match t1 - t0 {
                                3 => group::<3>(ac, std::array::from_fn(row), w, body),
                                2 => group::<2>(ac, std::array::from_fn(row), w, body),
                                _ => group::<1>(ac, std::array::from_fn(row), w, body),
                            }
                        }
                        for x in body..wd {
                            for t in t0..t1 {
                                let av = m[(rb - t) * wd + x];
                                for (j, o) in out[t].iter_mut().enumerate() {
                                    *o += (av * b[rb * pw + x + j]) as f64;
                                }
                            }
                        }
                        if (rb + 1) % ROWS == 0 || rb + 1 == nb {
                            for (g, ac) in acc.iter_mut().enumerate() {
                                for (t, at) in ac.iter_mut().enumerate() {
                                    for (jj, s) in at.iter_mut().enumerate() {
                                        let mut v = [0.0 as $t; $n];
                                        $store(v.as_mut_ptr(), *s);
                                        for (w, x) in wide[t][g * G + jj].iter_mut().zip(v) {
                                            *w += x as f64;
                                        }
                                        *s = $zero();
                                    }
                                }
                            }
                        }
                    }
                    for (o, w) in out.iter_mut().zip(wide) {
                        for (o, w) in o.iter_mut().zip(w) {
                            *o += crate::ops::ps_stats::host::halving_sum(w);
                        }
                    }
                    out
                }

                /// `ac[t][jj] += sum_x m_t[x] * w[x + jj]` for the rows `rows` of `m` and
                /// the row `w` of `b` (from its group's first shift), over `body` values.
                #[inline(always)]
                unsafe fn group<const T: usize>(
                    ac: &mut [[$v; G]],
                    rows: [*const $t; T],
                    w: *const $t,
                    body: usize,
                ) {
                    let mut a: [[$v; G]; T] = std::array::from_fn(|t| ac[t]);
                    for x in (0..body).step_by($n) {
                        // SAFETY: as in dy_dots
                        let wv: [$v; G] = std::array::from_fn(|jj| $load(w.add(x + jj)));
                        for t in 0..T {
                            let av = $load(rows[t].add(x));
                            for jj in 0..G {
                                a[t][jj] = $fma(av, wv[jj], a[t][jj]);
                            }
                        }
                    }
                    ac[..T].copy_from_slice(&a);
                }

                /// [`super::super::RowTaps`].
                #[target_feature(enable = "avx2,fma")]
                pub(crate) unsafe fn row_taps(
                    k: &[$t],
                    nd: usize,
                    b: &[$t],
                    pw: usize,
                    out: &mut [MaybeUninit<$t>],
                ) {
                    const G: usize = 8;
                    let n = out.len();
                    assert!(
                        k.len() == nd * nd && b.len() >= (nd - 1) * pw + n + nd - 1,
                        "the taps' rows"
                    );
                    let pb = b.as_ptr();
                    let mut x = 0;
                    while x + $n * G <= n {
                        let mut acc = [$zero(); G];
                        for ey in 0..nd {
                            for ex in 0..nd {
                                let kv = $set1(k[ey * nd + ex]);
                                let r = pb.add(ey * pw + x + ex);
                                // SAFETY: values up to x + lanes * G - 1 + (nd - 1) of row
                                // ey (asserted)
                                for (c, s) in acc.iter_mut().enumerate() {
                                    *s = $fma(kv, $load(r.add($n * c)), *s);
                                }
                            }
                        }
                        for (c, s) in acc.iter().enumerate() {
                            $store(out.as_mut_ptr().cast::<$t>().add(x + $n * c), *s);
                        }
                        x += $n * G;
                    }
                    while x + $n <= n {
                        let mut s = $zero();
                        for ey in 0..nd {
                            for ex in 0..nd {
                                let kv = $set1(k[ey * nd + ex]);
                                // SAFETY: as above, for one chunk of lanes
                                s = $fma(kv, $load(pb.add(ey * pw + x + ex)), s);
                            }
                        }
                        $store(out.as_mut_ptr().cast::<$t>().add(x), s);
                        x += $n;
                    }
                    for (xx, o) in out.iter_mut().enumerate().skip(x) {
                        let mut t = 0.0;
                        for ey in 0..nd {
                            for ex in 0..nd {
                                t += k[ey * nd + ex] * b[ey * pw + xx + ex];
                            }
                        }
                        o.write(t);
                    }
                }

                /// [`super::super::RowTaps2`]: blocks of `G` vectors of both output
                /// rows, each loaded window of an input row multiplied by its tap in
                /// either row (the first and last input rows feed one), the rest by
                /// [`row_taps`]. Each output's products are added in the same order as
                /// [`row_taps`]'s: the same bits.
                #[target_feature(enable = "avx2,fma")]
                pub(crate) unsafe fn row_taps2(
                    k: &[$t],
                    nd: usize,
                    b: &[$t],
                    pw: usize,
                    out0: &mut [MaybeUninit<$t>],
                    out1: &mut [MaybeUninit<$t>],
                ) {
                    const G: usize = 4;
                    let n = out0.len();
                    assert!(
                        out1.len() == n
                            && nd > 0
                            && k.len() == nd * nd
                            && b.len() >= nd * pw + n + nd - 1,
                        "the taps' rows"
                    );
                    let pb = b.as_ptr();
                    let mut x = 0;
                    while x + $n * G <= n {
                        let mut a0 = [$zero(); G];
                        let mut a1 = [$zero(); G];
                        // SAFETY (all loads): values up to x + lanes * G - 1 + (nd - 1) of
                        // rows 0..=nd (asserted)
                        for ex in 0..nd {
                            let k0 = $set1(k[ex]);
                            let r = pb.add(x + ex);
                            for (c, s) in a0.iter_mut().enumerate() {
                                *s = $fma(k0, $load(r.add($n * c)), *s);
                            }
                        }
                        for ey in 1..nd {
                            for ex in 0..nd {
                                let k0 = $set1(k[ey * nd + ex]);
                                let k1 = $set1(k[(ey - 1) * nd + ex]);
                                let r = pb.add(ey * pw + x + ex);
                                for c in 0..G {
                                    let v = $load(r.add($n * c));
                                    a0[c] = $fma(k0, v, a0[c]);
                                    a1[c] = $fma(k1, v, a1[c]);
                                }
                            }
                        }
                        for ex in 0..nd {
                            let k1 = $set1(k[(nd - 1) * nd + ex]);
                            let r = pb.add(nd * pw + x + ex);
                            for (c, s) in a1.iter_mut().enumerate() {
                                *s = $fma(k1, $load(r.add($n * c)), *s);
                            }
                        }
                        for c in 0..G {
                            $store(out0.as_mut_ptr().cast::<$t>().add(x + $n * c), a0[c]);
                            $store(out1.as_mut_ptr().cast::<$t>().add(x + $n * c), a1[c]);
                        }
                        x += $n * G;
                    }
                    if x < n {
                        row_taps(k, nd, &b[x..], pw, &mut out0[x..]);
                        row_taps(k, nd, &b[pw + x..], pw, &mut out1[x..]);
                    }
                }
            }
        };
    }

    kernels!(
        single,
        f32,
        __m256,
        8,
        _mm256_setzero_ps,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_fmadd_ps,
        _mm256_set1_ps
    );
    kernels!(
        double,
        f64,
        __m256d,
        4,
        _mm256_setzero_pd,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_fmadd_pd,
        _mm256_set1_pd
    );
}

/// `m` (`h x wd`, row-major) wrapped circularly by `p` values on every side: the
/// row-major `(h + 2p) x (wd + 2p)` array whose `(i, j)` is `m[(i - p) mod h][(j - p) mod
/// wd]`.
fn wrapped<S: Kept>(m: &[S], h: usize, wd: usize, p: usize) -> Buf<S> {
    let pw = wd + 2 * p;
    let wrap = |i: usize, n: usize| (i as isize - p as isize).rem_euclid(n as isize) as usize;
    let mut out = buffers::with_capacity((h + 2 * p) * pw);
    for i in 0..h + 2 * p {
        let r = wrap(i, h);
        let row = &m[r * wd..(r + 1) * wd];
        if p <= wd {
            // (the margins are the row's ends: copies)
            out.extend_from_slice(&row[wd - p..]);
            out.extend_from_slice(row);
            out.extend_from_slice(&row[..p]);
        } else {
            out.extend((0..p).map(|j| row[wrap(j, wd)]));
            out.extend_from_slice(row);
            out.extend((0..p).map(|j| row[j % wd]));
        }
    }
    out
}

/// The margin of the wrapped arrays for window width `w`: room for [`SH`] shifts at once.
fn margin(w: usize) -> usize {
    (w / 2).max(SH / 2)
}

/// The circular autocorrelation `r[d] = mean_p m[p] m[p + d]` of `m` (`h x wd`,
/// row-major) at the centred `w x w` window's shifts, row-major, by direct sums: the row
/// shifts `dy` in `0..=w/2`, [`DYS`] at a time, at every column shift ([`DyDots`];
/// `r[-d] = r[d]` gives the window's other shifts), summed in the element type over a
/// few rows, then in f64.
pub(crate) fn autocorr<S: Kept>(m: &[S], h: usize, wd: usize, w: usize) -> Vec<f64> {
    let (p, q) = (w / 2, margin(w));
    let (pw, nd) = (wd + 2 * q, 2 * q + 1);
    let pad = wrapped(m, h, wd, q);
    let (dots, _, _) = *S::pick(&KERNELS);
    // sums[dy * nd + dx + q]
    let mut sums = vec![0.0; (p + 1) * nd];
    for dy0 in (0..=p).step_by(DYS) {
        let ndy = DYS.min(p + 1 - dy0);
        // blocks of SH column shifts, the last one moved back to end at nd (its shifts
        // the previous block summed are skipped)
        let mut done = 0;
        while done < nd {
            let d0 = done.min(nd - SH);
            let row = (q + dy0) * pw + d0;
            let b = &pad[row..row + (h + ndy - 2) * pw + wd + SH - 1];
            for (t, r) in dots(m, h, wd, b, pw, ndy).iter().enumerate().take(ndy) {
                for (j, v) in r.iter().enumerate().skip(done - d0) {
                    sums[(dy0 + t) * nd + d0 + j] += v;
                }
            }
            done = d0 + SH;
        }
    }
    let n = (h * wd) as f64;
    let mut picked = vec![0.0; w * w];
    for (a, d1) in shifts(w).enumerate() {
        for (b, d2) in shifts(w).enumerate() {
            let (dy, dx) = if d1 > 0 || (d1 == 0 && d2 >= 0) {
                (d1, d2)
            } else {
                (-d1, -d2)
            };
            picked[a * w + b] = sums[dy as usize * nd + (dx + q as isize) as usize] / n;
        }
    }
    picked
}

/// The gradient of `sum_d gr[d] r[d]` (window shifts, `r` as [`autocorr`]) with respect
/// to `m` (`h x wd`, row-major): `mean`-scaled `sum_d gr[d] (m[p + d] + m[p - d])`, by
/// direct sums in the element type, two rows at a time (the last one alone when `h` is
/// odd), written straight into the gradient.
pub(crate) fn autocorr_adjoint<S: Kept>(
    m: &[S],
    h: usize,
    wd: usize,
    w: usize,
    gr: &[f64],
) -> Buf<S> {
    if gr.iter().all(|g| *g == 0.0) {
        return buffers::zeros(h * wd);
    }
    let q = margin(w);
    let (pw, nd) = (wd + 2 * q, 2 * q + 1);
    let n = (h * wd) as f64;
    // the taps: gm[p] = sum_e k[e] m[p + e], e in -q..=q squared
    let mut k = vec![0.0; nd * nd];
    for (a, d1) in shifts(w).enumerate() {
        for (b, d2) in shifts(w).enumerate() {
            let g = gr[a * w + b] / n;
            for (e1, e2) in [(d1, d2), (-d1, -d2)] {
                k[(e1 + q as isize) as usize * nd + (e2 + q as isize) as usize] += g;
            }
        }
    }
    let k: Vec<S> = k.iter().map(|v| S::of_f64(*v)).collect();
    let pad = wrapped(m, h, wd, q);
    let (_, taps, taps2) = *S::pick(&KERNELS);
    buffers::filled_one(h * wd, |out| {
        for (y, rows) in (0..h).step_by(2).zip(out.chunks_mut(2 * wd)) {
            if rows.len() == 2 * wd {
                let (r0, r1) = rows.split_at_mut(wd);
                taps2(&k, nd, &pad[y * pw..], pw, r0, r1);
            } else {
                taps(&k, nd, &pad[y * pw..], pw, rows);
            }
        }
        // SAFETY: the taps wrote every value of every row
        unsafe { &mut *(out as *mut [MaybeUninit<S>] as *mut [S]) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::rel_err;

    /// `r[d]` and the adjoint by their definitions, in f64.
    fn naive(m: &[f64], h: usize, wd: usize, w: usize, gr: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let at = |y: isize, x: isize| {
            m[y.rem_euclid(h as isize) as usize * wd + x.rem_euclid(wd as isize) as usize]
        };
        let n = (h * wd) as f64;
        let mut r = vec![];
        let mut g = vec![0.0; h * wd];
        for (a, d1) in shifts(w).enumerate() {
            for (b, d2) in shifts(w).enumerate() {
                let mut s = 0.0;
                for y in 0..h as isize {
                    for x in 0..wd as isize {
                        s += at(y, x) * at(y + d1, x + d2);
                        g[y as usize * wd + x as usize] +=
                            gr[a * w + b] / n * (at(y + d1, x + d2) + at(y - d1, x - d2));
                    }
                }
                r.push(s / n);
            }
        }
        (r, g)
    }

    fn check<S: Kept>(h: usize, wd: usize, w: usize, tol: f64) {
        let m: Vec<f64> = (0..h * wd)
            .map(|i| ((i * 7919 % 251) as f64 / 251.0).sin())
            .collect();
        let gr: Vec<f64> = (0..w * w)
            .map(|i| ((i * 5 % 11) as f64 - 3.0) / 5.0)
            .collect();
        let (r0, g0) = naive(&m, h, wd, w, &gr);
        let ms: Vec<S> = m.iter().map(|v| S::of_f64(*v)).collect();
        let r = autocorr(&ms, h, wd, w);
        let g = autocorr_adjoint(&ms, h, wd, w, &gr);
        let g: Vec<f64> = g.iter().map(|v| v.as_f64()).collect();
        let (er, eg) = (rel_err(&r, &r0), rel_err(&g, &g0));
        assert!(er < tol && eg < tol, "{h}x{wd}, w {w}: {er:e}, {eg:e}");
    }

    /// The direct sums against the definitions: sizes with partial chunks and smaller
    /// than the window (wrapped more than once), odd and even and wide windows.
    #[test]
    fn autocorrelation_and_adjoint_match_their_definitions() {
        for &(h, wd) in &[(64, 64), (16, 24), (13, 70), (4, 4), (3, 5)] {
            for w in [1, 3, 7, 8, 9, 12, 21] {
                check::<f64>(h, wd, w, 1e-13);
                check::<f32>(h, wd, w, 2e-6);
            }
        }
    }

    /// The `n` values a row kernel `f` writes.
    fn out<S: Float>(n: usize, f: impl FnOnce(&mut [MaybeUninit<S>])) -> Vec<S> {
        let mut o = vec![MaybeUninit::new(S::of_f64(f64::NAN)); n];
        f(&mut o);
        // SAFETY: every value holds one (NaN where the kernel wrote none)
        o.iter().map(|v| unsafe { v.assume_init() }).collect()
    }

    /// The row kernels (intrinsics where the CPU has them) against the portable ones, and
    /// the two-row taps against the one-row taps of the same kernels, bit for bit.
    fn kernels_match<S: Kept>((dots, taps, taps2): (DyDots<S>, RowTaps<S>, RowTaps2<S>), tol: f64) {
        let nd = SH;
        for n in [1, 3, 7, 8, 15, 16, 17, 33, 63, 64, 65, 256] {
            let pw = n + nd - 1;
            let b: Vec<S> = (0..(nd + 4) * pw)
                .map(|i| S::of_f64(((i * 31 % 97) as f64 / 97.0).cos()))
                .collect();
            // (rows of m past one flush of the sums, each number of row shifts)
            for rows in 1..=6 {
                let a: Vec<S> = (0..rows * n)
                    .map(|i| S::of_f64((i as f64 * 0.61).sin()))
                    .collect();
                for ndy in 1..=DYS {
                    let x = dots(&a, rows, n, &b, pw, ndy);
                    let y = dots_by_rows(row_dots::<S>, &a, rows, n, &b, pw, ndy);
                    for (t, (x, y)) in x.iter().zip(&y).enumerate() {
                        for (u, v) in x.iter().zip(y) {
                            let ok = if t < ndy {
                                (u - v).abs() < tol * (rows * n) as f64
                            } else {
                                *u == 0.0 && *v == 0.0
                            };
                            assert!(ok, "dots, {n}, {rows} rows, {t} of {ndy}: {u} {v}");
                        }
                    }
                }
            }
            let k: Vec<S> = (0..nd * nd)
                .map(|i| S::of_f64((i as f64 * 0.37).sin()))
                .collect();
            let x = out(n, |o| taps(&k, nd, &b, pw, o));
            let y = out(n, |o| row_taps::<S>(&k, nd, &b, pw, o));
            for (u, v) in x.iter().zip(&y) {
                assert!(
                    (u.as_f64() - v.as_f64()).abs() < tol * 10.0,
                    "taps, {n}: {u} {v}"
                );
            }
            let mut x1 = vec![];
            let x0 = out(n, |o0| x1 = out(n, |o1| taps2(&k, nd, &b, pw, o0, o1)));
            let y = out(n, |o| taps(&k, nd, &b[pw..], pw, o));
            assert!(x0 == x && x1 == y, "two-row taps, {n}");
        }
    }

    #[test]
    fn row_kernels_match_the_portable_ones() {
        kernels_match::<f32>(*f32::pick(&KERNELS), 1e-5);
        // (the AVX2 kernels, which CPUs without AVX-512 take)
        kernels_match::<f32>(
            (dy_dots_avx2_f32, row_taps_avx2_f32, row_taps2_avx2_f32),
            1e-5,
        );
        kernels_match::<f64>(*f64::pick(&KERNELS), 1e-13);
    }
}
