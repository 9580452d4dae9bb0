//! The seeded backward pass: gradients of every input of `y` for a given `dL/dy`.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

use dfdx::prelude::{Gradients, OwnedTape};

use crate::error::Result;
use crate::tensor::{Float, Image};
use crate::Device;

/// The seeded backward pass of a device: [`backward_with`]. Call the function, not this
/// method.
pub trait BackwardKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`backward_with`] on this device.
    fn backward_with(
        y: Image<E, OwnedTape<E, Self>, Self>,
        seed: Vec<E>,
    ) -> Result<Gradients<E, Self>>;
}

/// Runs the backward pass from `y` seeded with `dL/dy = seed` (row-major, one value per
/// element of `y`) and returns the gradients.
///
/// ```
/// use plenoptic as po;
/// use po::dfdx::prelude::Trace;
/// let x = po::image_from_vec(vec![1.0f64, 2.0], &[1, 1, 1, 2])?;
/// let y = po::ops::map(x.leaky_trace(), |v, _| (v * v, 2.0 * v))?;
/// let grads = po::ops::backward_with(y, vec![1.0, 0.5])?;
/// assert_eq!(grads.get(&x).as_vec(), vec![2.0, 2.0]);
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] for a seed of the wrong length, [`crate::Error::Backend`]
/// when dfdx's backward pass fails.
pub fn backward_with<E: Float, D: Device<E>>(
    y: Image<E, OwnedTape<E, D>, D>,
    seed: Vec<E>,
) -> Result<Gradients<E, D>> {
    D::backward_with(y, seed)
}
