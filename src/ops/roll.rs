//! Circular shift of the last two dimensions.

use dfdx::prelude::Tensor;

use super::{read, record1};
use crate::device::Device;
use crate::error::Result;
use crate::tensor::{dims, Dev, Float, Image, Shape4, Tape};

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

/// The CPU implementation of [`roll`].
pub(crate) fn roll_cpu<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    shift: (isize, isize),
) -> Tensor<Shape4, E, Dev, T> {
    let [b, c, h, w] = dims(&x);
    let src = move |i: usize, j: usize| {
        let r = (i as isize - shift.0).rem_euclid(h as isize) as usize;
        let s = (j as isize - shift.1).rem_euclid(w as isize) as usize;
        r * w + s
    };
    let (x, out) = read(x, |xv| {
        let mut out = vec![E::zero(); xv.len()];
        for p in 0..b * c {
            let o = p * h * w;
            for i in 0..h {
                for j in 0..w {
                    out[o + i * w + j] = xv[o + src(i, j)];
                }
            }
        }
        out
    });
    record1(x, out, (b, c, h, w), move |gy, gx| {
        for p in 0..b * c {
            let o = p * h * w;
            for i in 0..h {
                for j in 0..w {
                    gx[o + src(i, j)] += gy[o + i * w + j];
                }
            }
        }
    })
}
