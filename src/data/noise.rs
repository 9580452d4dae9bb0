//! Noise images.

use rand::Rng;

use crate::error::Result;
use crate::tensor::{check_shape4, image_from_vec, Float, Image};
use crate::tools::seed::with_rng;

/// Uniform white noise in [0, 1) of a 4-D `shape`, drawn from the crate's seeded
/// generator (see [`crate::tools::set_seed`]), like `torch.rand`.
///
/// # Errors
/// A shape that is not 4-D or has a zero-sized dimension.
pub fn white_noise<E: Float>(shape: &[usize]) -> Result<Image<E>> {
    check_shape4(shape, "noise image")?;
    let n = shape.iter().product();
    let v = with_rng(|r| (0..n).map(|_| E::of_f64(r.gen::<f64>())).collect());
    image_from_vec(v, shape)
}
