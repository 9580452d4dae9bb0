//! [`MadSynthesize`]: the options of one `synthesize` call, and the MAD iteration on the
//! CPU ([`MadLoop`]), which the shared loop of [`OptimizedSynthesis::run`] drives.
//!
//! Each iteration evaluates both metrics with their tapes at the current image, takes the
//! objective's gradient, steps Adam, then evaluates both metrics at the new image (the
//! values plenoptic records after each step). Those taped evaluations are kept and serve
//! the next iteration's gradient, so an iteration runs each metric forward once, not
//! twice as plenoptic does.

use super::objective::{in_synthesis, metric_forward, objective, objective_value, Weights};
use super::{MADCompetition, State};
use crate::device::Cpu;
use crate::error::{Error, Result};
use crate::metric::{ErasedMetric, Evaluation};
use crate::ops::pool::{loop_cpu, reuse_tensors, Pooled, ReuseTensors};
use crate::synthesize::adam::{adam_step, AdamKernel, AdamState};
use crate::synthesize::optimized::{Iterate, RunOptions};
use crate::tensor::Image;

use dfdx::prelude::HasShape;

/// One call of [`MADCompetition::synthesize`]; set options, then [`MadSynthesize::run`].
#[must_use = "call .run() to synthesize"]
pub struct MadSynthesize<'a, O: ErasedMetric, R: ErasedMetric> {
    mad: &'a mut MADCompetition<O, R>,
    opts: RunOptions,
    /// A refused `store_progress` value, reported by `run`.
    bad_store_progress: Option<Error>,
}

impl<'a, O: ErasedMetric, R: ErasedMetric> MadSynthesize<'a, O, R> {
    /// plenoptic's defaults for up to `max_iter` iterations.
    pub(super) fn new(mad: &'a mut MADCompetition<O, R>, max_iter: usize) -> Self {
        MadSynthesize {
            mad,
            opts: RunOptions::new("MADCompetition", max_iter),
            bad_store_progress: None,
        }
    }

    crate::synthesize::optimized::run_option_setters!("MAD image");

    /// Runs up to `max_iter` iterations (on the CPU), continuing where the previous call
    /// stopped; runs the default setup first if there was none.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for bad options or a `store_progress` that differs from
    /// the previous call's; [`Error::Diverged`] when a metric, the loss, its gradient or
    /// the optimiser's update stops being finite (the MAD image, the optimiser and the
    /// histories keep the state of the last finite iteration); the metrics' errors.
    pub fn run(self) -> Result<()> {
        if let Some(e) = self.bad_store_progress {
            return Err(e);
        }
        let mad = self.mad;
        mad.state
            .synthesize((&mad.optimized_metric, &mad.reference_metric), &self.opts)
    }
}

impl State {
    /// The objective's constants (after setup).
    pub(super) fn weights(&self) -> Weights {
        Weights {
            sign: self.minmax.sign(),
            lambda: self.metric_tradeoff_lambda,
            target: self.reference_metric_target,
            range: self.allowed_range,
            range_lambda: self.range_penalty_lambda,
        }
    }

    /// See [`MADCompetition::objective_function`].
    pub(super) fn objective_function(
        &self,
        om: &dyn ErasedMetric,
        rm: &dyn ErasedMetric,
        x: &Image<f32>,
    ) -> Result<f64> {
        if self.mad_image.is_none() {
            return Err(Error::NotSynthesized {
                what: "the MAD objective (the reference metric's target is set by setup)",
            });
        }
        objective_value((om, rm), &self.image, x, &self.weights())
    }

