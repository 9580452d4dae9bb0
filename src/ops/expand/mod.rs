//! Broadcasting of the batch and channel dimensions (torch's `expand` of size-1
//! dimensions), as plenoptic's metrics broadcast two images against each other.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

use crate::error::{Error, Result};
use crate::tensor::{dims, Float, Image, Tape};
use crate::Device;

/// The expand kernel of a device: [`expand`]. Call the function, not this method.
pub trait ExpandKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`expand`] on this device, for a checked target.
    fn expand<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        batch: usize,
        channels: usize,
    ) -> Result<Image<E, T, Self>>;
}

/// Repeats `x` (batch `b`, channels `c`) to `batch` images of `channels` channels, where
/// each of `b`, `c` is either the target or 1 (torch's `expand`). Differentiable: the
/// gradient of the copies is summed back.
///
/// ```
/// let x = plenoptic::image_from_vec(vec![1.0f32, 2.0], &[1, 1, 1, 2])?;
/// let y = plenoptic::ops::expand(x, 2, 3)?;
/// assert_eq!(plenoptic::dims(&y), [2, 3, 1, 2]);
/// assert_eq!(y.as_vec()[10..], [1.0, 2.0]);
/// # Ok::<(), plenoptic::Error>(())
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`] when a dimension is neither the target nor 1.
pub fn expand<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    batch: usize,
    channels: usize,
) -> Result<Image<E, T, D>> {
    let [b, c, h, w] = dims(&x);
    let fits = |n: usize, to: usize| n == to || (n == 1 && to > 0);
    if !fits(b, batch) || !fits(c, channels) {
        return Err(Error::shape_mismatch(
            "batch and channels to expand (each must be the target or 1)",
            [batch, channels, h, w],
            [b, c, h, w],
        ));
    }
    if (b, c) == (batch, channels) {
        return Ok(x);
    }
    D::expand(x, batch, channels)
}
