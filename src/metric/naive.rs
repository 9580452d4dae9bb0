//! Mean squared error per image and channel (plenoptic's `metric.mse`).

use super::pair::{broadcast_pair, plane_mean};
use super::Metric;
use crate::device::Device;
use crate::error::Result;
use crate::ops::pointwise::inlined::map2;
use crate::tensor::{Float, Image, Tape};

/// Mean squared error over height and width, one value per batch element and channel
/// (plenoptic's `po.metric.mse`; batch and channel broadcast as its other metrics).
///
/// ```
/// use plenoptic as po;
/// use po::metric::{Metric, Mse};
/// let a = po::image_from_vec(vec![0.0f32, 0.0], &[1, 1, 1, 2])?;
/// let b = po::image_from_vec(vec![3.0f32, 4.0], &[1, 1, 1, 2])?;
/// assert_eq!(Mse.forward(a, b)?.as_vec(), vec![12.5]);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Mse;

impl Metric for Mse {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        a: Image<E, T, D>,
        b: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let (a, b) = broadcast_pair(a, b, "mse")?;
        let two = E::of_f64(2.0);
        let sq = map2(a, b, move |x, y, _| {
            let d = x - y;
            (d * d, two * d, -two * d)
        })?;
        plane_mean(sq)
    }
}

/// [`Mse`] of two images: shape (batch, channel, 1, 1).
///
/// ```
/// let a = plenoptic::image_from_vec(vec![0.0f32, 0.0], &[1, 1, 1, 2])?;
/// let b = plenoptic::image_from_vec(vec![3.0f32, 4.0], &[1, 1, 1, 2])?;
/// assert_eq!(plenoptic::metric::mse(&a, &b)?.as_vec(), vec![12.5]);
/// # Ok::<(), plenoptic::Error>(())
/// ```
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] for sizes that do not broadcast.
pub fn mse(a: &Image<f32>, b: &Image<f32>) -> Result<Image<f32>> {
    Mse.forward(a.clone(), b.clone())
}
