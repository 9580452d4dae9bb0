//! Circular shift of the last two dimensions.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

use crate::error::Result;
use crate::tensor::{Float, Image, Tape};
use crate::Device;

/// The roll kernel of a device: [`roll`]. Call the function, not this method.
pub trait RollKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`roll`] on this device.
    fn roll<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        shift: (isize, isize),
    ) -> Result<Image<E, T, Self>>;
}

/// Rolls the image by `shift = (rows, cols)` with wrap-around, like torch's
/// `x.roll((rows, cols), (-2, -1))`: the pixel at (i, j) moves to (i + rows, j + cols).
/// Differentiable with respect to `x`.
///
/// ```
/// let x = plenoptic::image_from_vec(vec![1.0f32, 2.0, 3.0], &[1, 1, 1, 3]).unwrap();
/// assert_eq!(plenoptic::ops::roll(x, (0, 1)).unwrap().as_vec(), vec![3.0, 1.0, 2.0]);
/// ```
///
/// # Errors
/// [`crate::Error::Backend`] when the GPU fails (never on the CPU).
pub fn roll<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    shift: (isize, isize),
) -> Result<Image<E, T, D>> {
    D::roll(x, shift)
}
