//! Reductions to a scalar, kept as 4-D (1, 1, 1, 1) images so they compose with the tape.

use dfdx::prelude::Tensor;

use super::{record1, record2};
use crate::error::{Error, Result};
use crate::tensor::{dims, Dev, Float, Shape4, Tape};

/// Sum of squares of every element, as a (1, 1, 1, 1) image. Differentiable.
pub fn sum_squares<E: Float, T: Tape<E>>(x: Tensor<Shape4, E, Dev, T>) -> Tensor<Shape4, E, Dev, T> {
    let xv = x.as_vec();
    let s = xv.iter().fold(E::zero(), |a, v| a + *v * *v);
    record1(x, vec![s], (1, 1, 1, 1), move |g| {
        let two = g[0] + g[0];
        xv.iter().map(|v| *v * two).collect()
    })
}

/// Mean squared error between two images of the same shape (mean over every element), as
/// a (1, 1, 1, 1) image. Differentiable with respect to both.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ.
pub fn mse<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Dev, T>,
    b: Tensor<Shape4, E, Dev, T>,
) -> Result<Tensor<Shape4, E, Dev, T>> {
    if dims(&a) != dims(&b) {
        return Err(Error::ShapeMismatch(format!(
            "mse of shapes {:?} and {:?}",
            dims(&a),
            dims(&b)
        )));
    }
    let diff: Vec<E> = a.as_vec().iter().zip(b.as_vec()).map(|(x, y)| *x - y).collect();
    let n = E::from_usize(diff.len()).expect("length fits");
    let s = diff.iter().fold(E::zero(), |acc, d| acc + *d * *d) / n;
    Ok(record2(a, b, vec![s], (1, 1, 1, 1), move |g| {
        let k = (g[0] + g[0]) / n;
        let ga: Vec<E> = diff.iter().map(|d| *d * k).collect();
        let gb = ga.iter().map(|v| -*v).collect();
        (ga, gb)
    }))
}
