//! Many dot products and many `y += a * x` over the same few long vectors, done block by
//! block so each block of every vector is read from cache rather than memory once per pair.

use std::mem::MaybeUninit;

use crate::ops::par;
use crate::tensor::Float;

/// Values per block of the dot products: a few dozen vectors' blocks fit in L1 together.
const BLOCK: usize = 128;

/// Values per block of the `y += a * x` sums (fewer, longer passes per destination).
const AXPY_BLOCK: usize = 512;

/// Values per chunk of the `y += a * x` sums (kept in registers while the terms add up).
const LANES: usize = 8;

/// Values per piece of work of the `y += a * x` sums that may go to another thread (a
/// multiple of [`AXPY_BLOCK`]).
const AXPY_CHUNK: usize = 16 * AXPY_BLOCK;

/// `dot(a[i], b[j])` in f64 for each pair `(i, j)` of `pairs` (all vectors of one
/// length).
/// Each pair sums in [`LANES`] partial sums (lane `l` takes the values at `p = l mod
/// LANES` in order), added in halves at the end, then the values past the last whole
/// chunk. Consecutive pairs with the same `a[i]` (up to [`GROUP`]) are summed together,
/// loading each chunk of `a[i]` once.
#[inline(always)]
pub(crate) fn dots<S: Float>(a: &[&[S]], b: &[&[S]], pairs: &[(usize, usize)]) -> Vec<f64> {
    let n = a.first().map_or(0, |v| v.len());
    // runs of consecutive pairs with the same first vector: (first pair, count)
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
    let mut acc = vec![[0.0; LANES]; pairs.len()];
    let body = n / LANES * LANES;
    for i0 in (0..body).step_by(BLOCK) {
        let i1 = (i0 + BLOCK).min(body);
        for &(k, g) in &runs {
            let (pr, ac) = (&pairs[k..k + g], &mut acc[k..k + g]);
            match g {
                4 => dot_run::<4, S>(a, b, pr, ac, i0, i1),
                3 => dot_run::<3, S>(a, b, pr, ac, i0, i1),
                2 => dot_run::<2, S>(a, b, pr, ac, i0, i1),
                _ => dot_run::<1, S>(a, b, pr, ac, i0, i1),
            }
        }
    }
    acc.into_iter()
        .zip(pairs)
        .map(|(s, &(i, j))| {
            let tail: f64 = a[i][body..]
                .iter()
                .zip(&b[j][body..])
                .map(|(x, y)| x.as_f64() * y.as_f64())
                .sum();
            super::host::halving_sum(s) + tail
        })
        .collect()
}

/// The partial sums of [`dots`] on values `i0..i1` (whole chunks) for `G` pairs with the
/// same first vector.
#[inline(always)]
fn dot_run<const G: usize, S: Float>(
    a: &[&[S]],
    b: &[&[S]],
    pairs: &[(usize, usize)],
    acc: &mut [[f64; LANES]],
    i0: usize,
    i1: usize,
) {
    let x = &a[pairs[0].0][i0..i1];
    let ys: [&[S]; G] = std::array::from_fn(|d| &b[pairs[d].1][i0..i1]);
    let mut s: [[f64; LANES]; G] = std::array::from_fn(|d| acc[d]);
    for p in (0..i1 - i0).step_by(LANES) {
        let x: &[S; LANES] = x[p..p + LANES].try_into().expect("chunk");
        for d in 0..G {
            let y: &[S; LANES] = ys[d][p..p + LANES].try_into().expect("chunk");
            for l in 0..LANES {
                s[d][l] += x[l].as_f64() * y[l].as_f64();
            }
        }
    }
    acc[..G].copy_from_slice(&s);
}

/// Destinations updated together when they take the same sources in the same order:
/// each source chunk is loaded once for all of them.
const GROUP: usize = 4;

