//! LOBPCG (locally optimal block preconditioned conjugate gradient, without a
//! preconditioner) for the extreme eigenpairs of a symmetric operator given through its
//! products. Each iteration costs one operator product per wanted vector and keeps only
//! three blocks of vectors, so memory stays small whatever the number of iterations.
//!
//! Every iteration orthonormalises the search space `[X, R, P]` explicitly (twice
//! Gram-Schmidt), carrying the operator's images of `P` along as linear combinations,
//! so the Rayleigh-Ritz step is a plain symmetric eigenproblem (the "basic" variant of
//! Duersch, Shao, Yang and Gu, 2018).

use super::linalg::{axpy, dot, norm, randn, sym_eig};
use crate::error::Result;

/// Which end of the spectrum to find.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum End {
    Largest,
    Smallest,
}

/// Result of [`lobpcg`].
pub(crate) struct Pairs {
    /// Eigenvalues, from the extreme inwards (descending for `Largest`, ascending for
    /// `Smallest`).
    pub values: Vec<f64>,
    /// Unit eigenvectors.
    pub vectors: Vec<Vec<f64>>,
    /// Iterations run.
    pub iterations: usize,
    /// Largest residual norm `|A x - theta x|`.
    pub residual: f64,
    /// Whether the stop test was met (rather than the iteration limit).
    pub converged: bool,
}

/// Settings of [`lobpcg`].
pub(crate) struct LobpcgOptions {
    pub k: usize,
    pub max_iter: usize,
    /// Stop when every residual `|A x - theta x|` is at most `tol * scale`, or when the
    /// Ritz values changed by at most `tol * scale` over the last quarter of the
    /// iterations (at least 10): the slow crawl of an eigenvalue inside a continuum of
    /// nearly equal ones, where the residual never gets small.
    pub tol: f64,
    /// The size of the operator (its largest eigenvalue, if known; else the Ritz values
    /// found are used).
    pub scale: Option<f64>,
}

/// Operator images of a block of vectors.
type Block = Vec<Vec<f64>>;

/// Orthonormalises the block `v` among itself by twice Gram-Schmidt, applying the same
/// combinations to its images `fv` (pass empty images to skip them), and drops vectors
/// that vanish. Returns, for the kept vectors, the smallest ratio of a vector's final
/// norm (before scaling) to its norm on entry: small ratios mean cancellation, which
/// tracked images do not survive accurately.
fn orthonormalize_among(v: &mut Block, fv: &mut Block) -> f64 {
    let mut keep = vec![true; v.len()];
    let mut worst = 1.0f64;
    for i in 0..v.len() {
        let n0 = norm(&v[i]);
        if n0 == 0.0 {
            keep[i] = false;
            continue;
        }
        for _ in 0..2 {
            for j in 0..i {
                if keep[j] {
                    let c = dot(&v[j], &v[i]);
                    let (a, b) = v.split_at_mut(i);
                    axpy(&mut b[0], -c, &a[j]);
                    let (fa, fb) = fv.split_at_mut(i);
                    axpy(&mut fb[0], -c, &fa[j]);
                }
            }
        }
        let n = norm(&v[i]);
        if n <= 1e-10 * n0 {
            keep[i] = false;
            continue;
        }
        worst = worst.min(n / n0);
        let inv = 1.0 / n;
        v[i].iter_mut().for_each(|x| *x *= inv);
        fv[i].iter_mut().for_each(|x| *x *= inv);
    }
    let mut it = keep.iter();
    v.retain(|_| *it.next().expect("same length"));
    let mut it = keep.iter();
    fv.retain(|_| *it.next().expect("same length"));
    worst
}

/// Removes from each vector of `v` its components along the orthonormal `basis` (twice),
/// and the matching combinations of `fbasis` from the images `fv` (empty images: none).
fn project_out(v: &mut Block, fv: &mut Block, basis: &[&Vec<f64>], fbasis: &[&Vec<f64>]) {
    for _ in 0..2 {
        for (i, vi) in v.iter_mut().enumerate() {
            for (j, u) in basis.iter().enumerate() {
                let c = dot(u, vi);
                axpy(vi, -c, u);
                if let (Some(fi), Some(fu)) = (fv.get_mut(i), fbasis.get(j)) {
                    axpy(fi, -c, fu);
                }
            }
        }
    }
}

/// Orthonormalises `v` against the orthonormal `basis` and among itself (no images).
fn orthonormalize_plain(v: &mut Block, basis: &[&Vec<f64>]) {
    // empty images: the axpy calls on them do nothing
    let mut none: Block = v.iter().map(|_| Vec::new()).collect();
    project_out(v, &mut none, basis, &[]);
    orthonormalize_among(v, &mut none);
}

