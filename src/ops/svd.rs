//! Rank decomposition of small 2-D kernels, `K = sum_r u_r v_r^T`, by a one-sided Jacobi
//! SVD (Hestenes) in f64: accurate to rounding for every singular value, so exactly
//! separable kernels (a circular Gaussian) come out with rank 1, and a difference of two
//! Gaussians with rank 2.

/// Components whose singular value is below this fraction of the largest are dropped.
pub const RANK_TOL: f64 = 1e-9;

/// The rank-1 terms `(u, v)` of the row-major `kh x kw` kernel `k`, largest first, with
/// `k[a * kw + b] = sum_r u_r[a] * v_r[b]` (`u` has `kh` values and carries the singular
/// value, `v` has `kw` values and unit norm). Terms with a singular value below
/// [`RANK_TOL`] times the largest are dropped; a zero kernel has no terms.
///
/// ```text
/// use crate::ops::svd::rank_terms;
/// // [1 2; 2 4] = [1; 2] [1 2]: rank 1
/// let t = rank_terms(&[1.0, 2.0, 2.0, 4.0], 2, 2);
/// assert_eq!(t.len(), 1);
/// let (u, v) = &t[0];
/// assert!((u[1] * v[1] - 4.0).abs() < 1e-12);
/// ```
///
/// # Panics
/// When `k` does not hold `kh * kw` values.
pub fn rank_terms(k: &[f64], kh: usize, kw: usize) -> Vec<(Vec<f64>, Vec<f64>)> {
    assert_eq!(
        k.len(),
        kh * kw,
        "kernel of {kh}x{kw} needs {} values",
        kh * kw
    );
    // columns of the working matrix (kh values each) and of V (kw values each)
    let mut a: Vec<Vec<f64>> = (0..kw)
        .map(|j| (0..kh).map(|i| k[i * kw + j]).collect())
        .collect();
    let mut v: Vec<Vec<f64>> = (0..kw)
        .map(|j| (0..kw).map(|i| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
    // inner products below this are rounding noise (columns of norm < 1e-14 |K|, far under
    // RANK_TOL): rotating them would go on for ever without changing any kept term
    let negligible = 1e-28 * dot(k, k);
    for _sweep in 0..100 {
        let mut rotated = false;
        for p in 0..kw {
            for q in p + 1..kw {
                let alpha = dot(&a[p], &a[p]);
                let beta = dot(&a[q], &a[q]);
                let gamma = dot(&a[p], &a[q]);
                if gamma.abs() <= negligible || gamma.abs() <= 1e-15 * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for m in [&mut a, &mut v] {
                    let (lo, hi) = m.split_at_mut(q);
                    for (x, y) in lo[p].iter_mut().zip(hi[0].iter_mut()) {
                        let (xp, yq) = (*x, *y);
                        *x = c * xp - s * yq;
                        *y = s * xp + c * yq;
                    }
                }
            }
        }
        if !rotated {
            break;
        }
    }
    // K V = A, so K = A V^T = sum_j a_j v_j^T; the singular values are |a_j|
    let mut terms: Vec<(f64, Vec<f64>, Vec<f64>)> = a
        .into_iter()
        .zip(v)
        .map(|(aj, vj)| (dot(&aj, &aj).sqrt(), aj, vj))
        .collect();
    terms.sort_by(|x, y| y.0.total_cmp(&x.0));
    let top = terms.first().map_or(0.0, |t| t.0);
    terms
        .into_iter()
        .filter(|t| top > 0.0 && t.0 >= RANK_TOL * top)
        .map(|(_, u, v)| (u, v))
        .collect()
}
