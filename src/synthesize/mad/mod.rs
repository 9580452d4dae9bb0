//! Maximum differentiation (MAD) competition: images that one metric rates as different
//! from a reference image as possible (or as close as possible) while another metric's
//! rating stays where the initial noisy image put it.
//!
//! [`MADCompetition<O, R>`] is a thin generic wrapper: it owns the two metrics and forwards
//! every call to the non-generic [`State`], which takes them as `&dyn ErasedMetric`, so the
//! machinery (the loop, Adam, progress, saving) is compiled once, in the crate.

mod builder;
mod objective;
mod persist;
mod run;
mod setup;

use std::path::Path;

pub use builder::{IntoMinMax, MADCompetitionBuilder, MinMax};
pub use run::MadSynthesize;
pub use setup::MadSetup;

use super::adam::{AdamOptions, AdamState};
use super::optimized::OptimizedSynthesis;
use super::LoadTolerance;
use crate::error::Result;
use crate::metric::ErasedMetric;
use crate::tensor::{dims, Image};

/// Synthesizes one maximally differentiating image for two metrics, as plenoptic's
/// `MADCompetition`: starting from the reference image plus Gaussian noise, Adam changes
/// the pixels to minimize or maximize `optimized_metric(image, mad_image)` while keeping
/// `reference_metric(image, mad_image)` at its value for the initial image.
///
/// The objective (plenoptic's) is
/// `s * L1(x, x̂) + metric_tradeoff_lambda * (L2(x, x0) - L2(x, x̂))² +
/// range_penalty_lambda * penalty(x̂)`, with `s = 1` to minimize and `-1` to maximize,
/// `L1` the optimized metric, `L2` the reference metric, `x` the image, `x0` the initial
/// image, `x̂` the MAD image and `penalty` the sum of squared distances of the pixels
/// outside the allowed range. Each metric is a function of two images returning one
/// number ([`crate::metric::Metric`] types or closures through
/// [`crate::metric::from_fn`]), 0 for identical images. A full MAD set takes four
/// syntheses: the minimum and the maximum of each metric with the other held.
///
/// ```
/// use plenoptic as po;
/// use po::synthesize::MADCompetition;
/// po::tools::set_seed(0);
/// let img = po::data::white_noise::<f32>(&[1, 1, 32, 32])?;
/// let mse = po::metric::from_fn(|a, b| po::ops::mse(a, b)).named("MSE");
/// let ssd = po::metric::from_fn(|a, b| {
///     po::ops::map(po::ops::mse(a, b)?, |v, _| (1024.0 * v, 1024.0))
/// }).named("SSD");
/// let mut mad = MADCompetition::builder(img, mse, ssd, "max")
///     .metric_tradeoff_lambda(1.0)
///     .build()?;
/// mad.setup().initial_noise(0.1).run()?;
/// mad.synthesize(5).store_progress(true).progress(false).run()?;
/// assert_eq!((mad.losses().len(), mad.optimized_metric_loss().len()), (5, 6));
/// assert_eq!(mad.saved_mad_image().len(), 5);
/// # Ok::<(), po::Error>(())
/// ```
pub struct MADCompetition<O: ErasedMetric, R: ErasedMetric> {
    optimized_metric: O,
    reference_metric: R,
    state: State,
}

/// Everything of a MAD synthesis but the metrics: what the non-generic code works on.
pub(crate) struct State {
    image: Image<f32>,
    minmax: MinMax,
    metric_tradeoff_lambda: f64,
    range_penalty_lambda: f64,
    allowed_range: (f64, f64),
    /// The noisy image synthesis started from (`None` until set up).
    initial_image: Option<Image<f32>>,
    /// The current MAD image (`None` until set up).
    mad_image: Option<Image<f32>>,
    /// The reference metric at the initial image, which synthesis holds.
    reference_metric_target: f64,
    optimized_metric_loss: Vec<f64>,
    reference_metric_loss: Vec<f64>,
    /// `None` until set up.
    adam: Option<AdamState>,
    history: OptimizedSynthesis,
}

