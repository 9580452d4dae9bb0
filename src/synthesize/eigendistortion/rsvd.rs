//! plenoptic's `_synthesize_randomized_svd` (Halko, Martinsson & Tropp 2011): the range
//! of the Fisher matrix `F = JᵀJ` found from `k + p` random vectors sharpened by `q`
//! power steps, `F` projected onto it and decomposed there, and plenoptic's estimate of
//! the approximation error from 20 more random vectors.

use crate::error::{Error, Result};
use crate::synthesize::linalg::{axpy, dot, norm, orthonormalize, randn, sym_eig};

/// The random matrices of one run, row-major as plenoptic draws them with `torch.randn`:
/// `start` is `n x (k + p)` (the starting vectors), `omega` is `n x m` (`m` = 20 in
/// plenoptic; for the error estimate only).
#[derive(Clone, Debug, PartialEq)]
pub struct RsvdDraws {
    /// `n x (k + p)`, row-major.
    pub start: Vec<f64>,
    /// `n x m`, row-major.
    pub omega: Vec<f64>,
}

/// What a randomized SVD returns: the top `k` eigenvalues (descending), their unit
/// eigenvectors, and the estimated error of the range found.
pub(crate) struct RsvdResult {
    pub(crate) values: Vec<f64>,
    pub(crate) vectors: Vec<Vec<f64>>,
    pub(crate) error: f64,
}

/// The columns of the row-major `n x m` matrix `a`.
fn columns(a: &[f64], n: usize) -> Vec<Vec<f64>> {
    let m = a.len() / n;
    (0..m)
        .map(|j| (0..n).map(|i| a[i * m + j]).collect())
        .collect()
}

/// Draws plenoptic's random matrices from the crate's seeded generator.
pub(crate) fn draw(n: usize, k: usize, p: usize) -> RsvdDraws {
    RsvdDraws {
        start: randn(n * (k + p)),
        omega: randn(n * 20),
    }
}

/// The randomized SVD of the `n x n` operator `fisher`, keeping `k` of `k + p` vectors,
/// with `q` power steps.
///
/// # Errors
/// [`Error::InvalidArgument`] for `k` = 0, `k + p > n`, or draws of the wrong sizes;
/// whatever `fisher` returns.
pub(crate) fn randomized_svd(
    n: usize,
    k: usize,
    p: usize,
    q: usize,
    draws: &RsvdDraws,
    fisher: impl Fn(&[f64]) -> Result<Vec<f64>>,
    mut step: impl FnMut(usize),
) -> Result<RsvdResult> {
    let m = k + p;
    if k == 0 || m > n {
        return Err(Error::invalid(
            "k",
            format!("k >= 1 and k + p <= {n} (the number of pixels) needed, got k = {k}, p = {p}"),
        ));
    }
    if draws.start.len() != n * m || draws.omega.is_empty() || !draws.omega.len().is_multiple_of(n)
    {
        return Err(Error::invalid(
            "draws",
            format!(
                "start must be {n} x {m} and omega {n} x (some m), got {} and {} values",
                draws.start.len(),
                draws.omega.len()
            ),
        ));
    }
    let mut products = 0;
    let mut apply = |vs: &[Vec<f64>]| -> Result<Vec<Vec<f64>>> {
        vs.iter()
            .map(|v| {
                products += 1;
                step(products);
                fisher(v)
            })
            .collect()
    };
    // Q0 = qr(P); Z = F Q0; q more products; Q = qr(Z)
    let mut basis = columns(&draws.start, n);
    orthonormalize(&mut basis);
    let mut z = apply(&basis)?;
    for _ in 0..q {
        z = apply(&z)?;
    }
    orthonormalize(&mut z);
    let basis = z;
    // B = Qᵀ F Q, symmetric up to rounding: its SVD is its eigendecomposition in
    // absolute values
    let fq = apply(&basis)?;
    let mut b = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            b[i * m + j] = 0.5 * (dot(&basis[i], &fq[j]) + dot(&basis[j], &fq[i]));
        }
    }
    let (vals, vecs) = sym_eig(b, m);
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&x, &y| vals[y].abs().total_cmp(&vals[x].abs()));
    let mut values = Vec::with_capacity(k);
    let mut vectors = Vec::with_capacity(k);
    for &i in &order[..k] {
        values.push(vals[i].abs());
        let mut v = vec![0.0; n];
        for (j, qj) in basis.iter().enumerate() {
            axpy(&mut v, vecs[i * m + j], qj);
        }
        vectors.push(v);
    }
    // error estimate: mean over columns of |F w - Q Qᵀ F w|
    let fw = apply(&columns(&draws.omega, n))?;
    let mut total = 0.0;
    for mut r in fw.iter().cloned() {
        for qj in &basis {
            let c = dot(qj, &r);
            axpy(&mut r, -c, qj);
        }
        total += norm(&r);
    }
    let error = total / fw.len() as f64;
    Ok(RsvdResult {
        values,
        vectors,
        error,
    })
}
