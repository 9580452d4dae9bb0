//! Metrics as trait objects: [`ErasedMetric`], the object-safe face of [`Metric`] that MAD
//! competition takes (its loop is compiled once, in the crate), and [`from_fn`], which
//! makes one from a closure over taped f32 CPU images (plenoptic's tutorial passes
//! `lambda *args: 1 - ssim(*args)`).

use std::rc::Rc;

use dfdx::prelude::OwnedTape;

use crate::device::Cpu;
use crate::error::Result;
use crate::metric::Metric;
use crate::tensor::Image;

/// A taped f32 CPU image, what [`ErasedMetric`] and [`from_fn`]'s closures take.
pub type Taped = Image<f32, OwnedTape<f32, Cpu>>;

/// The f32 CPU face of a metric, what [`crate::synthesize::MADCompetition`] uses: its taped
/// forward pass and a name for figures. Implemented for every `M: Metric` and for the
/// closures of [`from_fn`] (never implement it by hand).
///
/// ```
/// use plenoptic as po;
/// use po::dfdx::prelude::Trace;
/// use po::metric::ErasedMetric;
/// let m = po::metric::from_fn(|a, b| po::ops::mse(a, b)).named("MSE");
/// let erased: &dyn ErasedMetric = &m;
/// let a = po::image_from_vec(vec![0.0f32, 0.0], &[1, 1, 1, 2])?;
/// let b = po::image_from_vec(vec![3.0f32, 4.0], &[1, 1, 1, 2])?;
/// let d = erased.forward_f32(a.leaky_trace(), b.leaky_trace())?;
/// assert_eq!((erased.name(), po::to_cpu(&d).as_vec()), ("MSE".to_string(), vec![12.5]));
/// # Ok::<(), po::Error>(())
/// ```
pub trait ErasedMetric {
    /// The metric's name: its type's name, or the one given to [`FnMetric::named`]
    /// (titles of figures; loading compares it, module paths aside).
    fn name(&self) -> String;
    /// The metric between the taped f32 CPU images `a` and `b`.
    ///
    /// # Errors
    /// The metric's errors.
    fn forward_f32(&self, a: Taped, b: Taped) -> Result<Taped>;
}

impl<M: Metric> ErasedMetric for M {
    fn name(&self) -> String {
        std::any::type_name::<M>().to_string()
    }
    fn forward_f32(&self, a: Taped, b: Taped) -> Result<Taped> {
        self.forward(a, b)
    }
}

/// A metric made from a closure by [`from_fn`] (one type for every closure, so a
/// notebook can keep it, and syntheses using it, in variables).
#[derive(Clone)]
pub struct FnMetric {
    f: Rc<MetricClosure>,
    name: String,
}

/// The closures [`from_fn`] takes.
type MetricClosure = dyn Fn(Taped, Taped) -> Result<Taped>;

impl std::fmt::Debug for FnMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnMetric")
            .field("name", &self.name)
            .finish()
    }
}

impl FnMetric {
    /// The same metric under `name` (default `metric`).
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

/// A metric from a closure of two taped f32 CPU images returning their distance (0 for
/// identical images), e.g. one minus SSIM. The closure must record its result on the
/// tape of its inputs (build it with the crate's ops), so gradients reach the images.
///
/// ```
/// use plenoptic as po;
/// use po::dfdx::prelude::Trace;
/// use po::metric::ErasedMetric;
/// // the root mean squared error
/// let rmse = po::metric::from_fn(|a, b| po::ops::map(po::ops::mse(a, b)?, |v, _| {
///     (v.sqrt(), 0.5 / v.sqrt())
/// }))
/// .named("RMSE");
/// let a = po::image_from_vec(vec![0.0f32, 0.0], &[1, 1, 1, 2])?;
/// let b = po::image_from_vec(vec![3.0f32, 4.0], &[1, 1, 1, 2])?;
/// let d = rmse.forward_f32(a.leaky_trace(), b.leaky_trace())?;
/// assert!((po::to_cpu(&d).as_vec()[0] - 12.5f32.sqrt()).abs() < 1e-6);
/// # Ok::<(), po::Error>(())
/// ```
pub fn from_fn(f: impl Fn(Taped, Taped) -> Result<Taped> + 'static) -> FnMetric {
    FnMetric {
        f: Rc::new(f),
        name: "metric".into(),
    }
}

impl ErasedMetric for FnMetric {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn forward_f32(&self, a: Taped, b: Taped) -> Result<Taped> {
        (self.f)(a, b)
    }
}

impl crate::metric::Ssim {
    /// `1 - SSIM` with these options, as a MAD competition metric named `1-SSIM` (SSIM is
    /// a similarity; MAD competition takes distances). Its code is compiled in the crate,
    /// so a notebook cell that uses it compiles no tensor code of its own.
    ///
    /// ```
    /// use plenoptic as po;
    /// use po::dfdx::prelude::Trace;
    /// use po::metric::ErasedMetric;
    /// let d = po::metric::Ssim { weighted: true, pad: Some(po::PadMode::Reflect) }.dissimilarity();
    /// let a = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
    /// let same = d.forward_f32(a.leaky_trace(), a.leaky_trace())?;
    /// assert!(po::to_cpu(&same).as_vec()[0].abs() < 1e-5);
    /// # Ok::<(), po::Error>(())
    /// ```
    pub fn dissimilarity(self) -> FnMetric {
        from_fn(move |a, b| {
            let s = Metric::forward(&self, a, b)?;
            crate::ops::map(s, |v, _| (1.0 - v, -1.0))
        })
        .named("1-SSIM")
    }
}