impl<O: ErasedMetric, R: ErasedMetric> std::fmt::Debug for MADCompetition<O, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.state;
        f.debug_struct("MADCompetition")
            .field("image_shape", &dims(&s.image))
            .field("optimized_metric", &self.optimized_metric.name())
            .field("reference_metric", &self.reference_metric.name())
            .field("minmax", &s.minmax)
            .field("metric_tradeoff_lambda", &s.metric_tradeoff_lambda)
            .field("iterations", &s.history.losses.len())
            .field("loss", &s.history.losses.last())
            .field("stored", &s.history.saved.len())
            .finish()
    }
}

impl<O: ErasedMetric, R: ErasedMetric> MADCompetition<O, R> {
    /// A MAD synthesis of `image` (batch, channel, height, width; values in [0, 1]) that
    /// minimizes or maximizes (`minmax`: [`MinMax`], `"min"` or `"max"`)
    /// `optimized_metric` while holding `reference_metric`, with plenoptic's defaults
    /// (the trade-off weight chosen from the two metrics' ratio on a noise image). See
    /// [`MADCompetition::builder`] for options.
    ///
    /// # Errors
    /// As [`MADCompetitionBuilder::build`].
    pub fn new(
        image: Image<f32>,
        optimized_metric: O,
        reference_metric: R,
        minmax: impl IntoMinMax,
    ) -> Result<Self> {
        Self::builder(image, optimized_metric, reference_metric, minmax).build()
    }

    /// Options: `metric_tradeoff_lambda`, `range_penalty_lambda`, `allowed_range`.
    pub fn builder(
        image: Image<f32>,
        optimized_metric: O,
        reference_metric: R,
        minmax: impl IntoMinMax,
    ) -> MADCompetitionBuilder<O, R> {
        MADCompetitionBuilder::new(image, optimized_metric, reference_metric, minmax)
    }

