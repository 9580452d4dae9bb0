//! Reductions to a scalar, kept as 4-D (1, 1, 1, 1) images so they compose with the tape.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

use crate::error::Result;
use crate::tensor::{Float, Image, Tape};
use crate::Device;

/// The reduction kernels of a device: [`sum_squares`] and [`mse`]. Call the functions,
/// not these methods.
pub trait ReduceKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`sum_squares`] on this device.
    fn sum_squares<T: Tape<E, Self>>(x: Image<E, T, Self>) -> Result<Image<E, T, Self>>;
    /// [`mse`] on this device.
    fn mse<T: Tape<E, Self>>(
        a: Image<E, T, Self>,
        b: Image<E, T, Self>,
    ) -> Result<Image<E, T, Self>>;
}

/// Sum of squares of every element, as a (1, 1, 1, 1) image. Differentiable.
///
/// # Errors
/// [`Error::Backend`](crate::Error::Backend) when the GPU fails (never on the CPU).
pub fn sum_squares<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
) -> Result<Image<E, T, D>> {
    D::sum_squares(x)
}

/// Mean squared error between two images of the same shape (mean over every element), as
/// a (1, 1, 1, 1) image. Differentiable with respect to both.
///
/// # Errors
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) when the shapes differ.
pub fn mse<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
) -> Result<Image<E, T, D>> {
    D::mse(a, b)
}
