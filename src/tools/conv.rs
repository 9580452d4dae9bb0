//! Convolution helpers: plenoptic's `same_padding`, and the convolution itself.

use dfdx::prelude::Tensor;

use crate::device::Device;
use crate::error::{Error, Result};
pub use crate::ops::{conv2d, conv2d_same, Filter, PadMode};
use crate::tensor::{Float, Shape4, Tape};

/// Pads `x` so that a valid convolution with a kernel of `kernel_size` returns an image of
/// the input's size: `k - 1` pixels per dimension, `floor((k-1)/2)` before and the rest
/// after, as plenoptic's `same_padding` (stride and dilation 1).
///
/// ```
/// use plenoptic::tools::conv::{same_padding, PadMode};
/// let x = plenoptic::image_from_vec(vec![1.0f32, 2.0, 3.0], &[1, 1, 1, 3]).unwrap();
/// let y = same_padding(x, (1, 4), PadMode::Circular).unwrap();
/// assert_eq!(y.as_vec(), vec![3.0, 1.0, 2.0, 3.0, 1.0, 2.0]);
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] for a zero kernel size, [`Error::PaddingTooLarge`] when the
/// mode cannot pad that much.
pub fn same_padding<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    kernel_size: (usize, usize),
    mode: PadMode,
) -> Result<Tensor<Shape4, E, D, T>> {
    let (kh, kw) = kernel_size;
    if kh == 0 || kw == 0 {
        return Err(Error::invalid(
            "kernel_size",
            format!("{kernel_size:?} must be positive"),
        ));
    }
    crate::ops::pad(x, crate::ops::checks::same_pads(kernel_size), mode)
}