/// `dst[k] += c * src[j]` for each `(c, j, k)` of `terms` (all vectors of one length,
/// computed in their type), where the destinations past `dst` are `fresh`'s: memory not
/// yet holding values, which start from zero (every value is written), and are returned
/// as values. The terms of one destination are summed in registers, chunk by chunk, in
/// their order in `terms`, and stored once; destinations with the same list of sources
/// are done together, up to [`GROUP`] at a time (the same additions in the same order:
/// the same bits). Chunks of [`AXPY_CHUNK`] values are shared out over threads
/// ([`par::map`]), each whole on one thread.
pub(crate) fn axpys<'f, S: Float>(
    src: &[&[S]],
    dst: &mut [&mut [S]],
    mut fresh: Vec<&'f mut [MaybeUninit<S>]>,
    terms: &[(f64, usize, usize)],
) -> Vec<&'f mut [S]> {
    let n = src.first().map_or(0, |v| v.len());
    let first_fresh = dst.len();
    // every destination as memory to write (the first ones hold values, read before
    // they are written)
    let mut dst: Vec<&mut [MaybeUninit<S>]> = dst
        .iter_mut()
        // SAFETY: the same memory, seen as memory to write: only values are written to it
        .map(|y| unsafe { &mut *(&mut **y as *mut [S] as *mut [MaybeUninit<S>]) })
        .chain(fresh.iter_mut().map(|y| &mut **y))
        .collect();
    assert!(dst.iter().all(|y| y.len() == n), "vectors of one length");
    // the terms of each destination, in their order in `terms`
    let mut by_dst: Vec<Vec<(S, usize)>> = vec![Vec::new(); dst.len()];
    for &(c, j, k) in terms {
        by_dst[k].push((S::of_f64(c), j));
    }
    let same = |a: &[(S, usize)], b: &[(S, usize)]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.1 == y.1)
    };
    // runs of consecutive destinations with the same sources (and the same start):
    // (first, count)
    let mut runs = vec![];
    let mut k = 0;
    while k < dst.len() {
        let mut e = k + 1;
        while e < dst.len()
            && e - k < GROUP
            && (e < first_fresh) == (k < first_fresh)
            && same(&by_dst[k], &by_dst[e])
        {
            e += 1;
        }
        if !by_dst[k].is_empty() {
            runs.push((k, e - k));
        } else if k >= first_fresh {
            dst[k..e]
                .iter_mut()
                .flat_map(|y| y.iter_mut())
                .for_each(|v| {
                    v.write(S::zero());
                });
        }
        k = e;
    }
    // per run: the sources, and per source the coefficients of the run's destinations
    let plans: Vec<(Vec<usize>, Vec<[S; GROUP]>)> = runs
        .iter()
        .map(|&(k, g)| {
            let js = by_dst[k].iter().map(|t| t.1).collect();
            let cs = (0..by_dst[k].len())
                .map(|t| {
                    std::array::from_fn(|d| if d < g { by_dst[k + d][t].0 } else { S::zero() })
                })
                .collect();
            (js, cs)
        })
        .collect();
    let body = n / LANES * LANES;
    // whole chunks of the values, each destination cut alike: the chunks are independent
    // (every value's sum is the same whichever chunk it is in), shared out over threads
    let width = src.len() + dst.len();
    let mut chunks: Vec<(usize, Vec<&mut [MaybeUninit<S>]>)> = (0..body)
        .step_by(AXPY_CHUNK)
        .map(|i0| (i0, Vec::with_capacity(dst.len())))
        .collect();
    for y in dst.iter_mut() {
        for (c, piece) in y[..body].chunks_mut(AXPY_CHUNK).enumerate() {
            chunks[c].1.push(piece);
        }
    }
    par::map(
        chunks,
        |(_, ys)| width * ys.first().map_or(0, |y| y.len()),
        |(c0, mut ys)| {
            crate::ops::simd::avx2(
                #[inline(always)]
                || {
                    let len = ys.first().map_or(0, |y| y.len());
                    for i0 in (0..len).step_by(AXPY_BLOCK) {
                        let i1 = (i0 + AXPY_BLOCK).min(len);
                        for (&(k, g), (js, cs)) in runs.iter().zip(&plans) {
                            let ys = &mut ys[k..k + g];
                            let zero = k >= first_fresh;
                            let r = (c0 + i0)..(c0 + i1);
                            match g {
                                4 => run::<4, S>(src, ys, js, cs, r, i0, zero),
                                3 => run::<3, S>(src, ys, js, cs, r, i0, zero),
                                2 => run::<2, S>(src, ys, js, cs, r, i0, zero),
                                _ => run::<1, S>(src, ys, js, cs, r, i0, zero),
                            }
                        }
                    }
                },
            )
        },
    );
    for (k, (y, ts)) in dst.iter_mut().zip(&by_dst).enumerate() {
        if ts.is_empty() {
            continue;
        }
        for p in body..n {
            let mut v = if k >= first_fresh {
                S::zero()
            } else {
                // SAFETY: the destinations before the fresh ones hold values
                unsafe { y[p].assume_init() }
            };
            for &(c, j) in ts {
                v += c * src[j][p];
            }
            y[p].write(v);
        }
    }
    drop(dst);
    fresh
        .into_iter()
        // SAFETY: every value of the fresh destinations was written above (the runs'
        // chunks and the values past them, or zeros for those without terms)
        .map(|y| unsafe { &mut *(y as *mut [MaybeUninit<S>] as *mut [S]) })
        .collect()
}

