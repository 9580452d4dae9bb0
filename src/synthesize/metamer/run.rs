//! [`Synthesize`]: the options of one `synthesize` call, and the metamer's iteration on a
//! device ([`MetamerLoop`], generic over `D: SynthDevice`), which the shared loop of
//! [`OptimizedSynthesis::run`] drives.

use super::{Metamer, State};
use crate::device::Kind;
use crate::error::{DivergedAt, Error, Result};
use crate::ops::pool::{reuse_tensors, ReuseTensors};
use crate::simulate::Model;
use crate::synthesize::adam::{adam_step, AdamKernel, AdamState};
use crate::synthesize::device::{Dev4, SynthDevice};
use crate::synthesize::optimized::{Iterate, RunOptions, StoreProgress};
use crate::synthesize::{ErasedModel, LossFunction};
use crate::tensor::{dims, Image};

use dfdx::prelude::{HasShape, Trace};

/// One call of [`Metamer::synthesize`]; set options, then [`Synthesize::run`].
#[must_use = "call .run() to synthesize"]
pub struct Synthesize<'a, M: Model> {
    met: &'a mut Metamer<M>,
    opts: RunOptions,
    /// A refused `store_progress` value, reported by `run`.
    bad_store_progress: Option<Error>,
}

impl<'a, M: Model> Synthesize<'a, M> {
    /// plenoptic's defaults for up to `max_iter` iterations.
    pub(super) fn new(met: &'a mut Metamer<M>, max_iter: usize) -> Self {
        Synthesize {
            met,
            opts: RunOptions::new("Metamer", max_iter),
            bad_store_progress: None,
        }
    }

    crate::synthesize::optimized::run_option_setters!("metamer");

    /// Runs up to `max_iter` iterations, continuing where the previous call stopped.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for bad options or a `store_progress` that differs from
    /// the previous call's; [`Error::Diverged`] when the model's output, the loss, its
    /// gradient or the optimiser's update stops being finite (the metamer, the optimiser
    /// and the history keep the state of the last finite iteration); the model's errors.
    pub fn run(self) -> Result<()> {
        if let Some(e) = self.bad_store_progress {
            return Err(e);
        }
        let met = self.met;
        met.state.synthesize(&met.model, &self.opts)
    }
}

impl State {
    /// See [`Synthesize::run`].
    fn synthesize(&mut self, model: &dyn ErasedModel, opts: &RunOptions) -> Result<()> {
        let every = self.history.check(opts)?;
        if self.adam.is_none() {
            self.setup(model, None, Default::default())?;
        }
        match crate::device::current() {
            // this thread's loop device: its tensors reuse their storage (ops::pool)
            Kind::Cpu => self.run_on(&crate::ops::pool::loop_cpu(), model, opts, every),
            #[cfg(feature = "cuda")]
            Kind::Cuda => self.run_on(&crate::device::gpu_or_err()?, model, opts, every),
            #[cfg(not(feature = "cuda"))]
            Kind::Cuda => Err(Error::Unavailable("built without the cuda feature".into())),
        }
    }

    /// See [`Metamer::objective_function`].
    pub(super) fn objective_function(
        &self,
        model: &dyn ErasedModel,
        image: &Image<f32>,
    ) -> Result<f64> {
        match crate::device::current() {
            Kind::Cpu => self.objective_on(&crate::device::cpu(), model, image),
            #[cfg(feature = "cuda")]
            Kind::Cuda => self.objective_on(&crate::device::gpu_or_err()?, model, image),
            #[cfg(not(feature = "cuda"))]
            Kind::Cuda => Err(Error::Unavailable("built without the cuda feature".into())),
        }
    }

