//! [`MetamerBuilder`]: the options of a [`Metamer`], the checks of the image and the model,
//! and the default initial image.

use dfdx::prelude::{HasShape, TensorFromVec};

use super::{Metamer, State};
use crate::device::cpu;
use crate::error::{Error, Result};
use crate::simulate::Model;
use crate::synthesize::autodiff::check_model_f32;
use crate::synthesize::optimized::OptimizedSynthesis;
use crate::synthesize::LossFunction;
use crate::tensor::{check_image, dims, Image};
use crate::tools::signal::rescale_values;

/// Options for [`Metamer`]; finish with [`MetamerBuilder::build`].
#[must_use = "call .build() to create the Metamer"]
pub struct MetamerBuilder<M: Model> {
    image: Image<f32>,
    model: M,
    allowed_range: (f64, f64),
    range_penalty_lambda: f64,
    loss: LossFunction,
}

impl<M: Model> MetamerBuilder<M> {
    /// plenoptic's defaults: allowed range (0, 1), range penalty weight 0.1.
    pub(super) fn new(image: Image<f32>, model: M) -> Self {
        MetamerBuilder {
            image,
            model,
            allowed_range: (0.0, 1.0),
            range_penalty_lambda: 0.1,
            loss: LossFunction::Mse,
        }
    }

    /// The range pixel values should stay in (default `(0.0, 1.0)`): the image must lie
    /// in it, and the range penalty pulls the metamer into it.
    pub fn allowed_range(mut self, range: (f64, f64)) -> Self {
        self.allowed_range = range;
        self
    }

    /// Weight of the range penalty in the objective (default 0.1; 0 turns it off).
    pub fn range_penalty_lambda(mut self, lambda: f64) -> Self {
        self.range_penalty_lambda = lambda;
        self
    }

    /// The loss function comparing the representation with the target representation
    /// (default [`LossFunction::Mse`]; plenoptic's `loss_function`).
    ///
    /// ```
    /// use plenoptic as po;
    /// use po::synthesize::{LossFunction, Metamer};
    /// let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
    /// let model = po::simulate::Gaussian::builder((5, 5)).build()?;
    /// let met = Metamer::builder(img, model).loss_function(LossFunction::L2Norm).build()?;
    /// assert_eq!(met.loss_function().name(), "l2_norm");
    /// # Ok::<(), po::Error>(())
    /// ```
    pub fn loss_function(mut self, loss: LossFunction) -> Self {
        self.loss = loss;
        self
    }

    /// Checks the image and the model, computes the target representation, and draws the
    /// default initial image (uniform noise from the crate's seeded generator, rescaled to
    /// span exactly the allowed range; [`Metamer::setup`] can replace it).
    ///
    /// # Errors
    /// [`Error::NonFinite`] or [`Error::Empty`] for a bad image, [`Error::InvalidArgument`]
    /// for an image outside the allowed range or bad options, [`Error::InvalidModel`] (or
    /// the model's own error) when the model cannot be used.
    pub fn build(self) -> Result<Metamer<M>> {
        self.build_with(true)
    }

    /// `build`, drawing the default initial image only when `draw` is true (a loaded
    /// metamer takes its own from the file and leaves the generator alone).
    pub(crate) fn build_with(self, draw: bool) -> Result<Metamer<M>> {
        check_options(self.allowed_range, self.range_penalty_lambda)?;
        check_image(&self.image, "image")?;
        check_in_range(&self.image.as_vec(), self.allowed_range, "image")?;
        let target = check_model_f32(&self.model, &self.image)?;
        let state = State::new(
            self.image,
            target,
            self.allowed_range,
            self.range_penalty_lambda,
            self.loss,
            draw,
        )?;
        Ok(Metamer {
            model: self.model,
            state,
        })
    }
}

/// Errors unless `range` is a finite interval and `lambda` a finite weight >= 0.
fn check_options((lo, hi): (f64, f64), lambda: f64) -> Result<()> {
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(Error::invalid(
            "allowed_range",
            format!("must be two finite numbers with min < max, got ({lo}, {hi})"),
        ));
    }
    if !(lambda.is_finite() && lambda >= 0.0) {
        return Err(Error::invalid(
            "range_penalty_lambda",
            format!("must be finite and >= 0, got {lambda}"),
        ));
    }
    Ok(())
}

impl State {
    /// A metamer synthesis of the checked `image`, whose representation is `target`,
    /// starting from noise (`draw`) or from the image itself (to be replaced by a load).
    fn new(
        image: Image<f32>,
        target: Image<f32>,
        allowed_range: (f64, f64),
        range_penalty_lambda: f64,
        loss: LossFunction,
        draw: bool,
    ) -> Result<Self> {
        let metamer = if draw {
            let noise = crate::data::white_noise::<f32>(&dims(&image))?.as_vec();
            let (lo, hi) = allowed_range;
            cpu().tensor_from_vec(rescale_values(noise, lo as f32, hi as f32), *image.shape())
        } else {
            image.clone()
        };
        Ok(State {
            image,
            target,
            allowed_range,
            range_penalty_lambda,
            loss,
            metamer,
            adam: None,
            history: OptimizedSynthesis::default(),
        })
    }
}

/// Errors unless every value lies in `range`.
pub(crate) fn check_in_range(v: &[f32], range: (f64, f64), what: &'static str) -> Result<()> {
    let (mn, mx) = min_max(v);
    if (mn as f64) < range.0 || (mx as f64) > range.1 {
        return Err(Error::invalid(
            what,
            format!(
                "values must lie within the allowed range [{}, {}], but span [{mn}, {mx}] \
                 (rescale the image or change allowed_range)",
                range.0, range.1
            ),
        ));
    }
    Ok(())
}

/// The smallest and largest value.
fn min_max(v: &[f32]) -> (f32, f32) {
    v.iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        })
}
