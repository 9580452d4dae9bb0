//! Channel selection and per-pixel masks.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

pub(crate) use portable::select_channels as select_channels_portable;

use std::ops::Range;

use crate::error::Result;
use crate::tensor::{Float, Image, Tape};
use crate::Device;

/// The channel kernels of a device: [`select_channels`] and [`mask`]. Call the functions,
/// not these methods.
pub trait ChannelsKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`select_channels`] on this device.
    fn select_channels<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        range: Range<usize>,
    ) -> Result<Image<E, T, Self>>;
    /// [`mask`] on this device.
    fn mask<T: Tape<E, Self>>(x: Image<E, T, Self>, mask: &[f64]) -> Result<Image<E, T, Self>>;
}

/// The channels `range` of `x`, as a new image (batch, range.len(), h, w). Differentiable
/// (the gradient flows back into those channels only). To use the other channels too,
/// select them from `x.with_empty_tape()` (dfdx's `WithEmptyTape`) and combine the results
/// with a two-input op, so both gradients reach `x`.
///
/// ```
/// let x = plenoptic::image_from_vec(vec![1.0f32, 2.0, 3.0], &[1, 3, 1, 1]).unwrap();
/// let y = plenoptic::ops::select_channels(x, 1..3).unwrap();
/// assert_eq!(y.as_vec(), vec![2.0, 3.0]);
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for an empty range or one past the last channel.
pub fn select_channels<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    range: Range<usize>,
) -> Result<Image<E, T, D>> {
    D::select_channels(x, range)
}

/// Multiplies every (height, width) plane of `x` by `mask` (row-major, `h * w` values),
/// e.g. the disk of [`crate::tools::make_disk`]. Differentiable with respect to `x`.
///
/// ```
/// let x = plenoptic::image_from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 1, 1, 2]).unwrap();
/// let y = plenoptic::ops::mask(x, &[0.5, 1.0]).unwrap();
/// assert_eq!(y.as_vec(), vec![0.5, 2.0, 1.5, 4.0]);
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) when `mask` does not have `h * w` values.
pub fn mask<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    mask: &[f64],
) -> Result<Image<E, T, D>> {
    D::mask(x, mask)
}
