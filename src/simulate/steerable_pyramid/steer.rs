//! plenoptic's `SteerablePyramidFreq.steer_coeffs` (with pyrtools' `steer` and
//! `steer_to_harmonics_mtx`): bands of a real pyramid steered to any angle, as weighted
//! sums of a scale's orientation bands.

use std::f64::consts::PI;

use super::{PyrCoeffs, PyrKey, SteerablePyramidFreq};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::ops::{separable_map, SeparableMap};
use crate::tensor::{Float, Tape};

/// The steered bands and weights of [`SteerablePyramidFreq::steer_coeffs`]: for each
/// angle `j` and scale `i`, the band `PyrKey::Band(i, num_orientations + j)` and its
/// weights over the scale's `num_orientations` bands.
pub type Steered<E, T, D> = (PyrCoeffs<E, T, D>, Vec<(PyrKey, Vec<f64>)>);

/// The weights that steer `num` derivative-like basis filters at angles `pi * k / num` to
/// `angle` (pyrtools' `steer(..., return_weights=True)` with its default harmonics: the
/// `num` lowest even or odd ones, and its default steering matrix, the inverse of the
/// harmonics at the basis angles, cosine or sine phase by `even_phase`).
pub(crate) fn steering_weights(num: usize, angle: f64, even_phase: bool) -> Vec<f64> {
    let harmonics: Vec<usize> = (1 - num % 2..num).step_by(2).collect();
    // the harmonics at the basis angles: row k, column per harmonic component
    let mut imtx = vec![0.0f64; num * num];
    for k in 0..num {
        let a = PI * k as f64 / num as f64;
        let row = &mut imtx[k * num..(k + 1) * num];
        let mut col = 0;
        for &h in &harmonics {
            let arg = h as f64 * a;
            if h == 0 {
                row[col] = 1.0;
                col += 1;
            } else if even_phase {
                row[col] = arg.cos();
                row[col + 1] = arg.sin();
                col += 2;
            } else {
                row[col] = arg.sin();
                row[col + 1] = -arg.cos();
                col += 2;
            }
        }
    }
    let steermtx = inverse(imtx, num);
    // the harmonic components of `angle`, cosine then sine per harmonic
    let mut s = Vec::with_capacity(num);
    for &h in &harmonics {
        if h == 0 {
            s.push(1.0);
        } else {
            let arg = angle * h as f64;
            s.extend([arg.cos(), arg.sin()]);
        }
    }
    (0..num)
        .map(|k| (0..num).map(|c| s[c] * steermtx[c * num + k]).sum())
        .collect()
}

/// The inverse of the invertible `n x n` row-major matrix `a` (Gauss-Jordan elimination
/// with partial pivoting; the harmonics matrix at evenly spaced angles is well
/// conditioned, so this equals numpy's `pinv` to rounding).
fn inverse(mut a: Vec<f64>, n: usize) -> Vec<f64> {
    let mut inv = vec![0.0f64; n * n];
    for i in 0..n {
        inv[i * n + i] = 1.0;
    }
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))
            .unwrap_or(c);
        for k in 0..n {
            a.swap(c * n + k, p * n + k);
            inv.swap(c * n + k, p * n + k);
        }
        let d = a[c * n + c];
        for k in 0..n {
            a[c * n + k] /= d;
            inv[c * n + k] /= d;
        }
        for r in (0..n).filter(|&r| r != c) {
            let f = a[r * n + c];
            if f != 0.0 {
                for k in 0..n {
                    a[r * n + k] -= f * a[c * n + k];
                    inv[r * n + k] -= f * inv[c * n + k];
                }
            }
        }
    }
    inv
}

