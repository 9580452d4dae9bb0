//! [`SynthesizeCtf`]: the options of one `synthesize` call of a [`MetamerCTF`], and its
//! iteration on a device ([`CtfLoop`], generic over `D: SynthDevice`): plenoptic's
//! `MetamerCTF._optimizer_step` and `_closure`, driven by the shared loop of
//! [`OptimizedSynthesis::run`](crate::synthesize::optimized::OptimizedSynthesis::run).

use dfdx::prelude::{HasShape, SplitTape, Trace};

use super::{MetamerCTF, Schedule, ALL_SCALES};
use crate::device::Kind;
use crate::error::{DivergedAt, Error, Result};
use crate::ops::pool::{reuse_tensors, ReuseTensors};
use crate::simulate::{CoarseToFine, Scale};
use crate::synthesize::adam::{adam_step, AdamKernel, AdamState};
use crate::synthesize::device::{Dev4, SynthDevice};
use crate::synthesize::erased::ErasedCoarseToFine;
use crate::synthesize::metamer::State;
use crate::synthesize::objective::range_penalty;
use crate::synthesize::optimized::{Iterate, RunOptions, StoreProgress};
use crate::synthesize::LossFunction;
use crate::tensor::{dims, Image};

/// One call of [`MetamerCTF::synthesize`]; set options, then [`SynthesizeCtf::run`].
#[must_use = "call .run() to synthesize"]
pub struct SynthesizeCtf<'a, M: CoarseToFine> {
    met: &'a mut MetamerCTF<M>,
    opts: RunOptions,
    ctf: CtfOptions,
    bad_store_progress: Option<Error>,
}

/// When a stage ends.
#[derive(Debug, Clone, Copy)]
struct CtfOptions {
    change_scale_criterion: Option<f64>,
    ctf_iters_to_check: usize,
}

impl<'a, M: CoarseToFine> SynthesizeCtf<'a, M> {
    /// plenoptic's defaults for up to `max_iter` iterations.
    pub(super) fn new(met: &'a mut MetamerCTF<M>, max_iter: usize) -> Self {
        SynthesizeCtf {
            met,
            opts: RunOptions::new("MetamerCTF", max_iter),
            ctf: CtfOptions {
                change_scale_criterion: Some(1e-2),
                ctf_iters_to_check: 50,
            },
            bad_store_progress: None,
        }
    }

    crate::synthesize::optimized::run_option_setters!("metamer");

    /// A stage ends when its loss changed by less than this over the last
    /// `ctf_iters_to_check` iterations (default `Some(1e-2)`); `None`: after
    /// `ctf_iters_to_check` iterations.
    pub fn change_scale_criterion(mut self, crit: Option<f64>) -> Self {
        self.ctf.change_scale_criterion = crit;
        self
    }
    /// The fewest iterations of a stage, and how far back the change test looks
    /// (default 50). The run's own stop test (`stop_criterion`) applies only once the
    /// last stage ran for more than this many iterations.
    pub fn ctf_iters_to_check(mut self, n: usize) -> Self {
        self.ctf.ctf_iters_to_check = n;
        self
    }

    /// Runs up to `max_iter` iterations, continuing where the previous call stopped.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for bad options (as [`crate::synthesize::Synthesize::run`],
    /// and when `stop_criterion >= change_scale_criterion`, or `ctf_iters_to_check` is 0);
    /// [`Error::Diverged`] as a metamer's; the model's errors.
    pub fn run(self) -> Result<()> {
        if let Some(e) = self.bad_store_progress {
            return Err(e);
        }
        if let Some(c) = self.ctf.change_scale_criterion {
            if self.opts.stop_criterion.is_nan() || self.opts.stop_criterion >= c {
                return Err(Error::invalid(
                    "stop_criterion",
                    format!(
                        "must be strictly less than change_scale_criterion ({c}), got {}",
                        self.opts.stop_criterion
                    ),
                ));
            }
        }
        if self.ctf.ctf_iters_to_check == 0 {
            return Err(Error::invalid("ctf_iters_to_check", "must be at least 1"));
        }
        let met = self.met;
        synthesize(
            &mut met.met.state,
            &met.met.model,
            &mut met.sched,
            &self.opts,
            self.ctf,
        )
    }
}

