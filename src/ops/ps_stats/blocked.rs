//! Many dot products and many `y += a * x` over the same few long vectors, done block by
//! block so each block of every vector is read from cache rather than memory once per pair.

use std::mem::MaybeUninit;

use crate::ops::simd::avx2;
use crate::tensor::{ByFloat, Float, PerFloat};

/// One run of [`dots`] on the values `r` (whole chunks of [`LANES`]): the pairs' partial
/// sums `acc` (one per pair; the pairs share their first vector).
type DotRun<S> = fn(&[&[S]], &[&[S]], &[(usize, usize)], &mut [[f64; LANES]], Range);
/// One run of [`Axpys::run`] on the sources' values `r` (whole chunks of [`LANES`]): the
/// destinations `ys` (cut to `r`'s length) take the sources `js` with coefficients `cs`
/// (per source, one per destination), from zero with `zero` (else from the values they
/// hold).
type AxpyRun<S> = fn(&[&[S]], &[usize], &[[S; GROUP]], Range, &mut [&mut [MaybeUninit<S>]], bool);

type Range = std::ops::Range<usize>;

struct Kernels;
impl PerFloat for Kernels {
    type Of<E: Float> = (DotRun<E>, AxpyRun<E>);
}
/// The runs' kernels: in f32, AVX2 and FMA intrinsics where the CPU has them.
static KERNELS: ByFloat<Kernels> = ByFloat {
    single: (dot_run_f32, axpy_run_f32),
    double: (dot_run, axpy_run),
};

/// Values per block of the dot products: each pair sums a block in the element type
/// (64 products per lane in f32), then adds it in f64; a few dozen vectors' blocks fit
/// in L2 together.
pub(crate) const BLOCK: usize = 1024;

/// Values per block of the `y += a * x` sums (fewer, longer passes per destination).
const AXPY_BLOCK: usize = 1024;

/// Values per chunk of the `y += a * x` sums (kept in registers while the terms add up).
const LANES: usize = 8;

/// Values per piece of work of the `y += a * x` sums that may go to another thread (a
/// multiple of [`AXPY_BLOCK`]).
const AXPY_CHUNK: usize = 8192;

/// `dot(a[i], b[j])` in f64 for each pair `(i, j)` of `pairs` (all vectors of one
/// length): [`Dots`] over the values in blocks of [`BLOCK`] (the tests' way to call it).
#[cfg(test)]
pub(crate) fn dots<S: Float>(a: &[&[S]], b: &[&[S]], pairs: &[(usize, usize)]) -> Vec<f64> {
    let n = a.first().map_or(0, |v| v.len());
    let mut d = Dots::new(pairs);
    for i0 in (0..n).step_by(BLOCK) {
        let i1 = (i0 + BLOCK).min(n);
        let (x, y): (Vec<&[S]>, Vec<&[S]>) = (
            a.iter().map(|v| &v[i0..i1]).collect(),
            b.iter().map(|v| &v[i0..i1]).collect(),
        );
        d.add(&x, &y);
    }
    d.sums()
}

/// Dot products `dot(a[i], b[j])` in f64 for each pair `(i, j)`, added up block by
/// block ([`Dots::add`]: up to [`BLOCK`] values, all but the last a whole number of
/// chunks of [`LANES`]), so that the vectors' blocks may be made just before they are
/// read. Each pair sums in lanes of [`LANES`] values (the f32 kernel: two sets of
/// lanes, for alternate chunks), in the element type within a block and in f64 across
/// blocks, added in halves at the end, then the values past the last whole chunk.
/// Consecutive pairs with the same `a[i]` (up to [`GROUP`]) are summed together,
/// loading each chunk of `a[i]` once. The same blocks give the same bits on any thread.
pub(crate) struct Dots<'p> {
    pairs: &'p [(usize, usize)],
    /// Runs of consecutive pairs with the same first vector: (first pair, count).
    runs: Vec<(usize, usize)>,
    acc: Vec<[f64; LANES]>,
    tail: Vec<f64>,
}