impl SteerablePyramidFreq {
    /// plenoptic's `steer_coeffs(pyr_coeffs, angles, even_phase)`: every scale's bands
    /// steered to each of `angles` (radians), recorded on the coefficients' tape (taken by
    /// value: clone tape-less coefficients to keep them). Returns the steered bands, keyed
    /// `PyrKey::Band(scale, num_orientations + j)` for angle `j` (plenoptic's keys; no
    /// residuals), and the weights of each over the scale's bands, keyed
    /// `PyrKey::Band(scale, j)` (plenoptic's `resteering_weights`). With `even_phase`
    /// (plenoptic's default) steering to a basis angle `pi * k / num_orientations` gives
    /// back band `k`.
    ///
    /// ```
    /// use plenoptic as po;
    /// use po::simulate::{PyrKey, SteerablePyramidFreq};
    /// let pyr = SteerablePyramidFreq::builder((32, 32)).height(2).build()?;
    /// let coeffs = pyr.forward(po::data::white_noise::<f64>(&[1, 1, 32, 32])?)?;
    /// let (steered, weights) = pyr.steer_coeffs(coeffs.clone(), &[std::f64::consts::FRAC_PI_4], true)?;
    /// // pi/4 is basis angle 1 of 4: the steered band is band 1
    /// let (a, b) = (steered.band(&PyrKey::Band(0, 4))?, coeffs.band(&PyrKey::Band(0, 1))?);
    /// assert!(a.as_vec().iter().zip(b.as_vec()).all(|(a, b)| (a - b).abs() < 1e-12));
    /// assert!((weights[0].1[1] - 1.0).abs() < 1e-12);
    /// # Ok::<(), po::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a complex pyramid (plenoptic steers real
    /// coefficients only), a pyramid without scales, no angles or one that is not finite,
    /// and coefficients that lack a scale's band (such as those of
    /// [`Self::forward_scales`] without every scale).
    pub fn steer_coeffs<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        coeffs: PyrCoeffs<E, T, D>,
        angles: &[f64],
        even_phase: bool,
    ) -> Result<Steered<E, T, D>> {
        if self.is_complex {
            return Err(Error::invalid(
                "pyr_coeffs",
                "steering is only implemented for real coefficients (a pyramid built with is_complex(false))",
            ));
        }
        if self.num_scales == 0 {
            return Err(Error::invalid(
                "pyr_coeffs",
                "a pyramid of height 0 has no bands to steer",
            ));
        }
        if angles.is_empty() {
            return Err(Error::invalid("angles", "give at least one angle"));
        }
        if let Some(a) = angles.iter().find(|a| !a.is_finite()) {
            return Err(Error::invalid(
                "angles",
                format!("{a} is not a finite angle"),
            ));
        }
        let num = self.num_orientations();
        let layout = coeffs.layout();
        let band = |i: usize, k: usize| {
            let key = PyrKey::Band(i, k);
            layout.iter().find(|l| l.0 == key).ok_or_else(|| {
                Error::invalid(
                    "pyr_coeffs",
                    format!(
                        "band {key} is missing: steering needs every scale's bands \
                         (forward with all scales)"
                    ),
                )
            })
        };
        let mut cols: Vec<Vec<(usize, f64)>> = Vec::new();
        let mut out_layout = Vec::new();
        let mut weights = Vec::new();
        for i in 0..self.num_scales {
            let bands = (0..num).map(|k| band(i, k)).collect::<Result<Vec<_>>>()?;
            let (h, w) = (bands[0].2, bands[0].3);
            for (j, &a) in angles.iter().enumerate() {
                let wt = steering_weights(num, a, even_phase);
                out_layout.push((PyrKey::Band(i, num + j), cols.len(), h, w, false));
                cols.extend((0..h * w).map(|p| {
                    bands
                        .iter()
                        .zip(&wt)
                        .map(|(b, &v)| (b.1 + p, v))
                        .collect::<Vec<_>>()
                }));
                weights.push((PyrKey::Band(i, j), wt));
            }
        }
        let planes = coeffs.planes();
        let flat = coeffs.into_tensor();
        let n = crate::tensor::dims(&flat)[3];
        let map = SeparableMap::new((1, n), vec![vec![(0, 1.0)]], cols)?;
        let steered = separable_map(flat, &map)?;
        Ok((PyrCoeffs::new(steered, planes, out_layout), weights))
    }
}
