//! Metrics as trait objects: [`ErasedMetric`], the object-safe face of [`Metric`] that MAD
//! competition takes (its loop is compiled once, in the crate), and [`from_fn`], which
//! makes one from a closure over taped f32 CPU images (plenoptic's tutorial passes
//! `lambda *args: 1 - ssim(*args)`).
//!
//! **One id space per evaluation.** The evcxr kernel links the crate and dfdx into every
//! notebook cell's library, so each cell has its own copy of dfdx's tensor-id counter
//! (ids key the gradients and order the tape's backward operations). A metric made in
//! one cell (a closure, or `Ssim::dissimilarity`) and run by a synthesis in a later cell
//! would mix two counters on one tape: ids collide, backward runs out of order, and the
//! gradient reaching the image is wrong (it arrived as zero). So a synthesis never hands a
//! metric taped tensors: it calls [`ErasedMetric::evaluate_f32`] with plain images, and the
//! metric's own code (compiled where the metric was made: [`from_fn`] builds it in the
//! caller's copy) makes fresh taped copies, runs the forward pass and, later, the backward
//! pass ([`Evaluation::add_gradient`]), all with one counter.

use std::rc::Rc;

use dfdx::prelude::{HasShape, OwnedTape, Trace};

use crate::device::Cpu;
use crate::error::{Error, Result};
use crate::metric::Metric;
use crate::ops::backward_with;
use crate::ops::pool;
use crate::ops::tape::read;
use crate::tensor::{dims, Image};

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
    /// The metric at the images `a` and `b`, with its gradient with respect to `b` to
    /// come: what synthesis uses. The taped copies of the images, the forward pass and
    /// the backward pass all run in the metric's own code (see the module's docs: a
    /// metric made in one notebook cell works in a synthesis run in another).
    ///
    /// ```
    /// use plenoptic as po;
    /// use po::metric::{ErasedMetric, Mse};
    /// let a = po::image_from_vec(vec![0.0f32, 0.0], &[1, 1, 1, 2])?;
    /// let b = po::image_from_vec(vec![3.0f32, 4.0], &[1, 1, 1, 2])?;
    /// let e = Mse.evaluate_f32(&a, &b)?;
    /// assert_eq!((e.dims(), e.value()), ([1, 1, 1, 1], 12.5));
    /// let mut g = vec![0.0f32; 2];
    /// e.add_gradient(2.0, &mut g)?; // 2 * d/db of mean((a - b)^2) = 2 * (b - a)
    /// assert_eq!(g, vec![6.0, 8.0]);
    /// # Ok::<(), po::Error>(())
    /// ```
    ///
    /// # Errors
    /// The metric's errors.
    fn evaluate_f32(&self, a: &Image<f32>, b: &Image<f32>) -> Result<Evaluation>;
}

impl<M: Metric> ErasedMetric for M {
    fn name(&self) -> String {
        std::any::type_name::<M>().to_string()
    }
    fn forward_f32(&self, a: Taped, b: Taped) -> Result<Taped> {
        self.forward(a, b)
    }
    fn evaluate_f32(&self, a: &Image<f32>, b: &Image<f32>) -> Result<Evaluation> {
        evaluate_with(&|a, b| self.forward(a, b), a, b)
    }
}

/// A metric evaluated at two images by [`ErasedMetric::evaluate_f32`]: its output's shape
/// and first value, and its backward pass, kept for [`Evaluation::add_gradient`].
pub struct Evaluation {
    dims: [usize; 4],
    value: f64,
    warnings: Vec<String>,
    gradient: Box<GradientFn>,
}

/// The backward pass an [`Evaluation`] keeps: `(seed, into)` adds `seed` times the gradient.
type GradientFn = dyn FnOnce(f32, &mut [f32]) -> Result<()>;

impl std::fmt::Debug for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluation")
            .field("dims", &self.dims)
            .field("value", &self.value)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

