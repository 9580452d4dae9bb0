//! Dense linear algebra for eigendistortions, on flat f64 buffers: vector helpers, a
//! symmetric eigensolver (Householder tridiagonalisation and implicit QL, the EISPACK
//! `tred2`/`tql2` pair rewritten so every inner loop runs over contiguous memory), and
//! Gram-Schmidt orthonormalisation.

use rand::Rng;

use crate::tools::seed::with_rng;

/// Dot product (four partial sums, for speed and a little accuracy).
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        s[0] += x[0] * y[0];
        s[1] += x[1] * y[1];
        s[2] += x[2] * y[2];
        s[3] += x[3] * y[3];
    }
    let mut t = (s[0] + s[1]) + (s[2] + s[3]);
    for (x, y) in ra.iter().zip(rb) {
        t += x * y;
    }
    t
}

/// `y += a x`.
pub(crate) fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Euclidean norm.
pub(crate) fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Scales `a` to unit norm and returns its former norm (0 leaves it unchanged).
pub(crate) fn normalize(a: &mut [f64]) -> f64 {
    let n = norm(a);
    if n > 0.0 {
        let inv = 1.0 / n;
        a.iter_mut().for_each(|v| *v *= inv);
    }
    n
}

/// Standard normal samples from the crate's seeded generator (Box-Muller).
pub(crate) fn randn(n: usize) -> Vec<f64> {
    with_rng(|r| {
        let mut out = Vec::with_capacity(n + 1);
        while out.len() < n {
            let u1: f64 = 1.0 - r.gen::<f64>(); // (0, 1]
            let u2: f64 = r.gen::<f64>();
            let rad = (-2.0 * u1.ln()).sqrt();
            let th = 2.0 * std::f64::consts::PI * u2;
            out.push(rad * th.cos());
            out.push(rad * th.sin());
        }
        out.truncate(n);
        out
    })
}

/// Orthonormalises `vs` in place by modified Gram-Schmidt, applied twice (the Q of a
/// reduced QR decomposition, with R's diagonal positive). A vector that is (numerically)
/// in the span of the previous ones is replaced by a random vector orthogonal to them.
pub(crate) fn orthonormalize(vs: &mut [Vec<f64>]) {
    for i in 0..vs.len() {
        let (done, rest) = vs.split_at_mut(i);
        let v = &mut rest[0];
        let n0 = norm(v);
        for _ in 0..2 {
            for u in done.iter() {
                let c = dot(u, v);
                axpy(v, -c, u);
            }
        }
        if normalize(v) <= 1e-14 * n0.max(f64::MIN_POSITIVE) {
            let mut r = randn(v.len());
            for _ in 0..2 {
                for u in done.iter() {
                    let c = dot(u, &r);
                    axpy(&mut r, -c, u);
                }
            }
            normalize(&mut r);
            *v = r;
        }
    }
}

/// Eigen-decomposition of the symmetric `n x n` matrix `a` (row-major; only its values,
/// not its symmetry, are trusted: the lower triangle is used). Returns the eigenvalues in
/// ascending order and the eigenvectors as the rows of an `n x n` row-major buffer (row
/// `i` belongs to eigenvalue `i`).
pub(crate) fn sym_eig(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(a.len(), n * n, "matrix size");
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    // Symmetrise from the lower triangle.
    for i in 0..n {
        for j in 0..i {
            a[j * n + i] = a[i * n + j];
        }
    }
    let (d, e, mut q) = tridiagonalize(a, n);
    tql(d, e, &mut q, n)
}

/// Householder reduction of symmetric `a` to tridiagonal form `Q^T a Q = T`. Returns the
/// diagonal, the off-diagonal (`e[i]` couples `i-1` and `i`, `e[0] = 0`) and `Q^T`
/// (row-major).
fn tridiagonalize(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n];
    let mut reflectors: Vec<(usize, f64, Vec<f64>)> = Vec::new();
    let mut p = vec![0.0; n];
    for k in 0..n.saturating_sub(2) {
        // x = a[k+1.., k] (= row k's tail by symmetry)
        let m = n - k - 1;
        let x: Vec<f64> = a[k * n + k + 1..(k + 1) * n].to_vec();
        let alpha = norm(&x);
        d[k] = a[k * n + k];
        if alpha == 0.0 {
            e[k + 1] = 0.0;
            continue;
        }
        // v = x - beta e1 with beta = -sign(x0) alpha; H = I - tau v v^T
        let beta = if x[0] > 0.0 { -alpha } else { alpha };
        let mut v = x;
        v[0] -= beta;
        // v[0] has the sign of x[0] and |v[0]| >= alpha > 0, so v is not zero.
        let vnorm2 = dot(&v, &v);
        let tau = 2.0 / vnorm2;
        e[k + 1] = beta;
        // p = tau A' v, with A' = a[k+1.., k+1..]
        let off = k + 1;
        for i in 0..m {
            let row = &a[(off + i) * n + off..(off + i + 1) * n];
            p[i] = tau * dot(row, &v);
        }
        // w = p - (tau/2)(p.v) v
        let kk = 0.5 * tau * dot(&p[..m], &v);
        let w: Vec<f64> = p[..m].iter().zip(&v).map(|(pi, vi)| pi - kk * vi).collect();
        // A' -= v w^T + w v^T
        for i in 0..m {
            let (vi, wi) = (v[i], w[i]);
            let row = &mut a[(off + i) * n + off..(off + i + 1) * n];
            for ((r, wj), vj) in row.iter_mut().zip(&w).zip(&v) {
                *r -= vi * wj + wi * vj;
            }
        }
        reflectors.push((off, tau, v));
    }
    if n >= 2 {
        d[n - 2] = a[(n - 2) * n + n - 2];
        e[n - 1] = a[(n - 1) * n + n - 2];
    }
    d[n - 1] = a[(n - 1) * n + n - 1];
    // Q = H_0 H_1 ... so Q^T = ... H_1 H_0: accumulate Q^T <- H_k Q^T for k = 0, 1, ...
    // (each H_k acts on rows off.. only).
    let mut qt = vec![0.0; n * n];
    for i in 0..n {
        qt[i * n + i] = 1.0;
    }
    let mut z = vec![0.0; n];
    for (off, tau, v) in &reflectors {
        // rows off.. of qt: R <- R - tau v (v^T R)
        z.iter_mut().for_each(|x| *x = 0.0);
        for (i, vi) in v.iter().enumerate() {
            axpy(&mut z, *vi, &qt[(off + i) * n..(off + i + 1) * n]);
        }
        for (i, vi) in v.iter().enumerate() {
            axpy(&mut qt[(off + i) * n..(off + i + 1) * n], -tau * vi, &z);
        }
    }
    (d, e, qt)
}

