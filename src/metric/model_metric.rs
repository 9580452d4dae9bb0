//! Any [`Model`] as a metric (plenoptic's `model_metric`): the root mean squared
//! difference of the two images' representations.

use super::Metric;
use crate::device::Device;
use crate::error::Result;
use crate::ops::mse;
use crate::ops::pointwise::inlined::map;
use crate::simulate::Model;
use crate::tensor::{Float, Image, Tape};

/// `sqrt(mean((M(a) - M(b))²) + 1e-10)` over every element of the representations
/// (plenoptic's `model_metric(x, y, model)`): shape (1, 1, 1, 1), one value for the whole
/// batch, as plenoptic.
///
/// ```
/// use plenoptic as po;
/// use po::metric::{Metric, ModelMetric};
/// let model = po::simulate::Gaussian::builder((5, 5)).std(1.0).build()?;
/// let a = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
/// let d = ModelMetric(model).forward(a.clone(), a)?;
/// assert!((d.as_vec()[0] - 1e-5).abs() < 1e-7);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ModelMetric<M: Model>(pub M);

impl<M: Model> Metric for ModelMetric<M> {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        a: Image<E, T, D>,
        b: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let ra = self.0.forward(a)?;
        let rb = self.0.forward(b)?;
        let eps = E::of_f64(1e-10);
        let two = E::of_f64(2.0);
        map(mse(ra, rb)?, move |v, _| {
            let r = (v + eps).sqrt();
            (r, (two * r).recip())
        })
    }
}

/// [`ModelMetric`] of two f32 images (plenoptic's `model_metric(x, y, model)`).
///
/// # Errors
/// Whatever the model refuses, and [`crate::Error::ShapeMismatch`] when the two
/// representations differ in shape.
pub fn model_metric<M: Model>(a: &Image<f32>, b: &Image<f32>, model: &M) -> Result<Image<f32>> {
    ModelMetric(model).forward(a.clone(), b.clone())
}
