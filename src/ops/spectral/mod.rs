//! The spectral op: bands that are linear functions of an image's 2-D DFT (a centred crop
//! of the shifted spectrum times a fixed complex mask, back to space at the crop's size),
//! and its reverse, the synthesis of an image from such bands. Plenoptic's
//! frequency-domain steerable pyramid and every linear step of the Portilla-Simoncelli
//! statistics are such bands.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
mod fft2;
mod plan;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

use std::sync::Arc;

pub use plan::{SpectralBand, SpectralPlan};

use crate::error::{Error, Result};
use crate::tensor::{dims, Float, Image, Tape};
use crate::Device;

/// The spectral kernels of a device: [`spectral_analysis`], [`spectral_synthesis`]. Call
/// the functions, not these methods.
pub trait SpectralKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`spectral_analysis`] on this device.
    fn spectral_analysis<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        plan: &Arc<SpectralPlan>,
    ) -> Result<Image<E, T, Self>>;

    /// [`spectral_synthesis`] on this device.
    fn spectral_synthesis<T: Tape<E, Self>>(
        y: Image<E, T, Self>,
        plan: &Arc<SpectralPlan>,
    ) -> Result<Image<E, T, Self>>;
}

/// The bands of `plan` for each image plane of `x` (batch, channel, h, w): shape
/// (batch, channel, 1, `plan.len()`), each band's real part then (for complex bands) its
/// imaginary part, row-major. Differentiable with respect to `x`. Models build the plan
/// (see [`crate::simulate::SteerablePyramidFreq`]).
///
/// # Errors
/// [`Error::ShapeMismatch`] when `x`'s height and width are not the plan's;
/// [`Error::Unavailable`] on the GPU (no GPU kernel yet).
pub fn spectral_analysis<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    plan: &Arc<SpectralPlan>,
) -> Result<Image<E, T, D>> {
    let [_, _, h, w] = dims(&x);
    if (h, w) != (plan.h, plan.w) {
        return Err(Error::shape_mismatch(
            "spectral op: image height and width against the plan's",
            [plan.h, plan.w],
            [h, w],
        ));
    }
    D::spectral_analysis(x, plan)
}

/// The image (batch, channel, h, w) synthesised from bands `y` (batch, channel, 1,
/// `plan.len()`, laid out as [`spectral_analysis`]'s output): the real part of the inverse
/// DFT of the sum over bands of (mask times the band's DFT), each padded into the image's
/// centred spectrum. A band's mask is what the reconstruction applies, so a plan for
/// synthesis has the reconstruction's masks. Differentiable with respect to `y`.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `y` is not (batch, channel, 1, `plan.len()`);
/// [`Error::Unavailable`] on the GPU (no GPU kernel yet).
pub fn spectral_synthesis<E: Float, D: Device<E>, T: Tape<E, D>>(
    y: Image<E, T, D>,
    plan: &Arc<SpectralPlan>,
) -> Result<Image<E, T, D>> {
    let [_, _, h, w] = dims(&y);
    if (h, w) != (1, plan.len()) {
        return Err(Error::shape_mismatch(
            "spectral synthesis: bands against the plan's length",
            [1, plan.len()],
            [h, w],
        ));
    }
    D::spectral_synthesis(y, plan)
}
