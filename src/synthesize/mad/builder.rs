//! [`MADCompetitionBuilder`]: the options of a [`MADCompetition`], [`MinMax`], the checks
//! of the image and the metrics (plenoptic's `validate_metric`), and the automatic
//! trade-off weight.

use dfdx::prelude::TensorFromVec;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::objective::metric_value;
use super::{MADCompetition, State};
use crate::device::cpu;
use crate::error::{Error, Result};
use crate::metric::ErasedMetric;
use crate::synthesize::metamer::check_in_range;
use crate::synthesize::optimized::OptimizedSynthesis;
use crate::tensor::{check_image, dims, Image};

/// Whether a [`MADCompetition`] minimizes or maximizes its optimized metric.
///
/// ```
/// use plenoptic::synthesize::{IntoMinMax, MinMax};
/// assert_eq!("max".into_minmax()?, MinMax::Max);
/// assert!("maximize".into_minmax().is_err());
/// assert_eq!(MinMax::Min.sign(), 1.0);
/// assert_eq!(format!("{:<4}|", MinMax::Max), "max |");
/// # Ok::<(), plenoptic::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinMax {
    /// Make the optimized metric as small as possible.
    Min,
    /// Make the optimized metric as large as possible.
    Max,
}

impl MinMax {
    /// `"min"` or `"max"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MinMax::Min => "min",
            MinMax::Max => "max",
        }
    }
    /// The sign of the optimized metric in the objective: 1 to minimize, -1 to maximize.
    pub fn sign(self) -> f64 {
        match self {
            MinMax::Min => 1.0,
            MinMax::Max => -1.0,
        }
    }
}

impl std::fmt::Display for MinMax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// What [`MADCompetition`] accepts as `minmax`: a [`MinMax`], or `"min"` / `"max"`.
/// Sealed.
pub trait IntoMinMax: sealed::Sealed {
    /// The value, or [`Error::InvalidArgument`] for a string that is neither.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a string other than `"min"` and `"max"`.
    fn into_minmax(self) -> Result<MinMax>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::MinMax {}
    impl Sealed for &str {}
    impl Sealed for String {}
}

impl IntoMinMax for MinMax {
    fn into_minmax(self) -> Result<MinMax> {
        Ok(self)
    }
}
impl IntoMinMax for &str {
    fn into_minmax(self) -> Result<MinMax> {
        match self {
            "min" => Ok(MinMax::Min),
            "max" => Ok(MinMax::Max),
            other => Err(Error::invalid(
                "minmax",
                format!("must be one of \"min\", \"max\", but got \"{other}\""),
            )),
        }
    }
}
impl IntoMinMax for String {
    fn into_minmax(self) -> Result<MinMax> {
        self.as_str().into_minmax()
    }
}

/// Options for [`MADCompetition`]; finish with [`MADCompetitionBuilder::build`].
#[must_use = "call .build() to create the MADCompetition"]
pub struct MADCompetitionBuilder<O: ErasedMetric, R: ErasedMetric> {
    image: Image<f32>,
    optimized_metric: O,
    reference_metric: R,
    minmax: Result<MinMax>,
    metric_tradeoff_lambda: Option<f64>,
    range_penalty_lambda: f64,
    allowed_range: (f64, f64),
}

impl<O: ErasedMetric, R: ErasedMetric> MADCompetitionBuilder<O, R> {
    /// plenoptic's defaults: automatic trade-off weight, range penalty 0.1, range (0, 1).
    pub(super) fn new(
        image: Image<f32>,
        optimized_metric: O,
        reference_metric: R,
        minmax: impl IntoMinMax,
    ) -> Self {
        MADCompetitionBuilder {
            image,
            optimized_metric,
            reference_metric,
            minmax: minmax.into_minmax(),
            metric_tradeoff_lambda: None,
            range_penalty_lambda: 0.1,
            allowed_range: (0.0, 1.0),
        }
    }

    /// Weight of the reference metric's squared deviation from its initial value (>= 0).
    /// Default: `10^round(log10(L1 / L2))` for the two metrics between the image and a
    /// uniform noise image from the crate's generator (plenoptic's choice, which brings
    /// the two terms to about the same size).
    pub fn metric_tradeoff_lambda(mut self, lambda: f64) -> Self {
        self.metric_tradeoff_lambda = Some(lambda);
        self
    }

    /// Weight of the range penalty in the objective (default 0.1; 0 turns it off).
    pub fn range_penalty_lambda(mut self, lambda: f64) -> Self {
        self.range_penalty_lambda = lambda;
        self
    }

    /// The range pixel values should stay in (default `(0.0, 1.0)`): the image must lie
    /// in it, the initial image is clipped to it, and the range penalty pulls the MAD
    /// image into it.
    pub fn allowed_range(mut self, range: (f64, f64)) -> Self {
        self.allowed_range = range;
        self
    }