impl<'p> Dots<'p> {
    pub(crate) fn new(pairs: &'p [(usize, usize)]) -> Self {
        let mut runs = vec![];
        let mut k = 0;
        while k < pairs.len() {
            let mut e = k + 1;
            while e < pairs.len() && e - k < GROUP && pairs[e].0 == pairs[k].0 {
                e += 1;
            }
            runs.push((k, e - k));
            k = e;
        }
        Dots {
            pairs,
            runs,
            acc: vec![[0.0; LANES]; pairs.len()],
            tail: vec![0.0; pairs.len()],
        }
    }

    /// Adds the products of a block of the vectors (`a` and `b` cut alike).
    #[inline(always)]
    pub(crate) fn add<S: Float>(&mut self, a: &[&[S]], b: &[&[S]]) {
        let n = a.first().map_or(0, |v| v.len());
        assert!(n <= BLOCK, "a block of the values");
        let body = n / LANES * LANES;
        let kernel = S::pick(&KERNELS).0;
        for &(k, g) in &self.runs {
            kernel(
                a,
                b,
                &self.pairs[k..k + g],
                &mut self.acc[k..k + g],
                0..body,
            );
        }
        if body < n {
            for (t, &(i, j)) in self.tail.iter_mut().zip(self.pairs) {
                let (x, y) = (&a[i][body..], &b[j][body..]);
                *t += x
                    .iter()
                    .zip(y)
                    .map(|(x, y)| x.as_f64() * y.as_f64())
                    .sum::<f64>();
            }
        }
    }

    /// The dot products.
    pub(crate) fn sums(self) -> Vec<f64> {
        self.acc
            .into_iter()
            .zip(self.tail)
            .map(|(s, t)| super::host::halving_sum(s) + t)
            .collect()
    }
}

/// [`DotRun`] in the element type's plain arithmetic (compiled for AVX2 too).
fn dot_run<S: Float>(
    a: &[&[S]],
    b: &[&[S]],
    pairs: &[(usize, usize)],
    acc: &mut [[f64; LANES]],
    r: Range,
) {
    avx2(
        #[inline(always)]
        || match pairs.len() {
            4 => dot_run_g::<4, S>(a, b, pairs, acc, r),
            3 => dot_run_g::<3, S>(a, b, pairs, acc, r),
            2 => dot_run_g::<2, S>(a, b, pairs, acc, r),
            _ => dot_run_g::<1, S>(a, b, pairs, acc, r),
        },
    )
}

#[inline(always)]
fn dot_run_g<const G: usize, S: Float>(
    a: &[&[S]],
    b: &[&[S]],
    pairs: &[(usize, usize)],
    acc: &mut [[f64; LANES]],
    r: Range,
) {
    let x = &a[pairs[0].0][r.clone()];
    let ys: [&[S]; G] = std::array::from_fn(|d| &b[pairs[d].1][r.clone()]);
    // the block's sums in the element type (a few products per lane), then added in f64
    let mut s = [[S::zero(); LANES]; G];
    for p in (0..r.len()).step_by(LANES) {
        let x: &[S; LANES] = x[p..p + LANES].try_into().expect("chunk");
        for d in 0..G {
            let y: &[S; LANES] = ys[d][p..p + LANES].try_into().expect("chunk");
            for l in 0..LANES {
                s[d][l] += x[l] * y[l];
            }
        }
    }
    for (a, s) in acc[..G].iter_mut().zip(s) {
        for (a, s) in a.iter_mut().zip(s) {
            *a += s.as_f64();
        }
    }
}

/// [`DotRun`] in f32: the intrinsics' where the CPU has AVX2 and FMA, else [`dot_run`].
fn dot_run_f32(
    a: &[&[f32]],
    b: &[&[f32]],
    pairs: &[(usize, usize)],
    acc: &mut [[f64; LANES]],
    r: Range,
) {
    #[cfg(target_arch = "x86_64")]
    if crate::ops::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above)
        return unsafe { fma::dot_run(a, b, pairs, acc, r) };
    }
    dot_run(a, b, pairs, acc, r)
}