    /// See [`MadSynthesize::run`].
    fn synthesize(
        &mut self,
        metrics: (&dyn ErasedMetric, &dyn ErasedMetric),
        opts: &RunOptions,
    ) -> Result<()> {
        let every = self.history.check(opts)?;
        if self.adam.is_none() {
            self.setup(metrics, 0.1, None, Default::default())?;
        }
        let w = self.weights();
        let dev = loop_cpu();
        let reuse = reuse_tensors();
        let adam = self.adam.as_mut().expect("set up before running");
        let x = self.mad_image.take().expect("set up before running");
        let shape = *x.shape();
        let moments = dev.load_moments(adam, shape)?;
        let mut lp = MadLoop {
            dev,
            metrics,
            image: &self.image,
            x,
            w,
            moments,
            adam,
            pending: None,
            grad: None,
            optimized: &mut self.optimized_metric_loss,
            reference: &mut self.reference_metric_loss,
            reuse: &reuse,
        };
        let out = self.history.run(&mut lp, opts, every);
        let MadLoop {
            x, moments, adam, ..
        } = lp;
        Cpu::store_moments(moments, adam);
        self.mad_image = Some(x);
        out
    }
}

/// The MAD iterations on the CPU.
struct MadLoop<'a> {
    dev: Cpu,
    metrics: (&'a dyn ErasedMetric, &'a dyn ErasedMetric),
    image: &'a Image<f32>,
    x: Image<f32>,
    w: Weights,
    moments: <Cpu as AdamKernel>::Moments,
    adam: &'a mut AdamState,
    /// Both metrics with their tapes at `x`, from the last update.
    pending: Option<(Evaluation, Evaluation)>,
    /// The gradient of the last `evaluate`.
    grad: Option<<Cpu as AdamKernel>::Grad>,
    optimized: &'a mut Vec<f64>,
    reference: &'a mut Vec<f64>,
    reuse: &'a ReuseTensors,
}

/// Iterations between trims of the reused tensor storage.
const TRIM_EVERY: usize = 64;

impl MadLoop<'_> {
    /// Both metrics with their tapes at `x`.
    fn forward(&self) -> Result<(Evaluation, Evaluation)> {
        let (om, rm) = self.metrics;
        Ok((
            metric_forward(om, self.image, &self.x, "optimized_metric")?,
            metric_forward(rm, self.image, &self.x, "reference_metric")?,
        ))
    }
}

impl Iterate for MadLoop<'_> {
    fn evaluate(&mut self, it: usize) -> Result<(f64, f64)> {
        let taped = match self.pending.take() {
            Some(p) => p,
            None => self.forward().map_err(|e| in_synthesis(e, it))?,
        };
        let (loss, g, norm) = objective(taped, &self.x, &self.w)?;
        self.grad = g.map(|g| to_grad(g, &self.x));
        Ok((loss, norm))
    }

    fn update(&mut self, it: usize) -> Result<f64> {
        let g = self.grad.take().expect("evaluated before the update");
        if it % TRIM_EVERY == TRIM_EVERY - 1 {
            self.reuse.trim();
        }
        let change = adam_step(&self.dev, self.adam, &mut self.x, &mut self.moments, &g, it)?;
        // the metrics at the new image: recorded now (as plenoptic), differentiated in the
        // next iteration; a failure here shows again (as an error) in the next evaluate
        let (o, r) = match self.forward() {
            Ok((o, r)) => {
                let (ov, rv) = (o.value(), r.value());
                self.pending = Some((o, r));
                (ov, rv)
            }
            Err(_) => (f64::NAN, f64::NAN),
        };
        self.optimized.push(o);
        self.reference.push(r);
        Ok(change)
    }

    fn image(&mut self) -> Image<f32> {
        self.x.clone()
    }
}

/// A host gradient as the CPU's Adam kernel takes it.
#[cfg(not(feature = "portable-cpu"))]
fn to_grad(g: Pooled<f32>, _x: &Image<f32>) -> Pooled<f32> {
    g
}

/// A host gradient as the CPU's Adam kernel takes it (the portable one: a tensor).
#[cfg(feature = "portable-cpu")]
fn to_grad(g: Pooled<f32>, x: &Image<f32>) -> Image<f32> {
    use dfdx::prelude::TensorFromVec;
    crate::device::cpu().tensor_from_vec(g.into_vec(), *x.shape())
}
