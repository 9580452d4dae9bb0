//! Many dot products and many `y += a * x` over the same few long vectors, done block by
//! block so each block of every vector is read from cache rather than memory once per pair.

/// Values per block: a few dozen vectors' blocks fit in L2 together.
const BLOCK: usize = 1024;

/// `dot(a[i], b[j])` for each pair `(i, j)` of `pairs` (all vectors of one length).
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
pub(crate) fn axpys(src: &[&[f64]], dst: &mut [&mut [f64]], terms: &[(f64, usize, usize)]) {
    let n = src.first().map_or(0, |v| v.len());
    for i0 in (0..n).step_by(BLOCK) {
        let i1 = (i0 + BLOCK).min(n);
        for &(c, j, k) in terms {
            let (x, y) = (&src[j][i0..i1], &mut dst[k][i0..i1]);
            y.iter_mut().zip(x).for_each(|(y, x)| *y += c * x);
        }
    }
}