/// [`AxpyRun`] in f32: the intrinsics' where the CPU has AVX2 and FMA, else [`axpy_run`].
fn axpy_run_f32(
    src: &[&[f32]],
    js: &[usize],
    cs: &[[f32; GROUP]],
    r: Range,
    ys: &mut [&mut [MaybeUninit<f32>]],
    zero: bool,
) {
    #[cfg(target_arch = "x86_64")]
    if crate::ops::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above)
        return unsafe { fma::axpy_run(src, js, cs, r, ys, zero) };
    }
    axpy_run(src, js, cs, r, ys, zero)
}

/// Destinations updated together when they take the same sources in the same order:
/// each source chunk is loaded once for all of them.
const GROUP: usize = 4;

/// Sums `y[k] += c * x[j]` for each `(c, j, k)` of a list of terms, over vectors of one
/// length, computed in their type: the destinations `0..held` hold values (added to),
/// those past them are fresh (they start from zero). A destination's terms with one
/// source are merged (their coefficients added in f64); its sources are then summed in
/// registers, chunk by chunk, in the sources' order, and stored once (the f32 kernel: by
/// fused multiply-adds where the CPU has them). Destinations with the same sources are
/// done together, up to [`GROUP`] at a time, which loads each source chunk once for all
/// of them.
///
/// The sums run block by block ([`AXPY_BLOCK`] values), and after each block the
/// caller's `then` takes its values while they are in cache: the fresh destinations
/// live only there, one block at a time. The values are shared out over threads in
/// pieces of [`AXPY_CHUNK`] values ([`Axpys::pieces`]), each whole on one thread (the same
/// bits on any number of threads).
pub(crate) struct Axpys<S> {
    n: usize,
    n_src: usize,
    held: usize,
    fresh: usize,
    /// Per destination: (coefficient, source), in the sources' order.
    by_dst: Vec<Vec<(S, usize)>>,
    runs: Vec<Run<S>>,
}

/// Consecutive destinations with the same sources, summed together.
struct Run<S> {
    /// The first destination, and how many.
    first: usize,
    count: usize,
    /// The sources, and per source the coefficients of the run's destinations.
    js: Vec<usize>,
    cs: Vec<[S; GROUP]>,
}

/// Raw pointers that may cross threads (the caller of [`Axpys::run`] vouches for them).
#[derive(Clone, Copy)]
pub(crate) struct Shared<P>(pub P);
// SAFETY: the pointers' users say, where they make them, who reads and writes what
unsafe impl<P> Send for Shared<P> {}
// SAFETY: as above
unsafe impl<P> Sync for Shared<P> {}

