//! Helpers of the portable kernels on any dfdx device: uploads, the backend's errors, and
//! a device-side count of non-finite values.

use dfdx::prelude::{NoneTape, SumTo, Tensor};
use dfdx::shapes::{Rank0, Shape};
use dfdx::tensor_ops::{Device, TryMul};

use crate::error::{Error, Result};
use crate::tensor::{Float, Shape4};

/// Wraps an error of the tensor backend (a device's `Err`) in the operation `op` as
/// [`Error::Backend`]: `.map_err(backend("conv2d"))`.
pub(crate) fn backend<B: std::fmt::Debug + std::fmt::Display>(
    op: &'static str,
) -> impl FnOnce(B) -> Error {
    move |e| Error::backend(op, e)
}

/// Uploads host values (converted from f64) as a tape-less tensor of shape `shape` on `dev`.
pub(crate) fn upload<E: Float, D: Device<E>, S: Shape>(
    dev: &D,
    v: &[f64],
    shape: S,
) -> Result<Tensor<S, E, D, NoneTape>> {
    upload_e(dev, v.iter().map(|&a| E::of_f64(a)).collect(), shape)
}

/// Uploads host values as a tape-less tensor of shape `shape` on `dev`.
pub(crate) fn upload_e<E: Float, D: Device<E>, S: Shape>(
    dev: &D,
    v: Vec<E>,
    shape: S,
) -> Result<Tensor<S, E, D, NoneTape>> {
    dev.try_tensor_from_vec(v, shape).map_err(backend("upload"))
}

/// How many values of `x` are NaN or infinite, computed on the device (`x * 0` is NaN
/// exactly there, `nans_to(1)` marks them, a sum counts them) with one scalar read back.
pub(crate) fn nonfinite_count<E: Float, D: Device<E>, T>(
    x: &Tensor<Shape4, E, D, T>,
) -> Result<usize> {
    let xd: Tensor<Shape4, E, D, NoneTape> = x.retaped();
    let marks = xd
        .try_mul(E::zero())
        .and_then(|m| m.try_nans_to(1.0))
        .map_err(backend("non-finite count"))?;
    let count = marks
        .try_sum::<Rank0, _>()
        .map_err(backend("non-finite count"))?;
    Ok(count.as_vec()[0].as_f64().round() as usize)
}