/// Finds `k` extreme eigenpairs of the symmetric operator `op` on vectors of length `n`.
/// `report(iteration, largest residual relative to the scale)` is called each iteration.
pub(crate) fn lobpcg(
    n: usize,
    end: End,
    opts: &LobpcgOptions,
    mut op: impl FnMut(&[f64]) -> Result<Vec<f64>>,
    mut report: impl FnMut(usize, f64),
) -> Result<Pairs> {
    let k = opts.k.min(n);
    let apply = |op: &mut dyn FnMut(&[f64]) -> Result<Vec<f64>>, b: &Block| -> Result<Block> {
        b.iter().map(|v| op(v)).collect()
    };
    // X: random, orthonormal; Rayleigh-Ritz on it.
    let mut x: Block = (0..k).map(|_| randn(n)).collect();
    orthonormalize_plain(&mut x, &[]);
    let mut fx = apply(&mut op, &x)?;
    let (mut theta, mut xs, mut fxs) = rayleigh_ritz(&x, &fx, k, end);
    x = std::mem::take(&mut xs);
    fx = std::mem::take(&mut fxs);
    let mut p: Block = Vec::new();
    let mut fp: Block = Vec::new();
    let mut history: Vec<Vec<f64>> = vec![theta.clone()];
    let mut it = 0;
    loop {
        // residuals
        let mut r: Block = x
            .iter()
            .zip(&fx)
            .zip(&theta)
            .map(|((xi, fi), t)| fi.iter().zip(xi).map(|(a, b)| a - t * b).collect())
            .collect();
        let resid = r.iter().map(|ri| norm(ri)).fold(0.0, f64::max);
        let ritz_scale = theta.iter().fold(0.0f64, |m, t| m.max(t.abs()));
        let scale = opts.scale.unwrap_or(ritz_scale).max(f64::MIN_POSITIVE);
        report(it, resid / scale);
        let window = (it / 4).max(10);
        let stalled = it >= window
            && history[it - window]
                .iter()
                .zip(&theta)
                .all(|(a, b)| (a - b).abs() <= opts.tol * scale);
        let converged = resid <= opts.tol * scale || stalled;
        if converged || it >= opts.max_iter {
            return Ok(Pairs {
                values: theta,
                vectors: x,
                iterations: it,
                residual: resid,
                converged,
            });
        }
        it += 1;
        // R orthonormal to X, then its images
        let xr: Vec<&Vec<f64>> = x.iter().collect();
        orthonormalize_plain(&mut r, &xr);
        let fr = apply(&mut op, &r)?;
        // P orthonormal to X and R (images carried along)
        if !p.is_empty() {
            let basis: Vec<&Vec<f64>> = x.iter().chain(r.iter()).collect();
            let fbasis: Vec<&Vec<f64>> = fx.iter().chain(fr.iter()).collect();
            let before: Vec<f64> = p.iter().map(|v| norm(v)).collect();
            project_out(&mut p, &mut fp, &basis, &fbasis);
            let projected = p
                .iter()
                .zip(&before)
                .map(|(v, b)| norm(v) / b.max(f64::MIN_POSITIVE))
                .fold(1.0f64, f64::min);
            let ratio = projected * orthonormalize_among(&mut p, &mut fp);
            if ratio < 1e-3 {
                // heavy cancellation: the carried images lost accuracy, recompute them
                fp = apply(&mut op, &p)?;
            }
        }
        // Rayleigh-Ritz on S = [X, R, P]
        let s: Block = x.iter().chain(&r).chain(&p).cloned().collect();
        let fs: Block = fx.iter().chain(&fr).chain(&fp).cloned().collect();
        let m = s.len();
        let mut g = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..=i {
                let v = 0.5 * (dot(&s[i], &fs[j]) + dot(&s[j], &fs[i]));
                g[i * m + j] = v;
                g[j * m + i] = v;
            }
        }
        let (vals, vecs) = sym_eig(g, m);
        let pick: Vec<usize> = match end {
            End::Smallest => (0..k).collect(),
            End::Largest => (0..k).map(|i| m - 1 - i).collect(),
        };
        let combine = |blocks: &Block, from: usize, c: &[f64]| -> Vec<f64> {
            let mut y = vec![0.0; n];
            for (j, b) in blocks.iter().enumerate().skip(from) {
                let cj = c[j];
                if cj != 0.0 {
                    axpy(&mut y, cj, b);
                }
            }
            y
        };
        let mut nx = Vec::with_capacity(k);
        let mut nfx = Vec::with_capacity(k);
        let mut np = Vec::with_capacity(k);
        let mut nfp = Vec::with_capacity(k);
        theta = pick.iter().map(|&i| vals[i]).collect();
        for &i in &pick {
            let c = &vecs[i * m..(i + 1) * m];
            nx.push(combine(&s, 0, c));
            nfx.push(combine(&fs, 0, c));
            np.push(combine(&s, k, c));
            nfp.push(combine(&fs, k, c));
        }
        x = nx;
        fx = nfx;
        p = np;
        fp = nfp;
        history.push(theta.clone());
    }
}

/// Rayleigh-Ritz on the span of the orthonormal block `x`: rotated vectors, images and
/// values, ordered from the wanted end.
fn rayleigh_ritz(x: &Block, fx: &Block, k: usize, end: End) -> (Vec<f64>, Block, Block) {
    let m = x.len();
    let mut g = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..=i {
            let v = 0.5 * (dot(&x[i], &fx[j]) + dot(&x[j], &fx[i]));
            g[i * m + j] = v;
            g[j * m + i] = v;
        }
    }
    let (vals, vecs) = sym_eig(g, m);
    let order: Vec<usize> = match end {
        End::Smallest => (0..m).collect(),
        End::Largest => (0..m).rev().collect(),
    };
    let n = x[0].len();
    let mut xs = Vec::new();
    let mut fxs = Vec::new();
    let mut th = Vec::new();
    for &i in order.iter().take(k) {
        let c = &vecs[i * m..(i + 1) * m];
        let mut y = vec![0.0; n];
        let mut fy = vec![0.0; n];
        for j in 0..m {
            axpy(&mut y, c[j], &x[j]);
            axpy(&mut fy, c[j], &fx[j]);
        }
        xs.push(y);
        fxs.push(fy);
        th.push(vals[i]);
    }
    (th, xs, fxs)
}
