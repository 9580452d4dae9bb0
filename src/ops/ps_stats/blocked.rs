//! Many dot products and many `y += a * x` over the same few long vectors, done block by
//! block so each block of every vector is read from cache rather than memory once per pair.

/// Values per block of the dot products: a few dozen vectors' blocks fit in L1 together.
const BLOCK: usize = 128;

/// Values per block of the `y += a * x` sums (fewer, longer passes per destination).
const AXPY_BLOCK: usize = 512;

/// Values per chunk of the `y += a * x` sums (kept in registers while the terms add up).
const LANES: usize = 8;

/// `dot(a[i], b[j])` for each pair `(i, j)` of `pairs` (all vectors of one length).
#[inline(always)]
pub(crate) fn dots(a: &[&[f64]], b: &[&[f64]], pairs: &[(usize, usize)]) -> Vec<f64> {
    let n = a.first().map_or(0, |v| v.len());
    let mut out = vec![0.0; pairs.len()];
    for i0 in (0..n).step_by(BLOCK) {
        let i1 = (i0 + BLOCK).min(n);
        for (o, &(i, j)) in out.iter_mut().zip(pairs) {
            *o += super::host::dot(&a[i][i0..i1], &b[j][i0..i1]);
        }
    }
    out
}

/// Destinations updated together when they take the same sources in the same order:
/// each source chunk is loaded once for all of them.
const GROUP: usize = 4;

/// `dst[k] += c * src[j]` for each `(c, j, k)` of `terms` (all vectors of one length).
/// The terms of one destination are summed in registers, chunk by chunk, in their order
/// in `terms`, and stored once; destinations with the same list of sources are done
/// together, up to [`GROUP`] at a time (the same additions in the same order: the same
/// bits).
#[inline(always)]
pub(crate) fn axpys(src: &[&[f64]], dst: &mut [&mut [f64]], terms: &[(f64, usize, usize)]) {
    let n = src.first().map_or(0, |v| v.len());
    // the terms of each destination, in their order in `terms`
    let mut by_dst: Vec<Vec<(f64, usize)>> = vec![Vec::new(); dst.len()];
    for &(c, j, k) in terms {
        by_dst[k].push((c, j));
    }
    let same = |a: &[(f64, usize)], b: &[(f64, usize)]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.1 == y.1)
    };
    // runs of consecutive destinations with the same sources: (first, count)
    let mut runs = vec![];
    let mut k = 0;
    while k < dst.len() {
        let mut e = k + 1;
        while e < dst.len() && e - k < GROUP && same(&by_dst[k], &by_dst[e]) {
            e += 1;
        }
        if !by_dst[k].is_empty() {
            runs.push((k, e - k));
        }
        k = e;
    }
    // per run: the sources, and per source the coefficients of the run's destinations
    let plans: Vec<(Vec<usize>, Vec<[f64; GROUP]>)> = runs
        .iter()
        .map(|&(k, g)| {
            let js = by_dst[k].iter().map(|t| t.1).collect();
            let cs = (0..by_dst[k].len())
                .map(|t| std::array::from_fn(|d| if d < g { by_dst[k + d][t].0 } else { 0.0 }))
                .collect();
            (js, cs)
        })
        .collect();
    let body = n / LANES * LANES;
    for i0 in (0..body).step_by(AXPY_BLOCK) {
        let i1 = (i0 + AXPY_BLOCK).min(body);
        for (&(k, g), (js, cs)) in runs.iter().zip(&plans) {
            let ys = &mut dst[k..k + g];
            match g {
                4 => run::<4>(src, ys, js, cs, i0, i1),
                3 => run::<3>(src, ys, js, cs, i0, i1),
                2 => run::<2>(src, ys, js, cs, i0, i1),
                _ => run::<1>(src, ys, js, cs, i0, i1),
            }
        }
    }
    for (y, ts) in dst.iter_mut().zip(&by_dst) {
        for &(c, j) in ts {
            for p in body..n {
                y[p] += c * src[j][p];
            }
        }
    }
}

/// The sums of [`axpys`] on values `i0..i1` (whole chunks) for `G` destinations `ys`
/// taking sources `js` with coefficients `cs` (per source, one per destination).
#[inline(always)]
fn run<const G: usize>(
    src: &[&[f64]],
    ys: &mut [&mut [f64]],
    js: &[usize],
    cs: &[[f64; GROUP]],
    i0: usize,
    i1: usize,
) {
    let ys: &mut [&mut [f64]; G] = ys.try_into().expect("a run of G destinations");
    let ys: [&mut [f64]; G] = ys.each_mut().map(|y| &mut y[i0..i1]);
    let xs: Vec<&[f64]> = js.iter().map(|&j| &src[j][i0..i1]).collect();
    for p in (0..i1 - i0).step_by(LANES) {
        let mut acc: [[f64; LANES]; G] =
            std::array::from_fn(|d| ys[d][p..p + LANES].try_into().expect("chunk"));
        for (x, c) in xs.iter().zip(cs) {
            let x: &[f64; LANES] = x[p..p + LANES].try_into().expect("chunk");
            for d in 0..G {
                for l in 0..LANES {
                    acc[d][l] += c[d] * x[l];
                }
            }
        }
        for d in 0..G {
            ys[d][p..p + LANES].copy_from_slice(&acc[d]);
        }
    }
}
