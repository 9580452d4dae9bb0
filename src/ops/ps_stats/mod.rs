//! The Portilla-Simoncelli statistics op: from an image, through its spectral bands (the
//! complex steerable pyramid, the coarser bands expanded one scale up, the residual
//! highpass and the reconstructed low-pass images, computed inside the op by the
//! layout's [`SpectralPlan`]; see [`crate::simulate::PortillaSimoncelli`]), to
//! plenoptic's statistics vector, with its adjoint written out. The bands never leave the
//! op: its adjoint hands their gradient straight to the spectral plan's adjoint.

mod adjoint;
mod autocorr;
mod blocked;
mod buffers;
#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
pub(crate) mod host;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

use std::sync::Arc;

pub(crate) use buffers::clear as free_buffers;

use crate::error::{Error, Result};
use crate::ops::SpectralPlan;
use crate::tensor::{dims, Float, Image, Tape};
use crate::Device;

/// What [`ps_statistics`] needs: the spectral plan of its bands, the scales, orientations
/// and autocorrelation width, each scale's grid, which raw statistics are kept, and the
/// variance ratio below which skew and kurtosis of a reconstructed image are replaced by
/// 0 and 3 (torch's `finfo(dtype).resolution`, set per element type by the op).
#[derive(Clone, Debug)]
pub struct PsLayout {
    /// The bands, in the order the statistics read them.
    pub(crate) plan: Arc<SpectralPlan>,
    pub(crate) n_scales: usize,
    pub(crate) n_orientations: usize,
    pub(crate) width: usize,
    /// Grid (h, w) of scales 0..=n_scales.
    pub(crate) dims: Vec<(usize, usize)>,
    /// Indices of the kept raw statistics.
    pub(crate) kept: Vec<usize>,
    /// Length of the bands per plane (`plan.len()`).
    pub(crate) bands_len: usize,
    pub(crate) resolution: f64,
}

/// The statistics kernel of a device: [`ps_statistics`]. Call the function.
pub trait PsStatsKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`ps_statistics`] on this device.
    fn ps_statistics<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        layout: &Arc<PsLayout>,
    ) -> Result<Image<E, T, Self>>;
}

/// torch's `finfo(dtype).resolution`: 1e-6 for f32, 1e-15 for f64.
pub(crate) fn resolution<E: Float>() -> f64 {
    let eps = E::epsilon().as_f64();
    10f64.powi(-((-eps.log10()).floor() as i32))
}

/// The kept statistics (batch, channel, 1, kept) of image `x` (batch, channel, h, w),
/// differentiable with respect to `x`.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `x`'s height and width are not the layout's;
/// [`Error::Unavailable`] on the GPU (no GPU kernel yet).
pub fn ps_statistics<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    layout: &Arc<PsLayout>,
) -> Result<Image<E, T, D>> {
    let [_, _, h, w] = dims(&x);
    if (h, w) != layout.dims[0] || (h, w) != (layout.plan.h, layout.plan.w) {
        return Err(Error::shape_mismatch(
            "Portilla-Simoncelli statistics: image height and width against the layout",
            [layout.dims[0].0, layout.dims[0].1],
            [h, w],
        ));
    }
    D::ps_statistics(x, layout)
}
