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

/// `dst[k] += c * src[j]` for each `(c, j, k)` of `terms` (all vectors of one length).
/// The terms of one destination are summed in registers, chunk by chunk, and stored once.
#[inline(always)]
pub(crate) fn axpys(src: &[&[f64]], dst: &mut [&mut [f64]], terms: &[(f64, usize, usize)]) {
    let n = src.first().map_or(0, |v| v.len());
    // the terms of each destination, in their order in `terms`
    let mut by_dst: Vec<Vec<(f64, usize)>> = vec![Vec::new(); dst.len()];
    for &(c, j, k) in terms {
        by_dst[k].push((c, j));
    }
    let body = n / LANES * LANES;
    for i0 in (0..body).step_by(AXPY_BLOCK) {
        let i1 = (i0 + AXPY_BLOCK).min(body);
        for (y, ts) in dst.iter_mut().zip(&by_dst) {
            if ts.is_empty() {
                continue;
            }
            for p in (i0..i1).step_by(LANES) {
                let yc: &mut [f64; LANES] = (&mut y[p..p + LANES]).try_into().expect("chunk");
                let mut acc = *yc;
                for &(c, j) in ts {
                    let x: &[f64; LANES] = src[j][p..p + LANES].try_into().expect("chunk");
                    for l in 0..LANES {
                        acc[l] += c * x[l];
                    }
                }
                *yc = acc;
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