/// Implicit QL on the tridiagonal (`d`, `e` with `e[i]` coupling `i-1` and `i`), applying
/// the rotations to the rows of `w` (`w = Q^T`, so that its rows become eigenvectors).
/// Returns ascending eigenvalues and the reordered rows.
fn tql(d: Vec<f64>, e: Vec<f64>, w: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    tql_cols(d, e, w, n, n)
}

/// [`tql`] with `w` of `n` rows of `cols` values each.
fn tql_cols(
    mut d: Vec<f64>,
    mut e: Vec<f64>,
    w: &mut [f64],
    n: usize,
    cols: usize,
) -> (Vec<f64>, Vec<f64>) {
    if n == 0 {
        return (d, Vec::new());
    }
    for i in 1..n {
        e[i - 1] = e[i];
    }
    e[n - 1] = 0.0;
    let mut f = 0.0f64;
    let mut tst1 = 0.0f64;
    let eps = f64::EPSILON;
    for l in 0..n {
        tst1 = tst1.max(d[l].abs() + e[l].abs());
        let mut m = l;
        while m < n {
            if e[m].abs() <= eps * tst1 {
                break;
            }
            m += 1;
        }
        let m = m.min(n - 1);
        if m > l {
            let mut iter = 0;
            loop {
                iter += 1;
                let g = d[l];
                let mut p = (d[l + 1] - g) / (2.0 * e[l]);
                let mut r = p.hypot(1.0);
                if p < 0.0 {
                    r = -r;
                }
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                let dl1 = d[l + 1];
                let mut h = g - d[l];
                for di in d.iter_mut().skip(l + 2) {
                    *di -= h;
                }
                f += h;
                p = d[m];
                let mut c = 1.0f64;
                let mut c2 = c;
                let mut c3 = c;
                let el1 = e[l + 1];
                let mut s = 0.0f64;
                let mut s2 = 0.0f64;
                for i in (l..m).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    let g = c * e[i];
                    h = c * p;
                    r = p.hypot(e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    // rotate rows i and i+1 of w
                    let (lo, hi) = w.split_at_mut((i + 1) * cols);
                    let ri = &mut lo[i * cols..];
                    let ri1 = &mut hi[..cols];
                    for (a, b) in ri.iter_mut().zip(ri1.iter_mut()) {
                        let hb = *b;
                        *b = s * *a + c * hb;
                        *a = c * *a - s * hb;
                    }
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
                if e[l].abs() <= eps * tst1 || iter > 60 {
                    break;
                }
            }
        }
        d[l] += f;
        e[l] = 0.0;
    }
    // sort ascending
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|a, b| d[*a].total_cmp(&d[*b]));
    let vals = idx.iter().map(|i| d[*i]).collect();
    let mut vecs = vec![0.0; n * cols];
    for (k, i) in idx.iter().enumerate() {
        vecs[k * cols..(k + 1) * cols].copy_from_slice(&w[i * cols..(i + 1) * cols]);
    }
    (vals, vecs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(a: &[f64], n: usize) {
        let (vals, vecs) = sym_eig(a.to_vec(), n);
        for k in 0..n {
            let v = &vecs[k * n..(k + 1) * n];
            assert!((norm(v) - 1.0).abs() < 1e-12);
            for i in 0..n {
                let av: f64 = (0..n).map(|j| a[i * n + j] * v[j]).sum();
                assert!((av - vals[k] * v[i]).abs() < 1e-11, "A v != lambda v");
            }
            if k > 0 {
                assert!(vals[k] >= vals[k - 1]);
            }
        }
    }

    #[test]
    fn eigen_of_random_symmetric() {
        for n in [1usize, 2, 3, 7, 20] {
            let r = randn(n * n);
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    a[i * n + j] = r[i * n + j] + r[j * n + i];
                }
            }
            check(&a, n);
        }
    }

    #[test]
    fn eigen_with_repeated_values() {
        // diag(2, 2, 5): a repeated eigenvalue
        let n = 3;
        let mut a = vec![0.0; 9];
        a[0] = 2.0;
        a[4] = 2.0;
        a[8] = 5.0;
        check(&a, n);
        let (vals, _) = sym_eig(a, n);
        assert!((vals[0] - 2.0).abs() < 1e-14 && (vals[2] - 5.0).abs() < 1e-14);
    }
}
