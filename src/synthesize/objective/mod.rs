//! The metamer objective, as plenoptic's: the loss function (the mean squared error by
//! default, or the L2 norm, or the user's own) between the model's representation and
//! the target representation, plus `lambda` times the range penalty
//! (the sum of squared distances of the pixels outside the allowed range), with its
//! gradient. A per-device kernel ([`ObjectiveKernel`]): the CPU's host arithmetic with f64
//! accumulation (`cpu.rs`), and the portable one from dfdx's tensor ops (`portable.rs`),
//! which the GPU runs, and the CPU too under the `portable-cpu` test feature.

mod cpu;
mod portable;

pub(crate) use cpu::{range_penalty, squared_norm};

use super::adam::AdamKernel;
use super::device::{Dev4, Taped4};
use super::loss::LossFunction;
use crate::error::Result;
use crate::tensor::Image;

/// The objective's value and gradient.
pub(crate) struct Evaluated<G> {
    /// MSE plus `lambda` times the range penalty.
    pub loss: f64,
    /// The gradient with respect to the image.
    pub grad: G,
    /// Its L2 norm.
    pub gradient_norm: f64,
}

/// The objective on one device.
pub(crate) trait ObjectiveKernel: AdamKernel {
    /// The target representation on this device.
    type Target;
    /// Moves the target representation to the device.
    ///
    /// # Errors
    /// [`crate::Error::Backend`] when the device refuses.
    fn load_target(&self, t: &Image<f32>) -> Result<Self::Target>;
    /// The objective at image `x`, whose taped representation is `rep` (computed from
    /// `x`'s trace, of the target's shape), with the pixels' allowed `range` and the
    /// penalty's weight `lambda`, comparing `rep` with the target by `loss`.
    ///
    /// # Errors
    /// [`crate::Error::Backend`] when the device refuses; a custom loss function's
    /// errors ([`crate::Error::Unavailable`] on a device that cannot run it).
    #[allow(clippy::too_many_arguments)]
    fn objective(
        &self,
        rep: Taped4<Self>,
        x: &Dev4<Self>,
        target: &Self::Target,
        range: (f64, f64),
        lambda: f64,
        loss: &LossFunction,
    ) -> Result<Evaluated<Self::Grad>>;
}