    /// The objective at `image` on device `dev`, by the loop's own kernel.
    fn objective_on<D: SynthDevice>(
        &self,
        dev: &D,
        model: &dyn ErasedModel,
        image: &Image<f32>,
    ) -> Result<f64> {
        let x = dev.upload(image);
        let rep = D::forward(model, x.leaky_trace())?;
        if dims(&rep) != dims(&self.target) {
            return Err(Error::shape_mismatch(
                "the representation against the target representation",
                dims(&self.target),
                dims(&rep),
            ));
        }
        let target = dev.load_target(&self.target)?;
        let ev = dev.objective(
            rep,
            &x,
            &target,
            self.allowed_range,
            self.range_penalty_lambda,
            &self.loss,
        )?;
        Ok(ev.loss)
    }

    /// The loop on device `dev`: moves the metamer, the target and Adam's moments there,
    /// runs, and brings them back (also after an error).
    fn run_on<D: SynthDevice>(
        &mut self,
        dev: &D,
        model: &dyn ErasedModel,
        opts: &RunOptions,
        every: StoreProgress,
    ) -> Result<()> {
        let adam = self.adam.as_mut().expect("set up before running");
        let shape = *self.metamer.shape();
        // no image-sized allocation per iteration: the CPU's tensors reuse freed storage
        let reuse = reuse_tensors();
        let mut lp = MetamerLoop {
            reuse: &reuse,
            dev,
            model,
            x: dev.upload(&self.metamer),
            target: dev.load_target(&self.target)?,
            target_dims: dims(&self.target),
            moments: dev.load_moments(adam, shape)?,
            adam,
            range: self.allowed_range,
            lambda: self.range_penalty_lambda,
            loss: &self.loss,
            grad: None,
        };
        let out = self.history.run(&mut lp, opts, every);
        self.metamer = D::download(&lp.x);
        D::store_moments(lp.moments, lp.adam);
        out
    }
}

/// A metamer's iterations on device `D`: the metamer, the target representation and
/// Adam's moments live there for the whole run.
struct MetamerLoop<'a, D: SynthDevice> {
    dev: &'a D,
    model: &'a dyn ErasedModel,
    x: Dev4<D>,
    target: D::Target,
    target_dims: [usize; 4],
    moments: <D as AdamKernel>::Moments,
    adam: &'a mut AdamState,
    range: (f64, f64),
    lambda: f64,
    loss: &'a LossFunction,
    /// The gradient of the last `evaluate`.
    grad: Option<<D as AdamKernel>::Grad>,
    /// Reuse of the CPU's tensor storage, trimmed every [`TRIM_EVERY`] iterations.
    reuse: &'a ReuseTensors,
}

/// Iterations between trims of the reused tensor storage (what a model allocates anew in
/// every call, and never reuses, is freed this often).
const TRIM_EVERY: usize = 64;

impl<D: SynthDevice> Iterate for MetamerLoop<'_, D> {
    fn evaluate(&mut self, it: usize) -> Result<(f64, f64)> {
        let rep = D::forward(self.model, self.x.leaky_trace()).map_err(|e| match e {
            Error::NonFinite { .. } => Error::Diverged {
                iteration: it,
                at: DivergedAt::Model,
            },
            e => e,
        })?;
        if dims(&rep) != self.target_dims {
            return Err(Error::shape_mismatch(
                "the model's output against the target representation",
                self.target_dims,
                dims(&rep),
            ));
        }
        let ev = self.dev.objective(
            rep,
            &self.x,
            &self.target,
            self.range,
            self.lambda,
            self.loss,
        )?;
        self.grad = Some(ev.grad);
        Ok((ev.loss, ev.gradient_norm))
    }

    fn update(&mut self, it: usize) -> Result<f64> {
        let g = self.grad.take().expect("evaluated before the update");
        if it % TRIM_EVERY == TRIM_EVERY - 1 {
            self.reuse.trim();
        }
        adam_step(self.dev, self.adam, &mut self.x, &mut self.moments, &g, it)
    }

    fn image(&mut self) -> Image<f32> {
        D::download(&self.x)
    }
}
