//! The MAD objective on the CPU (plenoptic's `MADCompetition.objective_function`):
//! `s * L1 + lambda * (target - L2)² + range_lambda * penalty`, its gradient from one
//! seeded backward pass through each metric, added into one host buffer, and the metric
//! values with plenoptic's checks. Metrics are evaluated through
//! [`ErasedMetric::evaluate_f32`], never handed taped tensors (see `metric::erased`).

use crate::error::{DivergedAt, Error, Result};
use crate::metric::{ErasedMetric, Evaluation};
use crate::ops::pool::{self, Pooled};
use crate::ops::tape::read;
use crate::synthesize::objective::{range_penalty, squared_norm};
use crate::tensor::{dims, Image};

/// `m(a, b)` with its gradient with respect to `b` to come, checked to be one number.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the metric returns more than one number; the metric's
/// errors.
pub(crate) fn metric_forward(
    m: &dyn ErasedMetric,
    a: &Image<f32>,
    b: &Image<f32>,
    what: &'static str,
) -> Result<Evaluation> {
    let (da, db) = (dims(a), dims(b));
    if da != db {
        return Err(Error::shape_mismatch(
            format!("{what}: the two images of a metric"),
            da,
            db,
        ));
    }
    let out = m.evaluate_f32(a, b)?;
    crate::warnings::reissue(out.warnings().to_vec());
    let d = out.dims();
    if d.iter().product::<usize>() != 1 {
        return Err(Error::shape_mismatch(
            format!(
                "{what} ({}) output: MAD competition needs one number per pair of images \
                 (average a per-channel or per-batch metric)",
                m.name()
            ),
            [1, 1, 1, 1],
            d,
        ));
    }
    Ok(out)
}

/// `m(a, b)` as a number.
///
/// # Errors
/// As [`metric_forward`]; [`Error::NonFinite`] when the value is NaN or infinite.
pub(crate) fn metric_value(
    m: &dyn ErasedMetric,
    a: &Image<f32>,
    b: &Image<f32>,
    what: &'static str,
) -> Result<f64> {
    let v = metric_forward(m, a, b, what)?.value();
    if !v.is_finite() {
        return Err(Error::NonFinite {
            what: format!("{what} ({}) output", m.name()),
            count: 1,
        });
    }
    Ok(v)
}

/// The constants of the objective.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Weights {
    /// 1 to minimize the optimized metric, -1 to maximize it.
    pub sign: f64,
    /// `metric_tradeoff_lambda`.
    pub lambda: f64,
    /// The reference metric's value at the initial image.
    pub target: f64,
    /// The allowed pixel range.
    pub range: (f64, f64),
    /// `range_penalty_lambda`.
    pub range_lambda: f64,
}

impl Weights {
    /// The objective for metric values `o` (optimized) and `r` (reference) and range
    /// penalty `pen`.
    pub fn loss(&self, o: f64, r: f64, pen: f64) -> f64 {
        self.sign * o + self.lambda * (self.target - r).powi(2) + self.range_lambda * pen
    }
}

/// The objective's value and gradient at `x`, from the metric evaluations `(o, r)` at `x`
/// by [`metric_forward`]: `(loss, gradient, its L2 norm)`. A non-finite metric value gives
/// a NaN loss and no gradient (the loop stops there).
///
/// # Errors
/// [`Error::Backend`] when a backward pass fails.
pub(crate) fn objective(
    (o, r): (Evaluation, Evaluation),
    x: &Image<f32>,
    w: &Weights,
) -> Result<(f64, Option<Pooled<f32>>, f64)> {
    let (ov, rv) = (o.value(), r.value());
    if !(ov.is_finite() && rv.is_finite()) {
        return Ok((f64::NAN, None, f64::NAN));
    }
    let mut g = pool::take::<f32>(dims(x).iter().product());
    g.fill(0.0);
    o.add_gradient(w.sign as f32, &mut g)?;
    // d/dr of lambda (target - r)^2
    r.add_gradient((2.0 * w.lambda * (rv - w.target)) as f32, &mut g)?;
    let (_, pen) = read(x.clone(), |xv| {
        range_penalty(xv, w.range, w.range_lambda, Some(&mut g))
    });
    let norm = squared_norm(&g).sqrt();
    Ok((w.loss(ov, rv, pen), Some(g), norm))
}

/// The objective at `x` without a gradient.
///
/// # Errors
/// As [`metric_value`].
pub(crate) fn objective_value(
    (om, rm): (&dyn ErasedMetric, &dyn ErasedMetric),
    image: &Image<f32>,
    x: &Image<f32>,
    w: &Weights,
) -> Result<f64> {
    let o = metric_value(om, image, x, "optimized_metric")?;
    let r = metric_value(rm, image, x, "reference_metric")?;
    let (_, pen) = read(x.clone(), |xv| range_penalty(xv, w.range, 0.0, None));
    Ok(w.loss(o, r, pen))
}

/// A metric's error during synthesis at iteration `it`: non-finite values inside a metric
/// mean the synthesis diverged.
pub(crate) fn in_synthesis(e: Error, it: usize) -> Error {
    match e {
        Error::NonFinite { .. } => Error::Diverged {
            iteration: it,
            at: DivergedAt::Model,
        },
        e => e,
    }
}
