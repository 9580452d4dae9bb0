//! Multi-scale SSIM (plenoptic's `ms_ssim`): the contrast-structure mean at the finer
//! scales and the SSIM mean at the coarsest, each through `relu(.)^power`, multiplied.

use dfdx::prelude::WithEmptyTape;

use super::pair::{mul, plane_mean};
use super::ssim::{checked_pair, smaller_than_window, ssim_parts, window, Carrier};
use super::Metric;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::ops::pointwise::inlined::map;
use crate::ops::{separable_map, SeparableMap};
use crate::tensor::{dims, Float, Image, Tape};
use crate::warnings;

/// plenoptic's power factors, fine to coarse (Wang, Simoncelli & Bovik 2003).
pub const MS_SSIM_POWERS: [f64; 5] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

/// Multi-scale SSIM (plenoptic's `ms_ssim`): one scale per power factor (default
/// [`MS_SSIM_POWERS`], 5 scales), each scale the previous one padded (replicate) to even
/// size and 2x2-averaged. A negative mean at any scale makes the product 0.
///
/// ```
/// use plenoptic as po;
/// use po::metric::{Metric, MsSsim};
/// let a = po::data::white_noise::<f32>(&[1, 1, 64, 64])?;
/// let s = MsSsim::default().forward(a.clone(), a)?;
/// assert!((s.as_vec()[0] - 1.0).abs() < 1e-5);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MsSsim {
    /// The exponents, fine to coarse; their number is the number of scales.
    pub power_factors: Vec<f64>,
}

impl Default for MsSsim {
    fn default() -> Self {
        MsSsim {
            power_factors: MS_SSIM_POWERS.to_vec(),
        }
    }
}

/// `relu(m)^p`, with derivative 0 where `m <= 0` (torch's relu backward).
fn relu_pow<E: Float, D: Device<E>, T: Tape<E, D>>(
    m: Image<E, T, D>,
    p: f64,
) -> Result<Image<E, T, D>> {
    let pe = E::of_f64(p);
    map(m, move |v, _| {
        if v > E::zero() {
            (v.powf(pe), pe * v.powf(pe - E::one()))
        } else {
            (E::zero(), E::zero())
        }
    })
}

/// plenoptic's MS-SSIM down-sampling: replicate-pad to even size, then 2x2 average.
fn downsample_map(h: usize, w: usize) -> Result<SeparableMap> {
    let axis = |n: usize| -> Vec<Vec<(usize, f64)>> {
        (0..n.div_ceil(2))
            .map(|p| {
                let (i, j) = (2 * p, (2 * p + 1).min(n - 1));
                if i == j {
                    vec![(i, 1.0)]
                } else {
                    vec![(i, 0.5), (j, 0.5)]
                }
            })
            .collect()
    };
    SeparableMap::new((h, w), axis(h), axis(w))
}

impl Metric for MsSsim {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        a: Image<E, T, D>,
        b: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let n = self.power_factors.len();
        if n == 0 {
            return Err(Error::invalid("power_factors", "needs at least one value"));
        }
        if let Some(p) = self.power_factors.iter().find(|p| !p.is_finite()) {
            return Err(Error::invalid(
                "power_factors",
                format!("{p} is not finite"),
            ));
        }
        let (mut a, mut b) = (a, b);
        let mut product: Option<Image<E, T, D>> = None;
        for &p in &self.power_factors[..n - 1] {
            let (a1, b1) = checked_pair(a.with_empty_tape(), b.with_empty_tape(), "ms_ssim")?;
            let [_, _, h, w] = dims(&a1);
            let parts = ssim_parts(a1, b1, &window(h, w, None), Carrier::ContrastStructure)?;
            let f = relu_pow(plane_mean(parts.cs)?, p)?;
            product = Some(match product {
                None => f,
                Some(q) => mul(q, f)?,
            });
            let [_, _, h, w] = dims(&a);
            a = separable_map(a, &downsample_map(h, w)?)?;
            let [_, _, h, w] = dims(&b);
            b = separable_map(b, &downsample_map(h, w)?)?;
        }
        let small = smaller_than_window(dims(&a));
        let (a, b) = checked_pair(a, b, "ms_ssim")?;
        let [_, _, h, w] = dims(&a);
        let parts = ssim_parts(a, b, &window(h, w, None), Carrier::Map)?;
        if small {
            warnings::warn(
                "SSIM uses 11x11 convolutional kernel, but for some scales of the input \
                 image, the height and/or the width is smaller than 11, so the kernel size \
                 in SSIM is set to be the minimum of these two numbers for these scales.",
            );
        }
        let f = relu_pow(plane_mean(parts.map)?, self.power_factors[n - 1])?;
        match product {
            None => Ok(f),
            Some(q) => mul(q, f),
        }
    }
}

/// [`MsSsim`] with plenoptic's power factors: shape (batch, channel, 1, 1).
///
/// ```
/// let a = plenoptic::data::white_noise::<f32>(&[1, 1, 64, 64])?;
/// assert!((plenoptic::metric::ms_ssim(&a, &a)?.as_vec()[0] - 1.0).abs() < 1e-5);
/// # Ok::<(), plenoptic::Error>(())
/// ```
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] for sizes that do not broadcast.
pub fn ms_ssim(a: &Image<f32>, b: &Image<f32>) -> Result<Image<f32>> {
    MsSsim::default().forward(a.clone(), b.clone())
}