/// See [`SynthesizeCtf::run`].
fn synthesize(
    state: &mut State,
    model: &dyn ErasedCoarseToFine,
    sched: &mut Schedule,
    opts: &RunOptions,
    ctf: CtfOptions,
) -> Result<()> {
    let every = state.history.check(opts)?;
    if state.adam.is_none() {
        state.setup(model, None, Default::default())?;
    }
    if sched.initial_lr.is_none() {
        sched.initial_lr = state.adam.as_ref().map(|a| a.opts.lr);
    }
    match crate::device::current() {
        Kind::Cpu => run_on(
            &crate::ops::pool::loop_cpu(),
            state,
            model,
            sched,
            opts,
            ctf,
            every,
        ),
        #[cfg(feature = "cuda")]
        Kind::Cuda => run_on(
            &crate::device::gpu_or_err()?,
            state,
            model,
            sched,
            opts,
            ctf,
            every,
        ),
        #[cfg(not(feature = "cuda"))]
        Kind::Cuda => Err(Error::Unavailable("built without the cuda feature".into())),
    }
}

/// The loop on device `dev`, as the metamer's (the metamer, the targets and Adam's
/// moments live there during the run, and come back after it, also after an error).
fn run_on<D: SynthDevice>(
    dev: &D,
    state: &mut State,
    model: &dyn ErasedCoarseToFine,
    sched: &mut Schedule,
    opts: &RunOptions,
    ctf: CtfOptions,
    every: StoreProgress,
) -> Result<()> {
    let adam = state.adam.as_mut().expect("set up before running");
    let shape = *state.metamer.shape();
    let reuse = reuse_tensors();
    let mut lp = CtfLoop {
        reuse: &reuse,
        dev,
        model,
        x: dev.upload(&state.metamer),
        image: &state.image,
        full_target_host: &state.target,
        full_target: dev.load_target(&state.target)?,
        sub_target: None,
        moments: dev.load_moments(adam, shape)?,
        adam,
        range: state.allowed_range,
        lambda: state.range_penalty_lambda,
        loss: &state.loss,
        sched,
        ctf,
        scale_loss: None,
        grad: None,
    };
    let out = state.history.run(&mut lp, opts, every);
    state.metamer = D::download(&lp.x);
    D::store_moments(lp.moments, lp.adam);
    out
}

/// A coarse-to-fine metamer's iterations on device `D`.
struct CtfLoop<'a, D: SynthDevice> {
    dev: &'a D,
    model: &'a dyn ErasedCoarseToFine,
    x: Dev4<D>,
    /// The target image (for the targets of scale subsets).
    image: &'a Image<f32>,
    /// The full target representation, on the host (the full loss of coarse stages) and
    /// on the device (the last stage's target).
    full_target_host: &'a Image<f32>,
    full_target: D::Target,
    /// The current subset's target and its shape (plenoptic's
    /// `_ctf_target_representation`), computed at the stage's first iteration.
    sub_target: Option<(D::Target, [usize; 4])>,
    moments: <D as AdamKernel>::Moments,
    adam: &'a mut AdamState,
    range: (f64, f64),
    lambda: f64,
    loss: &'a LossFunction,
    sched: &'a mut Schedule,
    ctf: CtfOptions,
    /// The minimised objective of the last `evaluate`, recorded by `update`.
    scale_loss: Option<f64>,
    grad: Option<<D as AdamKernel>::Grad>,
    reuse: &'a ReuseTensors,
}

/// Iterations between trims of the reused tensor storage (as the metamer's loop).
const TRIM_EVERY: usize = 64;

impl<D: SynthDevice> CtfLoop<'_, D> {
    /// plenoptic's test at the start of `_optimizer_step`: moves to the next stage when
    /// the current one ran `ctf_iters_to_check` iterations and (unless the criterion is
    /// `None`) its loss changed by less than the criterion over them. `n`: the iteration
    /// about to run.
    fn maybe_change_scale(&mut self, n: usize) {
        let k = self.ctf.ctf_iters_to_check;
        let s = &mut *self.sched;
        let sl = &s.scales_loss;
        let ready = s.scales.len() > 1
            && sl.len() >= k
            && self
                .ctf
                .change_scale_criterion
                .is_none_or(|c| (sl[sl.len() - 1] - sl[sl.len() - k]).abs() < c);
        if !ready {
            return;
        }
        let cur = s.scales[0].clone();
        if n.saturating_sub(s.timing_of(&cur)[0]) < k {
            return;
        }
        s.timing_of(&cur).push(n.saturating_sub(1));
        s.finished.push(s.scales.remove(0));
        if let Some(next) = s.scales.first().cloned() {
            s.timing_of(&next).push(n);
        }
        if let Some(lr) = s.initial_lr {
            self.adam.opts.lr = lr;
        }
        self.sub_target = None;
    }

    /// The full objective at the current image, without a gradient (what `losses`
    /// records during the coarse stages).
    fn full_loss(&self) -> Result<f64> {
        let rep = D::forward(self.model, self.x.leaky_trace())?.split_tape().0;
        let rep = D::download(&rep);
        check_shape(&rep, dims(self.full_target_host))?;
        let x = D::download(&self.x);
        let pen = range_penalty(&x.as_vec(), self.range, self.lambda, None);
        Ok(self.loss.value(&rep, self.full_target_host)? + self.lambda * pen)
    }
}

