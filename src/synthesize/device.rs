//! The devices synthesis runs on: [`SynthDevice`] bundles, for `crate::device::Cpu` and
//! (with the `cuda` feature) `crate::device::Gpu`, the kernels of an iteration (Adam, the
//! objective) with the forward pass of an erased model and the transfer of images.
//! Loops generic over `D: SynthDevice` are instantiated twice at most, in the crate.

use dfdx::prelude::*;

use super::adam::AdamKernel;
use super::erased::{ErasedCoarseToFine, ErasedModel};
use super::objective::ObjectiveKernel;
use crate::error::Result;
use crate::ops::backend::backend;
use crate::simulate::Scale;
use crate::tensor::{dims, Float, Image, Shape4};

/// A tape-less f32 image on device `D`.
pub(crate) type Dev4<D> = Tensor<Shape4, f32, D, NoneTape>;

/// A taped f32 image on device `D`.
pub(crate) type Taped4<D> = Tensor<Shape4, f32, D, OwnedTape<f32, D>>;

/// A device with the crate's ops and dfdx's built-in ones (f32, and f64 for accurate
/// sums): what the portable kernels need.
pub(crate) trait Portable:
    crate::device::Device<f32> + dfdx::tensor_ops::Device<f32> + dfdx::tensor_ops::Device<f64>
{
}
impl<D> Portable for D where
    D: crate::device::Device<f32> + dfdx::tensor_ops::Device<f32> + dfdx::tensor_ops::Device<f64>
{
}

/// The sum of every element of `t`, added up in f64 on the host from one sum per image
/// row (rows are short, so their sums are accurate).
pub(crate) fn sum_f64<E: Float, D: Portable + dfdx::tensor_ops::Device<E>>(
    t: Tensor<Shape4, E, D>,
) -> Result<f64> {
    let [b, c, h, w] = dims(&t);
    let rows = t
        .try_reshape_like(&(b * c * h, w))
        .and_then(|r| r.try_sum::<(usize,), Axis<1>>())
        .map_err(backend("metamer step"))?;
    Ok(rows.as_vec().iter().map(|v| v.as_f64()).sum())
}

/// A device synthesis iterations run on.
pub(crate) trait SynthDevice: AdamKernel + ObjectiveKernel {
    /// `model`'s forward pass of the taped image `x` on this device.
    ///
    /// # Errors
    /// The model's errors.
    fn forward(model: &dyn ErasedModel, x: Taped4<Self>) -> Result<Taped4<Self>>;
    /// `model`'s forward pass of the scales `scales` of the taped image `x` on this
    /// device.
    ///
    /// # Errors
    /// The model's errors.
    fn forward_scales(
        model: &dyn ErasedCoarseToFine,
        x: Taped4<Self>,
        scales: &[Scale],
    ) -> Result<Taped4<Self>>;
    /// `x` on this device.
    fn upload(&self, x: &Image<f32>) -> Dev4<Self>;
    /// `x` on the CPU.
    fn download(x: &Dev4<Self>) -> Image<f32>;
}

impl SynthDevice for crate::device::Cpu {
    fn forward(model: &dyn ErasedModel, x: Taped4<Self>) -> Result<Taped4<Self>> {
        model.forward_f32(x)
    }
    fn forward_scales(
        model: &dyn ErasedCoarseToFine,
        x: Taped4<Self>,
        scales: &[Scale],
    ) -> Result<Taped4<Self>> {
        model.forward_scales_f32(x, scales)
    }
    fn upload(&self, x: &Image<f32>) -> Image<f32> {
        x.clone()
    }
    fn download(x: &Image<f32>) -> Image<f32> {
        x.clone()
    }
}

#[cfg(feature = "cuda")]
impl SynthDevice for crate::device::Gpu {
    fn forward(model: &dyn ErasedModel, x: Taped4<Self>) -> Result<Taped4<Self>> {
        model.forward_gpu_f32(x)
    }
    fn forward_scales(
        model: &dyn ErasedCoarseToFine,
        x: Taped4<Self>,
        scales: &[Scale],
    ) -> Result<Taped4<Self>> {
        model.forward_scales_gpu_f32(x, scales)
    }
    fn upload(&self, x: &Image<f32>) -> Dev4<Self> {
        crate::tensor::to_device(x, self)
    }
    fn download(x: &Dev4<Self>) -> Image<f32> {
        crate::tensor::to_cpu(x)
    }
}
