//! [`MadSetup`]: the initial image and the optimiser of a [`MADCompetition`].

use dfdx::prelude::{HasShape, TensorFromVec};

use super::objective::metric_value;
use super::{MADCompetition, State};
use crate::device::cpu;
use crate::error::{Error, Result};
use crate::metric::ErasedMetric;
use crate::synthesize::adam::{AdamOptions, AdamState};
use crate::tensor::{check_image, dims, Image};
use crate::tools::seed::standard_normal;

/// Initial image and optimiser of a [`MADCompetition`]; finish with [`MadSetup::run`].
#[must_use = "call .run() to apply the setup"]
pub struct MadSetup<'a, O: ErasedMetric, R: ErasedMetric> {
    mad: &'a mut MADCompetition<O, R>,
    noise: f64,
    initial: Option<Image<f32>>,
    adam: AdamOptions,
}

impl<'a, O: ErasedMetric, R: ErasedMetric> MadSetup<'a, O, R> {
    /// plenoptic's default setup: noise 0.1, Adam (lr 0.01, AMSGrad).
    pub(super) fn new(mad: &'a mut MADCompetition<O, R>) -> Self {
        MadSetup {
            mad,
            noise: 0.1,
            initial: None,
            adam: AdamOptions::default(),
        }
    }

    /// Standard deviation of the Gaussian noise (from the crate's generator, see
    /// [`crate::tools::set_seed`]) added to the image to make the initial image (default
    /// 0.1; >= 0).
    pub fn initial_noise(mut self, std: f64) -> Self {
        self.noise = std;
        self
    }
    /// Starts from `image` (clipped to the allowed range) instead of the noisy image,
    /// e.g. plenoptic's own initial image to reproduce its run.
    pub fn initial_image(mut self, image: &Image<f32>) -> Self {
        self.initial = Some(image.clone());
        self
    }
    /// Adam's learning rate (default 0.01).
    pub fn lr(mut self, lr: f64) -> Self {
        self.adam.lr = lr;
        self
    }
    /// Every optimiser setting at once.
    pub fn optimizer(mut self, opts: AdamOptions) -> Self {
        self.adam = opts;
        self
    }

    /// Applies the setup: the initial image, the reference metric's target and the first
    /// entries of both metric histories, the optimiser.
    ///
    /// # Errors
    /// [`Error::AlreadySetUp`] when set up before (setup runs once, before the first
    /// `synthesize`; a loaded synthesis is set up); [`Error::InvalidArgument`] for a
    /// negative or non-finite noise or bad optimiser settings; [`Error::ShapeMismatch`]
    /// for an initial image of another shape than the image; the metrics' errors.
    pub fn run(self) -> Result<()> {
        let mad = self.mad;
        mad.state.setup(
            (&mad.optimized_metric, &mad.reference_metric),
            self.noise,
            self.initial.as_ref(),
            self.adam,
        )
    }
}

impl State {
    /// See [`MadSetup::run`].
    pub(super) fn setup(
        &mut self,
        (om, rm): (&dyn ErasedMetric, &dyn ErasedMetric),
        noise: f64,
        initial: Option<&Image<f32>>,
        adam: AdamOptions,
    ) -> Result<()> {
        if self.adam.is_some() {
            return Err(Error::AlreadySetUp {
                what: "MADCompetition",
            });
        }
        adam.validate()?;
        if !(noise.is_finite() && noise >= 0.0) {
            return Err(Error::invalid(
                "initial_noise",
                format!("the noise's standard deviation must be finite and >= 0, got {noise}"),
            ));
        }
        let (lo, hi) = (self.allowed_range.0 as f32, self.allowed_range.1 as f32);
        let v: Vec<f32> = match initial {
            Some(init) => {
                check_image(init, "initial_image")?;
                if dims(init) != dims(&self.image) {
                    return Err(Error::shape_mismatch(
                        "the initial image against the image",
                        dims(&self.image),
                        dims(init),
                    ));
                }
                init.as_vec()
            }
            None => {
                let img = self.image.as_vec();
                let z = standard_normal(img.len());
                // torch's f32 arithmetic: image + noise * randn
                img.iter()
                    .zip(z)
                    .map(|(x, z)| x + noise as f32 * z as f32)
                    .collect()
            }
        };
        let v = v.into_iter().map(|x| x.clamp(lo, hi)).collect();
        let init = cpu().tensor_from_vec(v, *self.image.shape());
        let r = metric_value(rm, &self.image, &init, "reference_metric")?;
        let o = metric_value(om, &self.image, &init, "optimized_metric")?;
        self.reference_metric_target = r;
        self.reference_metric_loss = vec![r];
        self.optimized_metric_loss = vec![o];
        self.adam = Some(AdamState::new(adam, init.as_vec().len()));
        self.initial_image = Some(init.clone());
        self.mad_image = Some(init);
        Ok(())
    }
}