impl<S: Float> Axpys<S> {
    /// The sums of `terms` `(coefficient, source, destination)` over vectors of `n`
    /// values: `held` destinations holding values, then `fresh` new ones.
    pub(crate) fn new(
        n: usize,
        n_src: usize,
        held: usize,
        fresh: usize,
        terms: &[(f64, usize, usize)],
    ) -> Self {
        let n_dst = held + fresh;
        let mut coef: Vec<Vec<Option<f64>>> = vec![vec![None; n_src]; n_dst];
        for &(c, j, k) in terms {
            *coef[k][j].get_or_insert(0.0) += c;
        }
        let by_dst: Vec<Vec<(S, usize)>> = coef
            .iter()
            .map(|cs| {
                cs.iter()
                    .enumerate()
                    .filter_map(|(j, c)| c.map(|c| (S::of_f64(c), j)))
                    .collect()
            })
            .collect();
        let same = |a: &[(S, usize)], b: &[(S, usize)]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.1 == y.1)
        };
        let mut runs = vec![];
        let mut k = 0;
        while k < n_dst {
            let mut e = k + 1;
            while e < n_dst
                && e - k < GROUP
                && (e < held) == (k < held)
                && same(&by_dst[k], &by_dst[e])
            {
                e += 1;
            }
            if !by_dst[k].is_empty() {
                let js = by_dst[k].iter().map(|t| t.1).collect();
                let cs = (0..by_dst[k].len())
                    .map(|t| {
                        std::array::from_fn(|d| {
                            if d < e - k {
                                by_dst[k + d][t].0
                            } else {
                                S::zero()
                            }
                        })
                    })
                    .collect();
                runs.push(Run {
                    first: k,
                    count: e - k,
                    js,
                    cs,
                });
            }
            k = e;
        }
        Axpys {
            n,
            n_src,
            held,
            fresh,
            by_dst,
            runs,
        }
    }

    /// The pieces of the values to share out over threads, with each held
    /// destination's values in the piece: `held` cut alike.
    pub(crate) fn pieces<'a>(&self, held: Vec<&'a mut [S]>) -> Vec<(Range, Vec<&'a mut [S]>)> {
        assert!(
            held.len() == self.held && held.iter().all(|y| y.len() == self.n),
            "the held destinations, of the sums' length"
        );
        let mut pieces: Vec<(Range, Vec<&'a mut [S]>)> = (0..self.n)
            .step_by(AXPY_CHUNK)
            .map(|i0| (i0..(i0 + AXPY_CHUNK).min(self.n), vec![]))
            .collect();
        for y in held {
            for (c, piece) in y.chunks_mut(AXPY_CHUNK).enumerate() {
                pieces[c].1.push(piece);
            }
        }
        pieces
    }

    /// Runs the sums on the values `r` (a piece of [`Axpys::pieces`], `held` its held
    /// destinations' values) block by block, and after each block calls `then(block,
    /// held, fresh, made)`: the block's range, and its values of the held destinations
    /// (their sums added), of the fresh ones (their sums) and of the made vectors. The
    /// sources past those of `src` are made block by block, with `made` vectors in all
    /// (the first ones the sources, the others for `then`): `make(block, values)` writes
    /// the block's values of each.
    ///
    /// # Safety
    /// Each pointer of `src` points to the `n` values of a source, readable during the
    /// call; nothing writes them but `then`, and only in the block it is given (after
    /// the block's sums have read them).
    pub(crate) unsafe fn run(
        &self,
        src: &[*const S],
        held: &mut [&mut [S]],
        r: Range,
        made: usize,
        mut make: impl FnMut(Range, &mut [&mut [S]]),
        mut then: impl FnMut(Range, &[&[S]], &[&[S]], &[&[S]]),
    ) {
        let n_made = self.n_src - src.len();
        assert!(
            r.end <= self.n
                && src.len() <= self.n_src
                && made >= n_made
                && held.len() == self.held
                && held.iter().all(|y| y.len() == r.len()),
            "a piece of the values, the held destinations' values in it"
        );
        let kernel = S::pick(&KERNELS).1;
        let mut scratch = vec![S::zero(); self.fresh * AXPY_BLOCK];
        let mut made = vec![S::zero(); made * AXPY_BLOCK];
        for i0 in r.clone().step_by(AXPY_BLOCK) {
            let i1 = (i0 + AXPY_BLOCK).min(r.end);
            let (len, a) = (i1 - i0, i0 - r.start);
            let body = len / LANES * LANES;
            {
                let mut ms: Vec<&mut [S]> =
                    made.chunks_mut(AXPY_BLOCK).map(|v| &mut v[..len]).collect();
                make(i0..i1, &mut ms);
                // SAFETY: values i0..i1 < n of the sources, not written while these live
                let xs: Vec<&[S]> = src
                    .iter()
                    .map(|&p| std::slice::from_raw_parts(p.add(i0), len))
                    .chain(made.chunks(AXPY_BLOCK).take(n_made).map(|v| &v[..len]))
                    .collect();
                let mut ys: Vec<&mut [MaybeUninit<S>]> = held
                    .iter_mut()
                    .map(|y| uninit(&mut y[a..a + len]))
                    .chain(
                        scratch
                            .chunks_mut(AXPY_BLOCK)
                            .map(|y| uninit(&mut y[..len])),
                    )
                    .collect();
                for run in &self.runs {
                    let (k, g) = (run.first, run.count);
                    let mut ys: Vec<&mut [MaybeUninit<S>]> =
                        ys[k..k + g].iter_mut().map(|y| &mut y[..body]).collect();
                    kernel(&xs, &run.js, &run.cs, 0..body, &mut ys, k >= self.held);
                }
                for (k, (y, ts)) in ys.iter_mut().zip(&self.by_dst).enumerate() {
                    let fresh = k >= self.held;
                    if ts.is_empty() {
                        if fresh {
                            y.iter_mut().for_each(|v| {
                                v.write(S::zero());
                            });
                        }
                        continue;
                    }
                    for p in body..len {
                        // SAFETY: the held destinations hold values
                        let mut v = if fresh { S::zero() } else { y[p].assume_init() };
                        for &(c, j) in ts {
                            v += c * xs[j][p];
                        }
                        y[p].write(v);
                    }
                }
            }
            let hs: Vec<&[S]> = held.iter().map(|y| &y[a..a + len]).collect();
            let fs: Vec<&[S]> = scratch.chunks(AXPY_BLOCK).map(|y| &y[..len]).collect();
            let ms: Vec<&[S]> = made.chunks(AXPY_BLOCK).map(|y| &y[..len]).collect();
            then(i0..i1, &hs, &fs, &ms);
        }
    }
}

