//! Image-quality metrics (plenoptic's `metric` module): functions of two images that
//! return one value per batch element and channel, differentiable on the tape, and the
//! [`Metric`] trait that MAD competition takes.
//!
//! Each metric is a unit struct (or one with options) implementing [`Metric`], generic
//! over the element type, tape and device; plain functions ([`ssim`], [`mse`], ...) call
//! them on f32 CPU images for notebooks.

mod dn_params;
mod model_metric;
mod ms_ssim;
mod naive;
mod nlpd;
mod pair;
mod ssim;
// (the fused kernels are the CPU's; under `portable-cpu` the CPU composes SSIM and NLPD
// too)
#[cfg(all(test, not(feature = "portable-cpu")))]
mod nlpd_tests;
#[cfg(all(test, not(feature = "portable-cpu")))]
mod ssim_tests;

pub use model_metric::{model_metric, ModelMetric};
pub use ms_ssim::{ms_ssim, MsSsim, MS_SSIM_POWERS};
pub use naive::{mse, Mse};
pub use nlpd::{nlpd, normalized_laplacian_pyramid, normalized_laplacian_pyramid_of, Nlpd};
pub use ssim::{ssim, ssim_map, ssim_map_of, Ssim};

use crate::device::Device;
use crate::error::Result;
use crate::tensor::{Float, Image, Tape};

/// A distance or similarity between two images of the same shape (batch, channel, height,
/// width), as plenoptic's metrics compute it: the result has shape (batch, channel, 1, 1).
/// Both images carry the same tape type, so the gradient can be taken with respect to
/// either (give the other one a fresh tape).
pub trait Metric {
    /// The metric between `a` and `b`, recorded on their tapes.
    ///
    /// # Errors
    /// [`crate::Error::ShapeMismatch`] when the shapes differ, and whatever the metric's
    /// operations refuse.
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        a: Image<E, T, D>,
        b: Image<E, T, D>,
    ) -> Result<Image<E, T, D>>;
}

impl<M: Metric> Metric for &M {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        a: Image<E, T, D>,
        b: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        (**self).forward(a, b)
    }
}

mod erased;

pub use erased::{from_fn, ErasedMetric, Evaluation, FnMetric, Taped};