/// [`Error::ShapeMismatch`] unless the model's output `rep` has the target's shape.
fn check_shape<T: HasShape<Shape = crate::tensor::Shape4>>(
    rep: &T,
    target: [usize; 4],
) -> Result<()> {
    let got = rep.shape();
    let got = [got.0, got.1, got.2, got.3];
    if got != target {
        return Err(Error::shape_mismatch(
            "the model's output against the target representation",
            target,
            got,
        ));
    }
    Ok(())
}

/// A non-finite model output at iteration `it` is a divergence of the model.
fn model_error(it: usize) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::NonFinite { .. } => Error::Diverged {
            iteration: it,
            at: DivergedAt::Model,
        },
        e => e,
    }
}

impl<D: SynthDevice> Iterate for CtfLoop<'_, D> {
    fn evaluate(&mut self, it: usize) -> Result<(f64, f64)> {
        self.maybe_change_scale(it);
        let (ev, full) = match self.sched.subset() {
            None => {
                let rep = D::forward(self.model, self.x.leaky_trace()).map_err(model_error(it))?;
                check_shape(&rep, dims(self.full_target_host))?;
                let ev = self.dev.objective(
                    rep,
                    &self.x,
                    &self.full_target,
                    self.range,
                    self.lambda,
                    self.loss,
                )?;
                let full = ev.loss;
                (ev, full)
            }
            Some(subset) => {
                if self.sub_target.is_none() {
                    let t = self
                        .model
                        .forward_scales_f32(self.image.leaky_trace(), &subset)?
                        .split_tape()
                        .0;
                    self.sub_target = Some((self.dev.load_target(&t)?, dims(&t)));
                }
                let full = self.full_loss().map_err(model_error(it))?;
                let rep = D::forward_scales(self.model, self.x.leaky_trace(), &subset)
                    .map_err(model_error(it))?;
                let (target, tdims) = self.sub_target.as_ref().expect("computed above");
                check_shape(&rep, *tdims)?;
                let ev =
                    self.dev
                        .objective(rep, &self.x, target, self.range, self.lambda, self.loss)?;
                (ev, full)
            }
        };
        self.scale_loss = Some(ev.loss);
        self.grad = Some(ev.grad);
        Ok((full, ev.gradient_norm))
    }

    fn update(&mut self, it: usize) -> Result<f64> {
        let g = self.grad.take().expect("evaluated before the update");
        if it % TRIM_EVERY == TRIM_EVERY - 1 {
            self.reuse.trim();
        }
        let change = adam_step(self.dev, self.adam, &mut self.x, &mut self.moments, &g, it)?;
        let sl = self.scale_loss.take().expect("evaluated before the update");
        self.sched.scales_loss.push(sl);
        Ok(change)
    }

    fn image(&mut self) -> Image<f32> {
        D::download(&self.x)
    }

    /// plenoptic's `coarse_to_fine_enough`: the last stage runs, and has run for more
    /// than `ctf_iters_to_check` iterations (counted, as plenoptic does, from this run's
    /// iteration `i` against the stage's starting iteration over all runs).
    fn may_stop(&self, i: usize) -> bool {
        let s = &*self.sched;
        if s.scales.first() != Some(&Scale::named(ALL_SCALES)) {
            return false;
        }
        let start = s
            .timing
            .iter()
            .find(|(k, _)| k == &Scale::named(ALL_SCALES))
            .and_then(|(_, t)| t.first().copied())
            .unwrap_or(0);
        i as i64 - start as i64 > self.ctf.ctf_iters_to_check as i64
    }
}
