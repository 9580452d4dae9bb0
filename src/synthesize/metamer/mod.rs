//! Model metamers: images whose model representation matches that of a target image.
//!
//! [`Metamer<M>`] is a thin generic wrapper: it owns the model and forwards every call to
//! the non-generic [`State`], which holds the model as `&dyn ErasedModel`, so the
//! machinery (the loop, Adam, progress, saving) is compiled once, in the crate.

pub(crate) mod builder;
pub(crate) mod persist;
mod run;
mod setup;

use std::path::Path;

pub(crate) use builder::check_in_range;
pub use builder::MetamerBuilder;
pub use run::Synthesize;
pub use setup::Setup;

use super::adam::{AdamOptions, AdamState};
use super::loss::LossFunction;
use super::optimized::OptimizedSynthesis;
use super::LoadTolerance;
use crate::error::Result;
use crate::simulate::Model;
use crate::tensor::{dims, Image};

/// Synthesizes a model metamer of an image, as plenoptic's `Metamer`: starting from an
/// initial image (uniform noise by default), Adam changes its pixels until the model's
/// representation of it matches that of the target image.
///
/// The objective is the loss function (by default the mean squared error over every
/// element of the representation; see [`MetamerBuilder::loss_function`]) plus
/// `range_penalty_lambda` (0.1) times the sum of squared distances of the pixels outside
/// the allowed range ([0, 1]). A batch of images is one optimisation: the i-th metamer
/// matches the i-th image.
///
/// ```
/// use plenoptic as po;
/// let img = po::data::white_noise::<f32>(&[1, 1, 32, 32])?;
/// let model = po::simulate::Gaussian::builder((5, 5)).pad_mode(po::PadMode::Circular).build()?;
/// let mut met = po::synthesize::Metamer::new(img, model)?;
/// met.synthesize(20).store_progress(true).progress(false).run()?;
/// met.synthesize(30).store_progress(true).progress(false).run()?; // resumes
/// assert_eq!(met.losses().len(), 50);
/// assert!(met.losses()[49] < met.losses()[0]);
/// assert_eq!(met.saved_metamer().len(), 50);
/// # Ok::<(), po::Error>(())
/// ```
pub struct Metamer<M: Model> {
    pub(crate) model: M,
    pub(crate) state: State,
}

/// Everything of a metamer synthesis but the model: what the non-generic code works on.
pub(crate) struct State {
    pub(crate) image: Image<f32>,
    pub(crate) target: Image<f32>,
    pub(crate) allowed_range: (f64, f64),
    pub(crate) range_penalty_lambda: f64,
    pub(crate) loss: LossFunction,
    pub(crate) metamer: Image<f32>,
    /// `None` until set up.
    pub(crate) adam: Option<AdamState>,
    pub(crate) history: OptimizedSynthesis,
}

impl<M: Model> std::fmt::Debug for Metamer<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.state;
        f.debug_struct("Metamer")
            .field("image_shape", &dims(&s.image))
            .field("target_shape", &dims(&s.target))
            .field("allowed_range", &s.allowed_range)
            .field("range_penalty_lambda", &s.range_penalty_lambda)
            .field("loss_function", &s.loss)
            .field("iterations", &s.history.losses.len())
            .field("loss", &s.history.losses.last())
            .field("stored", &s.history.saved.len())
            .finish()
    }
}

impl<M: Model> Metamer<M> {
    /// A metamer synthesis of `image` (batch, channel, height, width; values in [0, 1])
    /// for `model`, with plenoptic's defaults. See [`Metamer::builder`] for options.
    ///
    /// # Errors
    /// As [`MetamerBuilder::build`].
    pub fn new(image: Image<f32>, model: M) -> Result<Self> {
        Self::builder(image, model).build()
    }

    /// Options: allowed range and range penalty weight.
    ///
    /// ```
    /// use plenoptic as po;
    /// let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
    /// let model = po::simulate::Gaussian::builder((5, 5)).build()?;
    /// let met = po::synthesize::Metamer::builder(img, model)
    ///     .allowed_range((0.0, 2.0)).range_penalty_lambda(0.5).build()?;
    /// assert_eq!(met.allowed_range(), (0.0, 2.0));
    /// # Ok::<(), po::Error>(())
    /// ```
    pub fn builder(image: Image<f32>, model: M) -> MetamerBuilder<M> {
        MetamerBuilder::new(image, model)
    }