    /// Sets the initial image (the image plus Gaussian noise of standard deviation
    /// `initial_noise`, 0.1 by default, clipped to the allowed range) and the optimiser;
    /// once, before the first `synthesize`, which runs the default setup itself when this
    /// is not called.
    pub fn setup(&mut self) -> MadSetup<'_, O, R> {
        MadSetup::new(self)
    }

    /// Synthesis for up to `max_iter` more iterations; chain options, then `.run()`.
    pub fn synthesize(&mut self, max_iter: usize) -> MadSynthesize<'_, O, R> {
        MadSynthesize::new(self, max_iter)
    }

    /// The objective at `mad_image` (what [`MADCompetition::losses`] records).
    ///
    /// # Errors
    /// [`crate::Error::NotSynthesized`] before setup (the reference metric's target is
    /// not known), [`crate::Error::ShapeMismatch`] for an image of another shape, the
    /// metrics' errors.
    pub fn objective_function(&self, mad_image: &Image<f32>) -> Result<f64> {
        self.state
            .objective_function(&self.optimized_metric, &self.reference_metric, mad_image)
    }

    /// The reference image.
    pub fn image(&self) -> &Image<f32> {
        &self.state.image
    }
    /// The metric minimized or maximized.
    pub fn optimized_metric(&self) -> &O {
        &self.optimized_metric
    }
    /// The metric held constant.
    pub fn reference_metric(&self) -> &R {
        &self.reference_metric
    }
    /// Whether the optimized metric is minimized or maximized.
    pub fn minmax(&self) -> MinMax {
        self.state.minmax
    }
    /// The weight of the reference metric's squared deviation in the objective.
    pub fn metric_tradeoff_lambda(&self) -> f64 {
        self.state.metric_tradeoff_lambda
    }
    /// The weight of the range penalty.
    pub fn range_penalty_lambda(&self) -> f64 {
        self.state.range_penalty_lambda
    }
    /// The allowed pixel range.
    pub fn allowed_range(&self) -> (f64, f64) {
        self.state.allowed_range
    }
    /// The noisy image synthesis started from (`None` before setup).
    pub fn initial_image(&self) -> Option<&Image<f32>> {
        self.state.initial_image.as_ref()
    }
    /// The current MAD image (`None` before setup).
    pub fn mad_image(&self) -> Option<&Image<f32>> {
        self.state.mad_image.as_ref()
    }
    /// The reference metric between the image and the initial image: the value synthesis
    /// holds (`None` before setup).
    pub fn reference_metric_target(&self) -> Option<f64> {
        self.state.mad_image.as_ref()?;
        Some(self.state.reference_metric_target)
    }
    /// The objective before each iteration so far.
    pub fn losses(&self) -> &[f64] {
        &self.state.history.losses
    }
    /// L2 norm of the objective's gradient at each iteration.
    pub fn gradient_norm(&self) -> &[f64] {
        &self.state.history.gradient_norm
    }
    /// L2 norm of the change of the MAD image at each iteration.
    pub fn pixel_change_norm(&self) -> &[f64] {
        &self.state.history.pixel_change_norm
    }
    /// `optimized_metric(image, mad_image)`: entry 0 at the initial image, entry `i` after
    /// iteration `i` (one more entry than [`MADCompetition::losses`]).
    pub fn optimized_metric_loss(&self) -> &[f64] {
        &self.state.optimized_metric_loss
    }
    /// `reference_metric(image, mad_image)`, entries as
    /// [`MADCompetition::optimized_metric_loss`].
    pub fn reference_metric_loss(&self) -> &[f64] {
        &self.state.reference_metric_loss
    }
    /// The stored MAD images in progress, taken before iterations `saved_iterations()`.
    pub fn saved_mad_image(&self) -> &[Image<f32>] {
        &self.state.history.saved
    }
    /// The iteration of each stored MAD image.
    pub fn saved_iterations(&self) -> &[usize] {
        &self.state.history.saved_iterations
    }
    /// Every how many iterations progress is stored (`None`: not stored).
    pub fn store_progress(&self) -> Option<usize> {
        Some(self.state.history.store_progress?.count()).filter(|n| *n > 0)
    }
    /// The optimiser settings (`None` before setup).
    pub fn optimizer_options(&self) -> Option<AdamOptions> {
        self.state.adam.as_ref().map(|a| a.opts)
    }

    /// Saves the whole state (image, options, initial and MAD images, the metrics' names
    /// and values at the MAD image, the histories, stored progress, the optimiser) to
    /// `path`, in the archive format of the [`crate::synthesize`] module documentation
    /// (kind `MADCompetition`).
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the file cannot be written; the metrics' errors.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.state.save(
            &self.optimized_metric,
            &self.reference_metric,
            path.as_ref(),
        )
    }

    /// Loads a synthesis saved with [`MADCompetition::save`], for these two metrics: the
    /// image, the options and the synthesis state come from the file, and `synthesize`
    /// continues where the saved one stopped.
    ///
    /// # Errors
    /// [`crate::Error::Io`], [`crate::Error::Load`] when the file is not a saved MAD
    /// competition, is damaged, or the metrics differ from the saved ones (name, or value
    /// at the saved MAD image: [`crate::LoadError::Mismatch`] of `optimized_metric` /
    /// `reference_metric` (names) or `optimized_metric output` / `reference_metric
    /// output` (values)).
    pub fn load(path: impl AsRef<Path>, optimized_metric: O, reference_metric: R) -> Result<Self> {
        Self::load_with(
            path,
            optimized_metric,
            reference_metric,
            LoadTolerance::default(),
        )
    }

    /// [`MADCompetition::load`] comparing values with tolerances `tol`.
    ///
    /// # Errors
    /// As [`MADCompetition::load`].
    pub fn load_with(
        path: impl AsRef<Path>,
        optimized_metric: O,
        reference_metric: R,
        tol: LoadTolerance,
    ) -> Result<Self> {
        persist::load(path.as_ref(), optimized_metric, reference_metric, tol)
    }

    /// Restores the state saved in `path` into this freshly built synthesis, after
    /// checking that the file was saved with the same image, minmax, trade-off weight,
    /// range penalty, allowed range and metrics (plenoptic's `MADCompetition.load`).
    ///
    /// # Errors
    /// [`crate::Error::Load`] ([`crate::LoadError::NotFresh`] when this synthesis was set
    /// up or ran, [`crate::LoadError::Mismatch`] naming what differs); as
    /// [`MADCompetition::load`].
    pub fn restore(&mut self, path: impl AsRef<Path>) -> Result<()> {
        self.restore_with(path, LoadTolerance::default())
    }

    /// [`MADCompetition::restore`] comparing values with tolerances `tol`.
    ///
    /// # Errors
    /// As [`MADCompetition::restore`].
    pub fn restore_with(&mut self, path: impl AsRef<Path>, tol: LoadTolerance) -> Result<()> {
        self.state.restore(
            &self.optimized_metric,
            &self.reference_metric,
            path.as_ref(),
            tol,
        )
    }
}