/// Values to be written, seen as memory to write (only values are written to it).
fn uninit<S>(y: &mut [S]) -> &mut [MaybeUninit<S>] {
    // SAFETY: the same memory and layout; the users write values only
    unsafe { &mut *(y as *mut [S] as *mut [MaybeUninit<S>]) }
}

/// [`AxpyRun`] in the element type's plain arithmetic (compiled for AVX2 too): the
/// terms of a destination added in the sources' order, chunk by chunk, in registers.
fn axpy_run<S: Float>(
    src: &[&[S]],
    js: &[usize],
    cs: &[[S; GROUP]],
    r: Range,
    ys: &mut [&mut [MaybeUninit<S>]],
    zero: bool,
) {
    avx2(
        #[inline(always)]
        || match ys.len() {
            4 => axpy_run_g::<4, S>(src, js, cs, r, ys, zero),
            3 => axpy_run_g::<3, S>(src, js, cs, r, ys, zero),
            2 => axpy_run_g::<2, S>(src, js, cs, r, ys, zero),
            _ => axpy_run_g::<1, S>(src, js, cs, r, ys, zero),
        },
    )
}

#[inline(always)]
fn axpy_run_g<const G: usize, S: Float>(
    src: &[&[S]],
    js: &[usize],
    cs: &[[S; GROUP]],
    r: Range,
    ys: &mut [&mut [MaybeUninit<S>]],
    zero: bool,
) {
    let ys: &mut [&mut [MaybeUninit<S>]; G] = ys.try_into().expect("a run of G destinations");
    for p in (0..r.len()).step_by(LANES) {
        let mut acc: [[S; LANES]; G] = if zero {
            [[S::zero(); LANES]; G]
        } else {
            std::array::from_fn(|d| {
                let y: &[MaybeUninit<S>; LANES] = ys[d][p..p + LANES].try_into().expect("chunk");
                // SAFETY: without `zero` the destinations hold values
                y.map(|v| unsafe { v.assume_init() })
            })
        };
        for (&j, c) in js.iter().zip(cs) {
            let q = r.start + p;
            let x: &[S; LANES] = src[j][q..q + LANES].try_into().expect("chunk");
            for d in 0..G {
                for l in 0..LANES {
                    acc[d][l] += c[d] * x[l];
                }
            }
        }
        for d in 0..G {
            for (y, v) in ys[d][p..p + LANES].iter_mut().zip(acc[d]) {
                y.write(v);
            }
        }
    }
}

