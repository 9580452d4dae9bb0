//! The Lanczos method with full reorthogonalisation, for the extreme eigenpairs of a
//! symmetric positive semi-definite operator given only through its products (here
//! `J^T J v`). One Krylov space yields both ends of the spectrum at once, and it
//! converges far faster than the power method at the bottom end, where the shifted power
//! iteration of plenoptic stalls.

use super::linalg::{axpy, dot, norm, normalize, randn, tridiag_eig, tridiag_eig_last};
use crate::error::Result;

/// Extreme eigenpairs found by [`lanczos`].
pub(crate) struct Eigs {
    /// The `k` largest eigenvalues, descending.
    pub top_values: Vec<f64>,
    /// Their unit eigenvectors.
    pub top_vectors: Vec<Vec<f64>>,
    /// The `k` smallest eigenvalues, ascending.
    pub bottom_values: Vec<f64>,
    /// Their unit eigenvectors.
    pub bottom_vectors: Vec<Vec<f64>>,
    /// Size of the Krylov space used (number of operator products).
    pub iterations: usize,
    /// Largest residual norm `|A y - theta y|` among the returned pairs (Ritz estimate).
    pub residual: f64,
    /// Whether every returned pair met the tolerance.
    pub converged: bool,
}

/// Settings of [`lanczos`].
pub(crate) struct LanczosOptions {
    /// Pairs wanted at each end.
    pub k: usize,
    /// Largest Krylov space (operator products).
    pub max_iter: usize,
    /// Stop when, for every wanted pair, the residual norm `|A y - theta y|` or the change
    /// of its Ritz value over the last [`CHECK_EVERY`] iterations is at most `tol` times
    /// the largest Ritz value.
    pub tol: f64,
}

/// Iterations between two convergence checks.
pub(crate) const CHECK_EVERY: usize = 10;

/// Finds the `k` largest and `k` smallest eigenpairs of the symmetric operator `op` on
/// vectors of length `n`. `report(iteration, largest relative change or residual)` is
/// called after every convergence check.
pub(crate) fn lanczos(
    n: usize,
    opts: &LanczosOptions,
    mut op: impl FnMut(&[f64]) -> Result<Vec<f64>>,
    mut report: impl FnMut(usize, f64),
) -> Result<Eigs> {
    let k = opts.k;
    let max_dim = opts.max_iter.min(n).max(1);
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let mut alpha: Vec<f64> = Vec::new();
    let mut beta: Vec<f64> = Vec::new(); // beta[j] couples j and j+1
    let mut v = randn(n);
    normalize(&mut v);
    basis.push(v);
    let mut scale = 0.0f64; // running estimate of the operator's norm
    let mut previous: Option<Vec<f64>> = None; // wanted Ritz values at the last check
    loop {
        let j = basis.len() - 1;
        let mut w = op(&basis[j])?;
        let a = dot(&basis[j], &w);
        alpha.push(a);
        axpy(&mut w, -a, &basis[j]);
        if j > 0 {
            axpy(&mut w, -beta[j - 1], &basis[j - 1]);
        }
        reorthogonalize(&mut w, &basis);
        let b = norm(&w);
        scale = scale.max(a.abs()).max(b);
        let dim = basis.len();
        let full = dim >= max_dim;
        // invariant subspace: the Krylov space cannot grow from w
        let breakdown = b <= 1e-13 * scale.max(f64::MIN_POSITIVE);
        let check = full || breakdown || (dim >= 2 * k && dim % CHECK_EVERY == 0);
        if check {
            let (vals, last) = tridiag_eig_last(&alpha, &beta);
            let theta_max = vals.last().map_or(0.0, |t| t.abs()).max(f64::MIN_POSITIVE);
            let want = wanted(dim, k);
            let values: Vec<f64> = want.iter().map(|&i| vals[i]).collect();
            let resid = want.iter().map(|&i| (b * last[i]).abs()).fold(0.0, f64::max);
            let mut worst = 0.0f64;
            for (p, &i) in want.iter().enumerate() {
                let r = (b * last[i]).abs();
                let change = previous
                    .as_ref()
                    .filter(|prev| prev.len() == values.len())
                    .map_or(f64::INFINITY, |prev| (prev[p] - values[p]).abs());
                worst = worst.max(r.min(change));
            }
            report(dim, worst / theta_max);
            let converged = worst <= opts.tol * theta_max;
            if converged || full || (breakdown && dim >= n) {
                return Ok(ritz(&basis, &alpha, &beta, k, resid, converged));
            }
            previous = Some(values);
        }
        if breakdown {
            // Continue in a fresh direction orthogonal to the space found so far.
            let mut r = randn(n);
            reorthogonalize(&mut r, &basis);
            normalize(&mut r);
            beta.push(0.0);
            basis.push(r);
            continue;
        }
        beta.push(b);
        w.iter_mut().for_each(|x| *x /= b);
        basis.push(w);
    }
}

/// Indices (ascending Ritz order) of the `k` smallest and `k` largest Ritz values of a
/// space of dimension `dim`.
fn wanted(dim: usize, k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..k.min(dim)).collect();
    for i in dim.saturating_sub(k)..dim {
        if !idx.contains(&i) {
            idx.push(i);
        }
    }
    idx
}

/// Classical Gram-Schmidt against `basis`, repeated when it removed most of `w` (the
/// "twice is enough" rule).
fn reorthogonalize(w: &mut [f64], basis: &[Vec<f64>]) {
    for _ in 0..2 {
        let before = norm(w);
        let coef: Vec<f64> = basis.iter().map(|u| dot(u, w)).collect();
        for (u, c) in basis.iter().zip(coef) {
            axpy(w, -c, u);
        }
        if norm(w) > 0.7 * before {
            break;
        }
    }
}

fn ritz(basis: &[Vec<f64>], alpha: &[f64], beta: &[f64], k: usize, residual: f64, converged: bool) -> Eigs {
    let n = basis[0].len();
    let dim = alpha.len();
    let (vals, vecs) = tridiag_eig(alpha, &beta[..dim - 1]);
    let vector = |i: usize| {
        let mut y = vec![0.0; n];
        for (j, u) in basis.iter().enumerate().take(dim) {
            axpy(&mut y, vecs[i * dim + j], u);
        }
        normalize(&mut y);
        y
    };
    let kk = k.min(dim);
    let top: Vec<usize> = (0..kk).map(|i| dim - 1 - i).collect();
    let bottom: Vec<usize> = (0..kk).collect();
    Eigs {
        top_values: top.iter().map(|&i| vals[i]).collect(),
        top_vectors: top.iter().map(|&i| vector(i)).collect(),
        bottom_values: bottom.iter().map(|&i| vals[i]).collect(),
        bottom_vectors: bottom.iter().map(|&i| vector(i)).collect(),
        iterations: dim,
        residual,
        converged,
    }
}
