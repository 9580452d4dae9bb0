//! Filters used by the models.

use crate::error::{Error, Result};
use crate::ops::Filter;

/// Circularly symmetric Gaussian kernels, one per standard deviation, each normalised to
/// sum to 1, as plenoptic's `circular_gaussian2d`: with coordinates `i - (n+1)/2` for
/// `i = 1..=n`, `exp(-(x^2 + y^2) / (2 std^2))`. Shape: (len(std), 1, kh, kw).
///
/// ```
/// let g = plenoptic::tools::circular_gaussian2d((31, 31), &[3.0]).unwrap();
/// let s: f64 = g.weights().iter().sum();
/// assert!((s - 1.0).abs() < 1e-12);
/// ```
///
/// # Errors
/// A zero kernel size, no std, or a std that is not positive and finite.
pub fn circular_gaussian2d(kernel_size: (usize, usize), std: &[f64]) -> Result<Filter> {
    let (kh, kw) = kernel_size;
    if kh == 0 || kw == 0 {
        return Err(Error::invalid(
            "kernel_size",
            format!("{kernel_size:?} must be positive"),
        ));
    }
    if std.is_empty() {
        return Err(Error::invalid("std", "needs at least one value"));
    }
    if let Some(s) = std.iter().find(|s| !(**s > 0.0 && s.is_finite())) {
        return Err(Error::invalid("std", format!("{s} must be positive")));
    }
    let (oy, ox) = ((kh as f64 + 1.0) / 2.0, (kw as f64 + 1.0) / 2.0);
    let mut w = Vec::with_capacity(std.len() * kh * kw);
    for &s in std {
        let start = w.len();
        for i in 1..=kh {
            for j in 1..=kw {
                let (y, x) = (i as f64 - oy, j as f64 - ox);
                w.push(((x * x + y * y) / (-2.0 * s * s)).exp());
            }
        }
        let sum: f64 = w[start..].iter().sum();
        w[start..].iter_mut().for_each(|v| *v /= sum);
    }
    Filter::new(w, [std.len(), 1, kh, kw])
}