impl Evaluation {
    /// The shape of the metric's output.
    pub fn dims(&self) -> [usize; 4] {
        self.dims
    }
    /// The metric's output (its first element; NaN for an empty output).
    pub fn value(&self) -> f64 {
        self.value
    }
    /// The warnings the metric issued (recorded, not printed: the metric's code may belong
    /// to another notebook cell, whose [`crate::warnings::ignore`] would not see a
    /// synthesis' call; synthesis issues them again in its own).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
    /// Adds `seed` times the gradient of the output's sum with respect to the second
    /// image into `into` (row-major, the image's length), running the backward pass.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `into` is not the image's length;
    /// [`Error::Backend`] when the backward pass fails.
    pub fn add_gradient(self, seed: f32, into: &mut [f32]) -> Result<()> {
        (self.gradient)(seed, into)
    }
}

/// A copy of `x` with a tensor id of this copy of dfdx (its storage from the pool while a
/// synthesis loop of this copy reuses tensors).
fn fresh(x: &Image<f32>) -> Image<f32> {
    let (_, v) = read(x.clone(), |s| {
        let mut v = pool::take(s.len());
        v.copy_from_slice(s);
        v
    });
    pool::output(v, *x.shape())
}

/// `f` at fresh taped copies of `a` and `b`, as an [`Evaluation`] (non-generic: it runs in
/// the copy of the crate its caller belongs to, the one `f`'s operations use).
fn evaluate_with(
    f: &dyn Fn(Taped, Taped) -> Result<Taped>,
    a: &Image<f32>,
    b: &Image<f32>,
) -> Result<Evaluation> {
    let b = fresh(b);
    let (out, warnings) = crate::warnings::catch(|| f(fresh(a).leaky_trace(), b.leaky_trace()));
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            crate::warnings::reissue(warnings);
            return Err(e);
        }
    };
    let (out, value) = read(out, |v| v.first().map_or(f64::NAN, |v| f64::from(*v)));
    let d = dims(&out);
    let gradient = move |seed: f32, into: &mut [f32]| {
        let n = d.iter().product();
        let mut grads = backward_with(out, vec![seed; n])?;
        let g = grads
            .get_or_alloc_mut(&b)
            .map_err(|e| Error::backend("gradient read-back", e))?;
        if g.len() != into.len() {
            return Err(Error::shape_mismatch(
                "the gradient buffer of a metric",
                [g.len()],
                [into.len()],
            ));
        }
        for (t, v) in into.iter_mut().zip(g.iter()) {
            *t += *v;
        }
        Ok(())
    };
    Ok(Evaluation {
        dims: d,
        value,
        warnings,
        gradient: Box::new(gradient),
    })
}

/// A metric made from a closure by [`from_fn`] (one type for every closure, so a
/// notebook can keep it, and syntheses using it, in variables).
#[derive(Clone)]
pub struct FnMetric {
    f: Rc<MetricClosure>,
    /// [`ErasedMetric::evaluate_f32`] of `f`, built by [`from_fn`] in its caller's copy of
    /// the crate (the one `f` runs its operations in).
    eval: Rc<EvalClosure>,
    name: String,
}

/// The closures [`from_fn`] takes.
type MetricClosure = dyn Fn(Taped, Taped) -> Result<Taped>;

/// [`ErasedMetric::evaluate_f32`] of a [`FnMetric`].
type EvalClosure = dyn Fn(&Image<f32>, &Image<f32>) -> Result<Evaluation>;

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
    let f: Rc<MetricClosure> = Rc::new(f);
    let g = Rc::clone(&f);
    FnMetric {
        f,
        // (this closure is compiled with the caller's: see the module's docs)
        eval: Rc::new(move |a: &Image<f32>, b: &Image<f32>| evaluate_with(&*g, a, b)),
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
    fn evaluate_f32(&self, a: &Image<f32>, b: &Image<f32>) -> Result<Evaluation> {
        (self.eval)(a, b)
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
            crate::ops::pointwise::inlined::map(s, |v, _| (1.0 - v, -1.0))
        })
        .named("1-SSIM")
    }
}
