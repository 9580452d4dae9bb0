//! Channel selection and per-pixel masks.

use std::ops::Range;

use dfdx::prelude::Tensor;

use super::{read, record1, values};
use crate::device::Device;
use crate::error::Result;
use crate::tensor::{dims, Dev, Float, Image, Shape4, Tape};

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
/// [`Error::InvalidArgument`] for an empty range or one past the last channel.
pub fn select_channels<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    range: Range<usize>,
) -> Result<Image<E, T, D>> {
    D::select_channels(x, range)
}

/// The CPU implementation of [`select_channels`].
pub(crate) fn select_channels_cpu<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    range: Range<usize>,
) -> Result<Tensor<Shape4, E, Dev, T>> {
    let [b, c, h, w] = dims(&x);
    super::checks::channel_range(&range, c)?;
    let (k, plane) = (range.end - range.start, h * w);
    let (x, out) = read(x, |xv| {
        let mut out = Vec::with_capacity(b * k * plane);
        for bi in 0..b {
            out.extend_from_slice(
                &xv[(bi * c + range.start) * plane..(bi * c + range.end) * plane],
            );
        }
        out
    });
    Ok(record1(x, out, (b, k, h, w), move |gy, gx| {
        for bi in 0..b {
            let dst = &mut gx[(bi * c + range.start) * plane..(bi * c + range.end) * plane];
            for (a, g) in dst
                .iter_mut()
                .zip(&gy[bi * k * plane..(bi + 1) * k * plane])
            {
                *a += *g;
            }
        }
    }))
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
/// [`Error::ShapeMismatch`] when `mask` does not have `h * w` values.
pub fn mask<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    mask: &[f64],
) -> Result<Image<E, T, D>> {
    D::mask(x, mask)
}

/// The CPU implementation of [`mask`].
pub(crate) fn mask_cpu<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    mask: &[f64],
) -> Result<Tensor<Shape4, E, Dev, T>> {
    let [b, c, h, w] = dims(&x);
    super::checks::mask_fits(mask, h, w)?;
    let m: Vec<E> = mask.iter().map(|&v| E::of_f64(v)).collect();
    let (x, mut out) = values(x);
    for plane in out.chunks_mut(h * w) {
        plane.iter_mut().zip(&m).for_each(|(v, k)| *v *= *k);
    }
    Ok(record1(x, out, (b, c, h, w), move |gy, gx| {
        for (gxp, gyp) in gx.chunks_mut(h * w).zip(gy.chunks(h * w)) {
            for ((a, g), k) in gxp.iter_mut().zip(gyp).zip(&m) {
                *a += *g * *k;
            }
        }
    }))
}