    /// Sets the initial image and the optimiser (once, before the first `synthesize`;
    /// `synthesize` runs the default setup itself when this is not called).
    ///
    /// ```
    /// # use plenoptic as po;
    /// # let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
    /// # let init = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
    /// # let model = po::simulate::Gaussian::builder((5, 5)).build()?;
    /// let mut met = po::synthesize::Metamer::new(img, model)?;
    /// met.setup().initial_image(&init).lr(0.007).run()?;
    /// assert!(met.setup().run().is_err()); // only once
    /// # Ok::<(), po::Error>(())
    /// ```
    pub fn setup(&mut self) -> Setup<'_, M> {
        Setup::new(self)
    }

    /// Synthesis for up to `max_iter` more iterations; chain options, then `.run()`:
    /// `met.synthesize(500).stop_criterion(1e-7).run()?`.
    pub fn synthesize(&mut self, max_iter: usize) -> Synthesize<'_, M> {
        Synthesize::new(self, max_iter)
    }

    /// The objective at `image`: the loss function between its representation and the
    /// target plus
    /// `range_penalty_lambda` times its range penalty (what [`Metamer::losses`] records,
    /// computed the same way, on the current device).
    ///
    /// # Errors
    /// The model's errors, or [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) when the representation's shape
    /// differs from the target's.
    pub fn objective_function(&self, image: &Image<f32>) -> Result<f64> {
        self.state.objective_function(&self.model, image)
    }

    /// The target image.
    pub fn image(&self) -> &Image<f32> {
        &self.state.image
    }
    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }
    /// The model's representation of the target image.
    pub fn target_representation(&self) -> &Image<f32> {
        &self.state.target
    }
    /// The current metamer (before any synthesis: the image synthesis starts from).
    pub fn metamer(&self) -> &Image<f32> {
        &self.state.metamer
    }
    /// The loss before each iteration so far.
    pub fn losses(&self) -> &[f64] {
        &self.state.history.losses
    }
    /// L2 norm of the gradient at each iteration.
    pub fn gradient_norm(&self) -> &[f64] {
        &self.state.history.gradient_norm
    }
    /// L2 norm of the change of the metamer at each iteration.
    pub fn pixel_change_norm(&self) -> &[f64] {
        &self.state.history.pixel_change_norm
    }
    /// The stored metamers in progress, each of the image's shape, taken before
    /// iterations `saved_iterations()`.
    pub fn saved_metamer(&self) -> &[Image<f32>] {
        &self.state.history.saved
    }
    /// The iteration of each stored metamer: `saved_metamer()[i]` is the image whose loss
    /// is `losses()[saved_iterations()[i]]`.
    pub fn saved_iterations(&self) -> &[usize] {
        &self.state.history.saved_iterations
    }
    /// Every how many iterations progress is stored (`None`: not stored).
    pub fn store_progress(&self) -> Option<usize> {
        Some(self.state.history.store_progress?.count()).filter(|n| *n > 0)
    }
    /// The allowed pixel range.
    pub fn allowed_range(&self) -> (f64, f64) {
        self.state.allowed_range
    }
    /// The weight of the range penalty.
    pub fn range_penalty_lambda(&self) -> f64 {
        self.state.range_penalty_lambda
    }
    /// The loss function comparing the representations.
    pub fn loss_function(&self) -> &LossFunction {
        &self.state.loss
    }
    /// The optimiser settings (`None` before setup).
    pub fn optimizer_options(&self) -> Option<AdamOptions> {
        self.state.adam.as_ref().map(|a| a.opts)
    }

    /// Saves the whole state (image, target representation, metamer, losses, norms,
    /// stored progress, optimiser settings and moments, range options) to `path`, in the
    /// archive format described in the [`crate::synthesize`] module documentation.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.state.save(&self.model, path.as_ref())
    }

    /// Loads a metamer saved with [`Metamer::save`], for `model`: the image, options and
    /// the whole synthesis state come from the file, and `synthesize` continues exactly
    /// where the saved one stopped.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) when the file cannot be read; [`Error::Load`](crate::Error::Load) when it is not a saved
    /// metamer, is damaged ([`crate::LoadError::Corrupt`], `Truncated`, ...), of another
    /// format version, or `model` is not the model it was saved with (another type name,
    /// or its output on the saved image differs from the saved target representation in
    /// shape or values: [`crate::LoadError::Mismatch`]).
    pub fn load(path: impl AsRef<Path>, model: M) -> Result<Self> {
        Self::load_with(path, model, LoadTolerance::default())
    }

    /// [`Metamer::load`] comparing the model's output with tolerances `tol`.
    ///
    /// # Errors
    /// As [`Metamer::load`].
    pub fn load_with(path: impl AsRef<Path>, model: M, tol: LoadTolerance) -> Result<Self> {
        persist::load(path.as_ref(), model, tol)
    }

    /// Restores the state saved in `path` into this freshly built metamer, after checking
    /// that the file was saved with the same image, model, allowed range and range
    /// penalty (plenoptic's `Metamer.load`).
    ///
    /// # Errors
    /// [`Error::Load`](crate::Error::Load) when this metamer has already been set up or synthesized, or when
    /// image, model output, allowed range or range penalty differ from the saved ones;
    /// the errors of [`Metamer::load`].
    pub fn restore(&mut self, path: impl AsRef<Path>) -> Result<()> {
        self.restore_with(path, LoadTolerance::default())
    }

    /// [`Metamer::restore`] comparing the image and the model's output with tolerances
    /// `tol`.
    ///
    /// # Errors
    /// As [`Metamer::restore`].
    pub fn restore_with(&mut self, path: impl AsRef<Path>, tol: LoadTolerance) -> Result<()> {
        self.state.restore(&self.model, path.as_ref(), tol)
    }
}
