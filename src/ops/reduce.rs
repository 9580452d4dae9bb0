//! Reductions to a scalar, kept as 4-D (1, 1, 1, 1) images so they compose with the tape.

use dfdx::prelude::Tensor;

use super::{read, record1, record2, values};
use crate::device::Device;
use crate::error::Result;
use crate::tensor::{dims, Dev, Float, Image, Shape4, Tape};

/// Sum of squares of every element, as a (1, 1, 1, 1) image. Differentiable.
///
/// # Errors
/// [`Error::Backend`] when the GPU fails (never on the CPU).
pub fn sum_squares<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
) -> Result<Image<E, T, D>> {
    D::sum_squares(x)
}

/// The CPU implementation of [`sum_squares`].
pub(crate) fn sum_squares_cpu<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
) -> Tensor<Shape4, E, Dev, T> {
    let (x, xv) = values(x);
    // accumulate in f64: a long f32 sum would lose digits
    let s = E::of_f64(xv.iter().fold(0.0f64, |a, v| a + v.as_f64() * v.as_f64()));
    record1(x, vec![s], (1, 1, 1, 1), move |g, gx| {
        let two = g[0] + g[0];
        for (a, v) in gx.iter_mut().zip(&xv) {
            *a += *v * two;
        }
    })
}

/// Mean squared error between two images of the same shape (mean over every element), as
/// a (1, 1, 1, 1) image. Differentiable with respect to both.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ.
pub fn mse<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
) -> Result<Image<E, T, D>> {
    D::mse(a, b)
}

/// The CPU implementation of [`mse`].
pub(crate) fn mse_cpu<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Dev, T>,
    b: Tensor<Shape4, E, Dev, T>,
) -> Result<Tensor<Shape4, E, Dev, T>> {
    super::checks::same_shape("mse of", dims(&a), dims(&b))?;
    let (a, mut diff) = values(a);
    let (b, ()) = read(b, |bv| diff.iter_mut().zip(bv).for_each(|(x, y)| *x -= *y));
    let n = E::from_usize(diff.len()).expect("length fits");
    let s = E::of_f64(
        diff.iter()
            .fold(0.0f64, |acc, d| acc + d.as_f64() * d.as_f64())
            / n.as_f64(),
    );
    let diff = std::sync::Arc::new(diff);
    let diff_b = diff.clone();
    Ok(record2(
        a,
        b,
        vec![s],
        (1, 1, 1, 1),
        move |g, ga| {
            let k = (g[0] + g[0]) / n;
            for (x, d) in ga.iter_mut().zip(diff.iter()) {
                *x += *d * k;
            }
        },
        move |g, gb| {
            let k = (g[0] + g[0]) / n;
            for (x, d) in gb.iter_mut().zip(diff_b.iter()) {
                *x -= *d * k;
            }
        },
    ))
}