/// The sums of [`axpys`] on the sources' values `r` (whole chunks of [`LANES`]) for `G`
/// destinations `ys` (pieces whose value `y0` is the sources' `r.start`) taking sources
/// `js` with coefficients `cs` (per source, one per destination), from zero with `zero`
/// (else from the values the destinations hold).
#[inline(always)]
fn run<const G: usize, S: Float>(
    src: &[&[S]],
    ys: &mut [&mut [MaybeUninit<S>]],
    js: &[usize],
    cs: &[[S; GROUP]],
    r: std::ops::Range<usize>,
    y0: usize,
    zero: bool,
) {
    let ys: &mut [&mut [MaybeUninit<S>]; G] = ys.try_into().expect("a run of G destinations");
    let ys: [&mut [MaybeUninit<S>]; G] = ys.each_mut().map(|y| &mut y[y0..y0 + r.len()]);
    let xs: Vec<&[S]> = js.iter().map(|&j| &src[j][r.clone()]).collect();
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
        for (x, c) in xs.iter().zip(cs) {
            let x: &[S; LANES] = x[p..p + LANES].try_into().expect("chunk");
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

#[cfg(test)]
mod tests {
    use std::mem::MaybeUninit;

    use super::{axpys, AXPY_CHUNK, LANES};

    /// The sums, chunked, grouped and shared out, give the bits of plain sums in the
    /// terms' order, on values past the last whole chunk too; every value of the fresh
    /// destinations is written (those without terms: zero).
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
        // two destinations holding values, then four fresh ones (the last without terms);
        // destinations 2 and 3 take the same sources (a group)
        let terms = [
            (0.5, 0, 0),
            (-1.25, 3, 0),
            (2.0, 1, 1),
            (0.75, 0, 2),
            (1.5, 2, 2),
            (-0.5, 0, 3),
            (0.25, 2, 3),
            (3.0, 3, 4),
        ];
        let held: Vec<Vec<f64>> = (10..12).map(v).collect();
        let mut dst = held.clone();
        // (NaN where a fresh value would be left unwritten)
        let mut fresh: Vec<Vec<MaybeUninit<f64>>> = (0..4)
            .map(|_| vec![MaybeUninit::new(f64::NAN); n])
            .collect();
        let mut dsts: Vec<&mut [f64]> = dst.iter_mut().map(|d| &mut d[..]).collect();
        let got: Vec<Vec<f64>> = axpys(
            &srcs,
            &mut dsts,
            fresh.iter_mut().map(|f| &mut f[..]).collect(),
            &terms,
        )
        .into_iter()
        .map(|w| w.to_vec())
        .collect();
        for k in 0..6 {
            let mut want = if k < 2 { held[k].clone() } else { vec![0.0; n] };
            for &(c, j, _) in terms.iter().filter(|t| t.2 == k) {
                for (w, x) in want.iter_mut().zip(&src[j]) {
                    *w += c * x;
                }
            }
            let out = if k < 2 { &dst[k] } else { &got[k - 2] };
            assert!(
                out.iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "destination {k}"
            );
        }
    }
}