    /// Checks the options, the image and both metrics (as plenoptic's `validate_metric`:
    /// each must return one number for two images of the image's shape, at most 5e-7
    /// for two identical images and never a negative number; checked on noise images
    /// from a fixed generator, so the crate's generator is left alone), and picks the
    /// trade-off weight if none was given.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a `minmax` that is neither `"min"` nor `"max"`, a
    /// negative or non-finite weight, a bad range, an image outside it, or a metric that
    /// is not 0 for identical images or is negative; [`Error::ShapeMismatch`] for a
    /// metric that returns more than one number; [`Error::NonFinite`] for one that
    /// returns NaN or infinity (or a non-finite image); the metrics' own errors.
    pub fn build(self) -> Result<MADCompetition<O, R>> {
        let minmax = self.minmax?;
        check_weight("range_penalty_lambda", self.range_penalty_lambda)?;
        if let Some(l) = self.metric_tradeoff_lambda {
            check_weight("metric_tradeoff_lambda", l)?;
        }
        let (lo, hi) = self.allowed_range;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::invalid(
                "allowed_range",
                format!("must be two finite numbers with min < max, got ({lo}, {hi})"),
            ));
        }
        check_image(&self.image, "image")?;
        check_in_range(&self.image.as_vec(), self.allowed_range, "image")?;
        validate_metric(&self.optimized_metric, &self.image, "optimized_metric")?;
        validate_metric(&self.reference_metric, &self.image, "reference_metric")?;
        let lambda = match self.metric_tradeoff_lambda {
            Some(l) => l,
            None => auto_tradeoff(&self.optimized_metric, &self.reference_metric, &self.image)?,
        };
        Ok(MADCompetition {
            optimized_metric: self.optimized_metric,
            reference_metric: self.reference_metric,
            state: State {
                image: self.image,
                minmax,
                metric_tradeoff_lambda: lambda,
                range_penalty_lambda: self.range_penalty_lambda,
                allowed_range: self.allowed_range,
                initial_image: None,
                mad_image: None,
                reference_metric_target: f64::NAN,
                optimized_metric_loss: Vec::new(),
                reference_metric_loss: Vec::new(),
                adam: None,
                history: OptimizedSynthesis::default(),
            },
        })
    }
}

/// Errors unless `w` is finite and >= 0.
fn check_weight(name: &'static str, w: f64) -> Result<()> {
    if !(w.is_finite() && w >= 0.0) {
        return Err(Error::invalid(
            name,
            format!("must be finite and >= 0, got {w}"),
        ));
    }
    Ok(())
}

/// A uniform noise image of `like`'s shape from `rng`.
fn noise_like(like: &Image<f32>, rng: &mut StdRng) -> Image<f32> {
    let n = like.as_vec().len();
    let v = (0..n).map(|_| rng.gen::<f32>()).collect();
    cpu().tensor_from_vec(v, *dfdx::prelude::HasShape::shape(like))
}

/// plenoptic's `validate_metric` for images shaped like `image`.
fn validate_metric(m: &dyn ErasedMetric, image: &Image<f32>, what: &'static str) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(0x004d_4144);
    let test = noise_like(image, &mut rng);
    let same = metric_value(m, &test, &test, what)?;
    // on a GPU 1 - SSIM of two identical images is 5e-8 (plenoptic's threshold)
    if same > 5e-7 {
        return Err(Error::invalid(
            what,
            format!(
                "a metric must return <= 5e-7 for two identical images (0 means identical; \
                 for a similarity such as SSIM use 1 - SSIM), but {} returned {same}",
                m.name()
            ),
        ));
    }
    for _ in 0..20 {
        let other = noise_like(image, &mut rng);
        let v = metric_value(m, &test, &other, what)?;
        if v < 0.0 {
            return Err(Error::invalid(
                what,
                format!(
                    "a metric must never be negative, but {} returned {v} for two noise \
                     images",
                    m.name()
                ),
            ));
        }
    }
    Ok(())
}

/// plenoptic's default trade-off weight: `10^round(log10(L1 / L2))` between the image and
/// a uniform noise image from the crate's generator.
fn auto_tradeoff(o: &dyn ErasedMetric, r: &dyn ErasedMetric, image: &Image<f32>) -> Result<f64> {
    let other = crate::data::white_noise::<f32>(&dims(image))?;
    let ratio = metric_value(o, image, &other, "optimized_metric")?
        / metric_value(r, image, &other, "reference_metric")?;
    let lambda = 10f64.powf(ratio.log10().round_ties_even());
    if !(lambda.is_finite() && lambda > 0.0) {
        return Err(Error::invalid(
            "metric_tradeoff_lambda",
            format!(
                "could not be chosen automatically (the metrics' ratio on a noise image is \
                 {ratio}): give one"
            ),
        ));
    }
    Ok(lambda)
}
