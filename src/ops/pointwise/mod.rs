//! Element-wise maps with their derivatives, fused into one tape entry each, and torch's
//! softplus.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;
mod softplus;

pub(crate) use portable::softplus as softplus_portable;
pub use softplus::softplus;

use crate::error::Result;
use crate::tensor::{Float, Image, Tape};
use crate::Device;

/// The element-wise kernels of a device: [`map`], [`map2`] and [`map2_halves`]. Call the
/// functions, not these methods.
pub trait PointwiseKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`map`] on this device.
    fn map<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        f: impl Fn(E, usize) -> (E, E) + Sync,
    ) -> Result<Image<E, T, Self>>;
    /// [`map2`] on this device.
    fn map2<T: Tape<E, Self>>(
        a: Image<E, T, Self>,
        b: Image<E, T, Self>,
        f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
    ) -> Result<Image<E, T, Self>>;
    /// [`map2_halves`] on this device.
    fn map2_halves<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
    ) -> Result<Image<E, T, Self>>;
    /// [`map`] with `f` compiled into the loop (see [`inlined`]); the same as `map` but
    /// on the CPU.
    #[doc(hidden)]
    fn map_inlined<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        f: impl Fn(E, usize) -> (E, E) + Sync,
    ) -> Result<Image<E, T, Self>> {
        Self::map(x, f)
    }
    /// [`map2`] with `f` compiled into the loop (see [`inlined`]).
    #[doc(hidden)]
    fn map2_inlined<T: Tape<E, Self>>(
        a: Image<E, T, Self>,
        b: Image<E, T, Self>,
        f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
    ) -> Result<Image<E, T, Self>> {
        Self::map2(a, b, f)
    }
}

/// The crate's own element-wise maps: as [`map`] and [`map2`], with the closure compiled
/// into the CPU's loop, so a simple closure vectorises. The public functions call the
/// closure through a pointer from loops compiled once in this crate instead: the loops
/// run at full speed in a notebook cell built with little optimisation, at the price of
/// one call per element (ms_ssim, built from these maps, took 15-20% longer that way).
pub(crate) mod inlined {
    use super::{Device, Float, Image, Result, Tape};

    /// [`super::map`], the closure inlined.
    pub(crate) fn map<E: Float, D: Device<E>, T: Tape<E, D>>(
        x: Image<E, T, D>,
        f: impl Fn(E, usize) -> (E, E) + Sync,
    ) -> Result<Image<E, T, D>> {
        D::map_inlined(x, f)
    }

    /// [`super::map2`], the closure inlined.
    pub(crate) fn map2<E: Float, D: Device<E>, T: Tape<E, D>>(
        a: Image<E, T, D>,
        b: Image<E, T, D>,
        f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
    ) -> Result<Image<E, T, D>> {
        D::map2_inlined(a, b, f)
    }
}

/// Applies `f` to every element. `f(value, channel)` returns the output and its derivative
/// with respect to the input; the channel index lets a map use per-channel parameters.
///
/// ```
/// use plenoptic::ops::map;
/// let x = plenoptic::image_from_vec(vec![1.0f64, 2.0], &[1, 1, 1, 2]).unwrap();
/// let y = map(x, |v, _| (v * v, 2.0 * v)).unwrap();
/// assert_eq!(y.as_vec(), vec![1.0, 4.0]);
/// ```
///
/// On the GPU, `f` runs on the host: the values come to the CPU and the results go back
/// (value and derivative), which costs two copies.
///
/// # Errors
/// [`Error::Backend`](crate::Error::Backend) when the GPU fails (never on the CPU).
pub fn map<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    f: impl Fn(E, usize) -> (E, E) + Sync,
) -> Result<Image<E, T, D>> {
    D::map(x, f)
}

/// Combines two images of the same shape element by element. `f(a, b, channel)` returns
/// the output and its derivatives with respect to `a` and `b`.
///
/// # Errors
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) when the shapes differ.
pub fn map2<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
    f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
) -> Result<Image<E, T, D>> {
    D::map2(a, b, f)
}

/// Combines the first and the second half of the channels element by element: for an
/// image of `2k` channels, output channel `c < k` is `f(x[c], x[k + c], c)`, where `f`
/// returns the output and its derivatives with respect to both arguments. Models use it to
/// combine two filter outputs computed by one convolution (for example a centre-surround
/// response and the local luminance that divides it).
///
/// ```
/// use plenoptic::ops::map2_halves;
/// let x = plenoptic::image_from_vec(vec![6.0f64, 8.0, 2.0, 4.0], &[1, 2, 1, 2]).unwrap();
/// let y = map2_halves(x, |a, b, _| (a / b, 1.0 / b, -a / (b * b))).unwrap();
/// assert_eq!(y.as_vec(), vec![3.0, 2.0]);
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) when the number of channels is odd.
pub fn map2_halves<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
) -> Result<Image<E, T, D>> {
    D::map2_halves(x, f)
}
