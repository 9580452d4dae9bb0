//! The MAD objective on the CPU (plenoptic's `MADCompetition.objective_function`):
//! `s * L1 + lambda * (target - L2)² + range_lambda * penalty`, its gradient from one
//! seeded backward pass through each metric, combined on the host with f64 sums (as the
//! metamer objective's `cpu.rs`), and the metric values with plenoptic's checks.

use dfdx::prelude::Trace;

use crate::error::{DivergedAt, Error, Result};
use crate::metric::{ErasedMetric, Taped};
use crate::ops::backward_with;
use crate::ops::pool::Pooled;
use crate::ops::tape::read;
use crate::synthesize::autodiff::pooled_grad_of;
use crate::synthesize::objective::{range_penalty, squared_norm};
use crate::tensor::{dims, Image};

/// `m(a, b)` on the tape of both images (`b` traced: its gradient is what synthesis
/// uses), checked to be one number.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the metric returns more than one number; the metric's
/// errors.
pub(crate) fn metric_forward(
    m: &dyn ErasedMetric,
    a: &Image<f32>,
    b: &Image<f32>,
    what: &'static str,
) -> Result<Taped> {
    let (da, db) = (dims(a), dims(b));
    if da != db {
        return Err(Error::shape_mismatch(
            format!("{what}: the two images of a metric"),
            da,
            db,
        ));
    }
    let out = m.forward_f32(a.leaky_trace(), b.leaky_trace())?;
    let d = dims(&out);
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

/// The value of a metric output checked by [`metric_forward`].
pub(crate) fn value_of(out: Taped) -> (Taped, f64) {
    let (out, v) = read(out, |v| v[0] as f64);
    (out, v)
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
    let (_, v) = value_of(metric_forward(m, a, b, what)?);
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

/// The objective's value and gradient at `x`, from the taped metric outputs `(o, r)`
/// computed at `x` by [`metric_forward`]: `(loss, gradient, its L2 norm)`. A non-finite
/// metric value gives a NaN loss and no gradient (the loop stops there).
///
/// # Errors
/// [`Error::Backend`] when a backward pass fails.
pub(crate) fn objective(
    (o, r): (Taped, Taped),
    x: &Image<f32>,
    w: &Weights,
) -> Result<(f64, Option<Pooled<f32>>, f64)> {
    let (o, ov) = value_of(o);
    let (r, rv) = value_of(r);
    if !(ov.is_finite() && rv.is_finite()) {
        return Ok((f64::NAN, None, f64::NAN));
    }
    let mut grads = backward_with(o, vec![w.sign as f32])?;
    let mut g = pooled_grad_of(&mut grads, x)?;
    drop(grads);
    // d/dr of lambda (target - r)^2
    let seed = (2.0 * w.lambda * (rv - w.target)) as f32;
    let mut grads = backward_with(r, vec![seed])?;
    let g2 = pooled_grad_of(&mut grads, x)?;
    drop(grads);
    add_into(&mut g, &g2);
    let (_, pen) = read(x.clone(), |xv| {
        range_penalty(xv, w.range, w.range_lambda, Some(&mut g))
    });
    let norm = squared_norm(&g).sqrt();
    Ok((w.loss(ov, rv, pen), Some(g), norm))
}

/// `g += h`.
fn add_into(g: &mut [f32], h: &[f32]) {
    for (a, b) in g.iter_mut().zip(h) {
        *a += *b;
    }
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
