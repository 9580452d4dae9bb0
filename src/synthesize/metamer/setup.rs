//! [`Setup`]: the initial image and the optimiser of a [`Metamer`].

use dfdx::prelude::{HasShape, TensorFromVec};

use super::builder::check_in_range;
use super::{Metamer, State};
use crate::device::cpu;
use crate::error::{Error, Result};
use crate::simulate::Model;
use crate::synthesize::adam::{AdamOptions, AdamState};
use crate::synthesize::ErasedModel;
use crate::tensor::{check_image, dims, Image};

/// Initial image and optimiser of a [`Metamer`]; finish with [`Setup::run`].
#[must_use = "call .run() to apply the setup"]
pub struct Setup<'a, M: Model> {
    met: &'a mut Metamer<M>,
    initial: Option<Image<f32>>,
    adam: AdamOptions,
}

impl<'a, M: Model> Setup<'a, M> {
    /// The default setup of `met`.
    pub(super) fn new(met: &'a mut Metamer<M>) -> Self {
        Setup {
            met,
            initial: None,
            adam: AdamOptions::default(),
        }
    }

    /// Starts from `image` instead of noise. It must lie in the allowed range, and the
    /// model's representation of it must have the target's shape.
    pub fn initial_image(mut self, image: &Image<f32>) -> Self {
        self.initial = Some(image.clone());
        self
    }
    /// Adam's learning rate (default 0.01).
    pub fn lr(mut self, lr: f64) -> Self {
        self.adam.lr = lr;
        self
    }
    /// Adam's betas (default (0.9, 0.999)).
    pub fn betas(mut self, betas: (f64, f64)) -> Self {
        self.adam.betas = betas;
        self
    }
    /// Adam's eps (default 1e-8).
    pub fn eps(mut self, eps: f64) -> Self {
        self.adam.eps = eps;
        self
    }
    /// AMSGrad on or off (default on, as plenoptic).
    pub fn amsgrad(mut self, on: bool) -> Self {
        self.adam.amsgrad = on;
        self
    }
    /// Every optimiser setting at once.
    pub fn optimizer(mut self, opts: AdamOptions) -> Self {
        self.adam = opts;
        self
    }

    /// Applies the setup.
    ///
    /// # Errors
    /// [`Error::AlreadySetUp`] when the metamer was already set up (setup runs once,
    /// before the first `synthesize`; a loaded metamer is set up);
    /// [`Error::InvalidArgument`] for bad optimiser settings or an initial image outside
    /// the allowed range; [`Error::ShapeMismatch`] when the initial image's representation
    /// does not have the target's shape.
    pub fn run(self) -> Result<()> {
        let met = self.met;
        met.state
            .setup(&met.model, self.initial.as_ref(), self.adam)
    }
}

impl State {
    /// See [`Setup::run`].
    pub(crate) fn setup(
        &mut self,
        model: &dyn ErasedModel,
        initial: Option<&Image<f32>>,
        adam: AdamOptions,
    ) -> Result<()> {
        if self.adam.is_some() {
            return Err(Error::AlreadySetUp { what: "Metamer" });
        }
        adam.validate()?;
        if let Some(init) = initial {
            check_image(init, "initial_image")?;
            check_in_range(&init.as_vec(), self.allowed_range, "initial_image")?;
            let rep = crate::synthesize::erased::apply_f32(model, init)?;
            if dims(&rep) != dims(&self.target) {
                return Err(Error::shape_mismatch(
                    format!(
                        "the representation of the initial image (shape {:?}) against the \
                         target representation",
                        dims(init)
                    ),
                    dims(&self.target),
                    dims(&rep),
                ));
            }
            self.metamer = cpu().tensor_from_vec(init.as_vec(), *init.shape());
        }
        self.adam = Some(AdamState::new(adam, self.metamer.as_vec().len()));
        Ok(())
    }
}
