//! Distances between images, as plenoptic's `tools.optim` computes them (plain numbers;
//! the differentiable loss for synthesis is [`crate::ops::mse`]).

use dfdx::prelude::{Cpu, NoneTape, Tensor};

use crate::error::{Error, Result};
use crate::tensor::{check_shape4, dims, Float, Shape4};

/// The squared differences of two images of the same shape, summed in f64.
fn sum_sq_diff<E: Float, T, U>(
    a: &Tensor<Shape4, E, Cpu, T>,
    b: &Tensor<Shape4, E, Cpu, U>,
    what: &str,
) -> Result<(f64, usize)> {
    let (da, db) = (dims(a), dims(b));
    if da != db {
        return Err(Error::shape_mismatch(
            format!("{what} of two images"),
            da,
            db,
        ));
    }
    check_shape4(&da, "image")?;
    let (va, vb) = (a.as_vec(), b.as_vec());
    let s = va
        .iter()
        .zip(&vb)
        .map(|(x, y)| (x.as_f64() - y.as_f64()).powi(2))
        .sum();
    Ok((s, va.len()))
}

/// Euclidean distance `sqrt(sum((a - b)^2))` over every element (plenoptic's `l2_norm`).
///
/// ```
/// let a = plenoptic::image_from_vec(vec![0.0f32, 0.0], &[1, 1, 1, 2])?;
/// let b = plenoptic::image_from_vec(vec![3.0f32, 4.0], &[1, 1, 1, 2])?;
/// assert_eq!(plenoptic::tools::l2_norm(&a, &b)?, 5.0);
/// # Ok::<(), plenoptic::Error>(())
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ, [`Error::Empty`] for empty images.
pub fn l2_norm<E: Float, T, U>(
    a: &Tensor<Shape4, E, Cpu, T>,
    b: &Tensor<Shape4, E, Cpu, U>,
) -> Result<f64> {
    Ok(sum_sq_diff(a, b, "l2_norm")?.0.sqrt())
}

/// Mean squared error `mean((a - b)^2)` over every element (plenoptic's `mse`).
///
/// ```
/// let a = plenoptic::image_from_vec(vec![0.0f32, 0.0], &[1, 1, 1, 2])?;
/// let b = plenoptic::image_from_vec(vec![3.0f32, 4.0], &[1, 1, 1, 2])?;
/// assert_eq!(plenoptic::tools::mse(&a, &b)?, 12.5);
/// # Ok::<(), plenoptic::Error>(())
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ, [`Error::Empty`] for empty images.
pub fn mse<E: Float, T, U>(
    a: &Tensor<Shape4, E, Cpu, T>,
    b: &Tensor<Shape4, E, Cpu, U>,
) -> Result<f64>
where
    Cpu: crate::Device<E>,
{
    let (da, db) = (dims(a), dims(b));
    if da != db {
        return Err(Error::shape_mismatch("mse of two images", da, db));
    }
    check_shape4(&da, "image")?;
    // the differentiable op's value: one MSE in the crate
    let m = crate::ops::mse(a.retaped::<NoneTape>(), b.retaped::<NoneTape>())?;
    Ok(m.as_vec()[0].as_f64())
}