/// The runs' kernels in AVX2 and FMA intrinsics (f32): two chunks of 8 values at a time
/// (their sums in separate registers, so that each addition does not wait on the one
/// before it), products added by fused multiply-adds.
#[cfg(target_arch = "x86_64")]
mod fma {
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    use super::{Range, GROUP, LANES};

    /// [`super::DotRun`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot_run(
        a: &[&[f32]],
        b: &[&[f32]],
        pairs: &[(usize, usize)],
        acc: &mut [[f64; LANES]],
        r: Range,
    ) {
        match pairs.len() {
            4 => dot_run_g::<4>(a, b, pairs, acc, r),
            3 => dot_run_g::<3>(a, b, pairs, acc, r),
            2 => dot_run_g::<2>(a, b, pairs, acc, r),
            _ => dot_run_g::<1>(a, b, pairs, acc, r),
        }
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn dot_run_g<const G: usize>(
        a: &[&[f32]],
        b: &[&[f32]],
        pairs: &[(usize, usize)],
        acc: &mut [[f64; LANES]],
        r: Range,
    ) {
        let n = r.len();
        let x = &a[pairs[0].0][r.clone()];
        let ys: [&[f32]; G] = std::array::from_fn(|d| &b[pairs[d].1][r.clone()]);
        assert!(
            n.is_multiple_of(LANES) && acc.len() >= G,
            "whole chunks, a sum per pair"
        );
        let (px, py) = (x.as_ptr(), ys.map(|y| y.as_ptr()));
        let mut s = [_mm256_setzero_ps(); G];
        let mut t = [_mm256_setzero_ps(); G];
        let mut p = 0;
        // SAFETY: every load reads values p..p + 16 (or p + 8) < n of slices of n values
        while p + 2 * LANES <= n {
            let (x0, x1) = (
                _mm256_loadu_ps(px.add(p)),
                _mm256_loadu_ps(px.add(p + LANES)),
            );
            for d in 0..G {
                s[d] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(py[d].add(p)), s[d]);
                t[d] = _mm256_fmadd_ps(x1, _mm256_loadu_ps(py[d].add(p + LANES)), t[d]);
            }
            p += 2 * LANES;
        }
        if p < n {
            let x0 = _mm256_loadu_ps(px.add(p));
            for d in 0..G {
                s[d] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(py[d].add(p)), s[d]);
            }
        }
        for d in 0..G {
            let mut v = [0.0f32; LANES];
            _mm256_storeu_ps(v.as_mut_ptr(), _mm256_add_ps(s[d], t[d]));
            for (a, v) in acc[d].iter_mut().zip(v) {
                *a += v as f64;
            }
        }
    }

    /// [`super::AxpyRun`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn axpy_run(
        src: &[&[f32]],
        js: &[usize],
        cs: &[[f32; GROUP]],
        r: Range,
        ys: &mut [&mut [MaybeUninit<f32>]],
        zero: bool,
    ) {
        match ys.len() {
            4 => axpy_run_g::<4>(src, js, cs, r, ys, zero),
            3 => axpy_run_g::<3>(src, js, cs, r, ys, zero),
            2 => axpy_run_g::<2>(src, js, cs, r, ys, zero),
            _ => axpy_run_g::<1>(src, js, cs, r, ys, zero),
        }
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn axpy_run_g<const G: usize>(
        src: &[&[f32]],
        js: &[usize],
        cs: &[[f32; GROUP]],
        r: Range,
        ys: &mut [&mut [MaybeUninit<f32>]],
        zero: bool,
    ) {
        let n = r.len();
        assert!(
            n.is_multiple_of(LANES)
                && ys.len() == G
                && ys.iter().all(|y| y.len() == n)
                && js.len() == cs.len()
                && js.iter().all(|&j| src[j].len() >= r.end),
            "whole chunks of the sources and destinations"
        );
        let py: [*mut f32; G] = std::array::from_fn(|d| ys[d].as_mut_ptr() as *mut f32);
        let px: Vec<*const f32> = js.iter().map(|&j| src[j].as_ptr().add(r.start)).collect();
        let start = |q: usize| -> [__m256; G] {
            // SAFETY: values q..q + 8 < n of the destinations, which hold values without
            // `zero`
            std::array::from_fn(|d| {
                if zero {
                    _mm256_setzero_ps()
                } else {
                    _mm256_loadu_ps(py[d].add(q))
                }
            })
        };
        let mut p = 0;
        // SAFETY: every access is to values p..p + 16 (or p + 8) < n of the sources from
        // r.start and of the destinations (asserted)
        while p + 2 * LANES <= n {
            let (mut a, mut b) = (start(p), start(p + LANES));
            for (x, c) in px.iter().zip(cs) {
                let (x0, x1) = (_mm256_loadu_ps(x.add(p)), _mm256_loadu_ps(x.add(p + LANES)));
                for d in 0..G {
                    let c = _mm256_set1_ps(c[d]);
                    a[d] = _mm256_fmadd_ps(c, x0, a[d]);
                    b[d] = _mm256_fmadd_ps(c, x1, b[d]);
                }
            }
            for d in 0..G {
                _mm256_storeu_ps(py[d].add(p), a[d]);
                _mm256_storeu_ps(py[d].add(p + LANES), b[d]);
            }
            p += 2 * LANES;
        }
        if p < n {
            let mut a = start(p);
            for (x, c) in px.iter().zip(cs) {
                let x0 = _mm256_loadu_ps(x.add(p));
                for d in 0..G {
                    a[d] = _mm256_fmadd_ps(_mm256_set1_ps(c[d]), x0, a[d]);
                }
            }
            for d in 0..G {
                _mm256_storeu_ps(py[d].add(p), a[d]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Axpys, Range, AXPY_CHUNK, LANES};
    use crate::tensor::Float;

    /// `(coefficient, source, destination)` of four sources into two destinations holding
    /// values, then four fresh ones (the last without terms): destinations 2 and 3 take
    /// the same sources (a group); destination 0 takes source 3 twice and its sources out
    /// of order.
    const TERMS: [(f64, usize, usize); 10] = [
        (0.5, 0, 0),
        (-1.25, 3, 0),
        (0.375, 1, 0),
        (0.625, 3, 0),
        (2.0, 1, 1),
        (0.75, 0, 2),
        (1.5, 2, 2),
        (-0.5, 0, 3),
        (0.25, 2, 3),
        (3.0, 3, 4),
    ];

    /// [`Axpys`] into destinations holding the values `held`, then `fresh` new ones,
    /// piece by piece: every destination's values after, the fresh ones as `then` saw
    /// them (NaN where it saw none). Checks that `then` saw the held destinations'
    /// final values.
    fn run_axpys<S: Float>(
        src: &[&[S]],
        held: &[Vec<S>],
        fresh: usize,
        terms: &[(f64, usize, usize)],
    ) -> Vec<Vec<S>> {
        let n = src[0].len();
        let mut held = held.to_vec();
        let ax = Axpys::new(n, src.len(), held.len(), fresh, terms);
        let ptrs: Vec<*const S> = src.iter().map(|s| s.as_ptr()).collect();
        let nan = S::of_f64(f64::NAN);
        let mut out = vec![vec![nan; n]; fresh];
        let mut seen = vec![vec![nan; n]; held.len()];
        for (r, mut hs) in ax.pieces(held.iter_mut().map(|d| &mut d[..]).collect()) {
            let save = |to: &mut [Vec<S>], b: &Range, from: &[&[S]]| {
                for (o, f) in to.iter_mut().zip(from) {
                    o[b.clone()].copy_from_slice(f);
                }
            };
            // SAFETY: the sources are only read
            unsafe {
                ax.run(
                    &ptrs,
                    &mut hs,
                    r,
                    0,
                    |_, _| {},
                    |b, hb, fb, _| {
                        save(&mut seen, &b, hb);
                        save(&mut out, &b, fb);
                    },
                )
            };
        }
        for (s, h) in seen.iter().zip(&held) {
            assert!(
                s.iter()
                    .zip(h)
                    .all(|(a, b)| a.as_f64().to_bits() == b.as_f64().to_bits()),
                "then saw the held values"
            );
        }
        held.into_iter().chain(out).collect()
    }

    /// The sums, chunked, grouped and shared out, give the bits of plain sums (a
    /// destination's coefficients merged by source, the sources in order), on values
    /// past the last whole chunk too; every value of the fresh destinations is written
    /// (those without terms: zero).
    #[test]
    fn axpys_match_plain_sums() {
        let n = 2 * AXPY_CHUNK + 3 * LANES + 5;
        let v = |k: usize| -> Vec<f64> {
            (0..n)
                .map(|i| ((i * 7919 + k * 104729) % 1009) as f64 / 97.0 - 5.0)
                .collect()
        };
        let src: Vec<Vec<f64>> = (0..4).map(v).collect();
        let srcs: Vec<&[f64]> = src.iter().map(|s| &s[..]).collect();
        let terms = TERMS;
        let held: Vec<Vec<f64>> = (10..12).map(v).collect();
        let got = run_axpys(&srcs, &held, 4, &terms);
        for k in 0..6 {
            let mut want = if k < 2 { held[k].clone() } else { vec![0.0; n] };
            for (j, s) in src.iter().enumerate() {
                let mine = terms.iter().filter(|t| t.2 == k && t.1 == j);
                let Some(c) = mine.map(|t| t.0).reduce(|a, b| a + b) else {
                    continue;
                };
                for (w, x) in want.iter_mut().zip(s) {
                    *w += c * x;
                }
            }
            assert!(
                got[k]
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "destination {k}"
            );
        }
    }

    /// The f32 kernels (intrinsics where the CPU has AVX2 and FMA) against the same sums
    /// in f64, on lengths with partial blocks and chunks: the dot products, and the
    /// `y += a * x` sums into held and fresh destinations.
    #[test]
    fn f32_kernels_match_f64_sums() {
        use super::dots;
        for n in [
            5,
            3 * LANES + 3,
            super::BLOCK + 2 * LANES + 1,
            AXPY_CHUNK + 17,
        ] {
            let v = |k: usize| -> Vec<f64> {
                (0..n)
                    .map(|i| (((i * 7919 + k * 104729) % 1009) as f64 / 97.0 - 5.0) / 8.0)
                    .collect()
            };
            let src: Vec<Vec<f64>> = (0..6).map(v).collect();
            let src32: Vec<Vec<f32>> = src
                .iter()
                .map(|s| s.iter().map(|&x| x as f32).collect())
                .collect();
            // the f32 values, exactly, in f64
            let src: Vec<Vec<f64>> = src32
                .iter()
                .map(|s| s.iter().map(|&x| x as f64).collect())
                .collect();
            let r64: Vec<&[f64]> = src.iter().map(|s| &s[..]).collect();
            let r32: Vec<&[f32]> = src32.iter().map(|s| &s[..]).collect();
            let pairs = [
                (0, 1),
                (0, 2),
                (0, 3),
                (0, 4),
                (0, 5),
                (1, 1),
                (2, 5),
                (2, 4),
            ];
            let (d32, d64) = (dots(&r32, &r32, &pairs), dots(&r64, &r64, &pairs));
            for (a, b) in d32.iter().zip(&d64) {
                assert!(
                    (a - b).abs() <= 1e-6 * n as f64,
                    "n {n}: dot {a} against {b}"
                );
            }
            let want = run_axpys(&r64[..4], &src[4..], 4, &TERMS);
            let got = run_axpys(&r32[..4], &src32[4..], 4, &TERMS);
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                for (a, b) in g.iter().zip(w) {
                    assert!(
                        (*a as f64 - b).abs() <= 1e-5,
                        "n {n}: destination {k}: {a} against {b}"
                    );
                }
            }
        }
    }
}
