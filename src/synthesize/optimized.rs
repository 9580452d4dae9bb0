//! The core every optimised synthesis shares (plenoptic's `Synthesis` /
//! `OptimizedSynthesis`): the history (loss, gradient norm and pixel change of every
//! iteration, the images stored in progress with their iteration numbers), the
//! store-progress setting, the stop test, the progress line, the loop that drives a
//! method's iterations, and the save/load of the history.
//!
//! A method (the metamer, and the coming MetamerCTF and MADCompetition) supplies one
//! iteration through [`Iterate`]; [`OptimizedSynthesis::run`] runs the loop: it stores
//! progress, checks that the recorded numbers are finite, tests for convergence and draws
//! the progress line. None of it is generic, so it is compiled once, in the crate.

use std::path::Path;

use super::archive::{invalid, Archive};
use super::progress::Progress;
use crate::device::cpu;
use crate::error::{DivergedAt, Error, Result};
use crate::tensor::Image;
use dfdx::prelude::TensorFromVec;

/// How often a synthesis stores its image in progress, as plenoptic's `store_progress`:
/// never, or every `n` iterations (`n >= 1`). Synthesis options accept it, a `bool`
/// (`true`: every iteration), or a count (0: never; negative counts are refused when the
/// synthesis runs).
///
/// ```
/// use plenoptic::synthesize::StoreProgress;
/// assert_eq!(StoreProgress::from(true), StoreProgress::Every(1));
/// assert_eq!(StoreProgress::from(0usize), StoreProgress::Never);
/// assert_eq!(StoreProgress::try_from(5).unwrap(), StoreProgress::Every(5));
/// assert!(StoreProgress::try_from(-1).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreProgress {
    /// Store nothing.
    #[default]
    Never,
    /// Store the image before every `n`-th iteration (`n >= 1`).
    Every(usize),
}

impl StoreProgress {
    /// The cadence as a count (0 for never), as saved in files.
    pub fn count(self) -> usize {
        match self {
            StoreProgress::Never => 0,
            StoreProgress::Every(n) => n,
        }
    }

    /// Whether the image is stored before iteration `it`.
    fn stores_at(self, it: usize) -> bool {
        matches!(self, StoreProgress::Every(n) if n > 0 && it.is_multiple_of(n))
    }
}

impl From<bool> for StoreProgress {
    fn from(b: bool) -> Self {
        if b {
            StoreProgress::Every(1)
        } else {
            StoreProgress::Never
        }
    }
}
impl From<usize> for StoreProgress {
    fn from(n: usize) -> Self {
        if n == 0 {
            StoreProgress::Never
        } else {
            StoreProgress::Every(n)
        }
    }
}
impl From<u32> for StoreProgress {
    fn from(n: u32) -> Self {
        StoreProgress::from(n as usize)
    }
}
impl TryFrom<i32> for StoreProgress {
    type Error = Error;
    fn try_from(n: i32) -> Result<Self> {
        usize::try_from(n).map(StoreProgress::from).map_err(|_| {
            Error::invalid(
                "store_progress",
                format!("must be true, false or a count >= 0, got {n}"),
            )
        })
    }
}

/// What synthesis options accept as `store_progress`: a [`StoreProgress`], a `bool`, or a
/// count (`usize`, `u32`, `i32`; an integer literal is an `i32`). Sealed.
pub trait IntoStoreProgress: sealed::Sealed {
    /// The setting, or [`Error::InvalidArgument`] for a negative count.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a negative count.
    fn into_store_progress(self) -> Result<StoreProgress>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::StoreProgress {}
    impl Sealed for bool {}
    impl Sealed for usize {}
    impl Sealed for u32 {}
    impl Sealed for i32 {}
}

macro_rules! into_store_progress {
    ($($t:ty),*) => {$(
        impl IntoStoreProgress for $t {
            fn into_store_progress(self) -> Result<StoreProgress> {
                Ok(StoreProgress::from(self))
            }
        }
    )*};
}
into_store_progress!(bool, usize, u32);

impl IntoStoreProgress for StoreProgress {
    fn into_store_progress(self) -> Result<StoreProgress> {
        Ok(self)
    }
}
impl IntoStoreProgress for i32 {
    fn into_store_progress(self) -> Result<StoreProgress> {
        StoreProgress::try_from(self)
    }
}

/// One synthesis method's iterations, driven by [`OptimizedSynthesis::run`]: each
/// iteration is [`Iterate::evaluate`], the core's finiteness checks, then
/// [`Iterate::update`].
pub(crate) trait Iterate {
    /// The objective at the current image and the L2 norm of its gradient (number `it`,
    /// for errors); keeps the gradient for [`Iterate::update`]. Changes no state.
    fn evaluate(&mut self, it: usize) -> Result<(f64, f64)>;
    /// The optimiser's update of the image with the gradient of the last `evaluate`;
    /// returns the squared L2 norm of the image's change. On an error nothing changed
    /// ([`Error::Diverged`] at [`DivergedAt::Optimizer`] when the update would leave
    /// non-finite values).
    fn update(&mut self, it: usize) -> Result<f64>;
    /// The current image, on the CPU (stored as progress).
    fn image(&mut self) -> Image<f32>;
    /// Whether the run may stop once the loss has converged, after iteration `i` of this
    /// run (0-based); a method with stages (coarse-to-fine) says no until its last stage
    /// ran long enough.
    fn may_stop(&self, _i: usize) -> bool {
        true
    }
}

/// The setters every synthesis method's `synthesize` builder has, written once:
/// `store_progress`, `stop_criterion`, `stop_iters_to_check`, `progress`. The builder
/// keeps its [`RunOptions`] in a field `opts` and a refused `store_progress` value (reported
/// by its `run`) in a field `bad_store_progress: Option<Error>`; `$what` names what is
/// stored ("metamer", "MAD image").
macro_rules! run_option_setters {
    ($what:literal) => {
        #[doc = concat!(
                    "Store the ", $what, " in progress: `true` every iteration, `n` every n ",
                    "iterations, `false`/0 never (see [`crate::synthesize::StoreProgress`]). ",
                    "Default: as in the previous call (off in the first). Every call on one ",
                    "synthesis must use the same value, as in plenoptic."
                )]
        pub fn store_progress(
            mut self,
            every: impl crate::synthesize::IntoStoreProgress,
        ) -> Self {
            match every.into_store_progress() {
                Ok(s) => self.opts.store_progress = Some(s),
                Err(e) => self.bad_store_progress = Some(e),
            }
            self
        }
        /// Stop when the loss changed by less than this over the last
        /// `stop_iters_to_check` iterations (default 1e-4).
        pub fn stop_criterion(mut self, crit: f64) -> Self {
            self.opts.stop_criterion = crit;
            self
        }
        /// How many iterations back the stop test looks (default 50).
        pub fn stop_iters_to_check(mut self, n: usize) -> Self {
            self.opts.stop_iters_to_check = n;
            self
        }
        /// Show the progress line (default true; see also
        /// [`crate::synthesize::show_progress`]).
        pub fn progress(mut self, on: bool) -> Self {
            self.opts.progress = on;
            self
        }
    };
}
pub(crate) use run_option_setters;

/// The options of one run of the loop (a method's `synthesize` call).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunOptions {
    /// The method's name, heading the progress line.
    pub label: &'static str,
    /// Most iterations in this run.
    pub max_iter: usize,
    /// `None`: as the previous run (never in the first).
    pub store_progress: Option<StoreProgress>,
    /// Stop when the loss changed by less than this over `stop_iters_to_check` iterations.
    pub stop_criterion: f64,
    /// See `stop_criterion`.
    pub stop_iters_to_check: usize,
    /// Draw the progress line.
    pub progress: bool,
}

impl RunOptions {
    /// plenoptic's defaults for a run of up to `max_iter` iterations.
    pub fn new(label: &'static str, max_iter: usize) -> Self {
        RunOptions {
            label,
            max_iter,
            store_progress: None,
            stop_criterion: 1e-4,
            stop_iters_to_check: 50,
            progress: true,
        }
    }
}

/// The history and settings an optimised synthesis keeps across its runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct OptimizedSynthesis {
    /// The loss before each iteration.
    pub losses: Vec<f64>,
    /// L2 norm of the gradient at each iteration.
    pub gradient_norm: Vec<f64>,
    /// L2 norm of the image's change at each iteration.
    pub pixel_change_norm: Vec<f64>,
    /// The images stored in progress.
    pub saved: Vec<Image<f32>>,
    /// The iteration before which each stored image was taken.
    pub saved_iterations: Vec<usize>,
    /// `None` until the first run; then its cadence.
    pub store_progress: Option<StoreProgress>,
}

impl OptimizedSynthesis {
    /// The number of iterations so far.
    pub fn iterations(&self) -> usize {
        self.losses.len()
    }

    /// Checks the options of a run against these settings; returns the cadence to use.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a cadence that differs from the previous run's, or a
    /// bad stop test.
    pub fn check(&self, opts: &RunOptions) -> Result<StoreProgress> {
        let every = opts
            .store_progress
            .or(self.store_progress)
            .unwrap_or_default();
        if let Some(prev) = self.store_progress {
            if prev != every {
                return Err(Error::invalid(
                    "store_progress",
                    format!(
                        "every call of synthesize() on one synthesis must store progress at the \
                         same cadence: this one asks for {}, earlier ones used {} \
                         (true is 1, false is 0)",
                        every.count(),
                        prev.count()
                    ),
                ));
            }
        }
        if opts.stop_criterion.is_nan() || opts.stop_criterion < 0.0 {
            return Err(Error::invalid(
                "stop_criterion",
                format!("must be >= 0, got {}", opts.stop_criterion),
            ));
        }
        if opts.stop_iters_to_check == 0 {
            return Err(Error::invalid("stop_iters_to_check", "must be at least 1"));
        }
        Ok(every)
    }

    /// plenoptic's stop test: the loss changed by less than `crit` over the last `k`
    /// iterations.
    pub fn converged(&self, crit: f64, k: usize) -> bool {
        let l = &self.losses;
        l.len() > k && (l[l.len() - k] - l[l.len() - 1]).abs() < crit
    }

    /// Runs up to `opts.max_iter` iterations of `method`, continuing the history: stores
    /// progress, records each iteration (refusing non-finite records), stops on
    /// convergence, draws the progress line. `opts` must have passed [`Self::check`],
    /// which gave `every`.
    ///
    /// # Errors
    /// The method's errors; [`Error::Diverged`] when it records a non-finite loss or
    /// gradient norm. The history then ends at the last finite iteration.
    pub fn run(
        &mut self,
        method: &mut dyn Iterate,
        opts: &RunOptions,
        every: StoreProgress,
    ) -> Result<()> {
        self.store_progress = Some(every);
        let mut bar = Progress::new(opts.label, opts.progress);
        let start = self.iterations();
        let mut converged = false;
        for i in 0..opts.max_iter {
            let n = self.iterations();
            let store = every.stores_at(n);
            if store {
                self.saved.push(method.image());
                self.saved_iterations.push(n);
            }
            let rec = iterate(method, n);
            let (loss, gnorm, change_sq) = match rec {
                Ok(r) => r,
                Err(e) => {
                    if store {
                        // keep every stored image matched to a recorded loss
                        self.saved.pop();
                        self.saved_iterations.pop();
                    }
                    bar.finish(i, &format!("stopped at iteration {n}: {e}"));
                    return Err(e);
                }
            };
            self.losses.push(loss);
            self.gradient_norm.push(gnorm);
            self.pixel_change_norm.push(change_sq.sqrt());
            bar.tick(i + 1, || {
                format!(
                    "iteration {} of {} | loss {:.4e}",
                    n + 1,
                    start + opts.max_iter,
                    loss
                )
            });
            if self.converged(opts.stop_criterion, opts.stop_iters_to_check) && method.may_stop(i) {
                converged = true;
                break;
            }
        }
        let loss = self.losses.last().copied().unwrap_or(f64::NAN);
        let status = format!(
            "iteration {} | loss {loss:.4e}{}",
            self.iterations(),
            if converged {
                " | loss has converged, stopped"
            } else {
                ""
            }
        );
        bar.finish(self.iterations() - start, &status);
        Ok(())
    }

    /// Writes the history: `losses`, `gradient_norm`, `pixel_change_norm`, the stored
    /// images as `{frames}` (n x the image's shape `shape`), `saved_iterations`, and
    /// `store_progress` once a run happened.
    pub fn put(&self, a: &mut Archive, frames: &str, shape: [usize; 4]) {
        a.put_f64("losses", self.losses.clone());
        a.put_f64("gradient_norm", self.gradient_norm.clone());
        a.put_f64("pixel_change_norm", self.pixel_change_norm.clone());
        let mut sd = vec![self.saved.len()];
        sd.extend(shape);
        let saved: Vec<f32> = self.saved.iter().flat_map(|m| m.as_vec()).collect();
        a.put_f32(frames, &sd, saved);
        a.put_u64(
            "saved_iterations",
            self.saved_iterations.iter().map(|i| *i as u64).collect(),
        );
        if let Some(s) = self.store_progress {
            a.put_u64("store_progress", vec![s.count() as u64]);
        }
    }

    /// Reads what [`Self::put`] wrote, for images of shape `shape`.
    ///
    /// # Errors
    /// [`Error::Load`] for missing or inconsistent records.
    pub fn take(a: &Archive, path: &Path, frames: &str, shape: [usize; 4]) -> Result<Self> {
        let losses = a.f64s(path, "losses")?;
        let gradient_norm = a.f64s(path, "gradient_norm")?;
        let pixel_change_norm = a.f64s(path, "pixel_change_norm")?;
        if gradient_norm.len() != losses.len() || pixel_change_norm.len() != losses.len() {
            return Err(invalid(
                path,
                "gradient_norm",
                format!(
                    "losses, gradient_norm and pixel_change_norm have lengths {}, {} and {}",
                    losses.len(),
                    gradient_norm.len(),
                    pixel_change_norm.len()
                ),
            ));
        }
        let (sdims, sv) = a.f32s(path, frames)?;
        let saved_iterations: Vec<usize> = a
            .u64s(path, "saved_iterations")?
            .into_iter()
            .map(|i| i as usize)
            .collect();
        let n_saved = saved_iterations.len();
        let mut want = vec![n_saved];
        want.extend(shape);
        if sdims != want {
            return Err(invalid(
                path,
                frames,
                format!("shape {sdims:?}, expected {want:?}"),
            ));
        }
        let store_progress = if a.has("store_progress") {
            Some(StoreProgress::from(
                a.u64_1(path, "store_progress")? as usize
            ))
        } else {
            None
        };
        let s = (shape[0], shape[1], shape[2], shape[3]);
        let plane: usize = shape.iter().product();
        let saved = (0..n_saved)
            .map(|i| cpu().tensor_from_vec(sv[i * plane..(i + 1) * plane].to_vec(), s))
            .collect();
        Ok(OptimizedSynthesis {
            losses,
            gradient_norm,
            pixel_change_norm,
            saved,
            saved_iterations,
            store_progress,
        })
    }
}

/// One iteration of `method` (number `it`): loss, gradient norm and squared change, or
/// [`Error::Diverged`] before the update when the loss or the gradient is not finite.
fn iterate(method: &mut dyn Iterate, it: usize) -> Result<(f64, f64, f64)> {
    let (loss, gnorm) = method.evaluate(it)?;
    let at = if !loss.is_finite() {
        DivergedAt::Loss
    } else if !gnorm.is_finite() {
        DivergedAt::Gradient
    } else {
        return Ok((loss, gnorm, method.update(it)?));
    };
    Err(Error::Diverged { iteration: it, at })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A method whose loss halves each iteration, from 1.
    struct Halving(f64);

    impl Iterate for Halving {
        fn evaluate(&mut self, _it: usize) -> Result<(f64, f64)> {
            Ok((self.0, self.0))
        }
        fn update(&mut self, _it: usize) -> Result<f64> {
            self.0 /= 2.0;
            Ok(0.0)
        }
        fn image(&mut self) -> Image<f32> {
            cpu().tensor_from_vec(vec![self.0 as f32], (1, 1, 1, 1))
        }
    }

    #[test]
    fn stores_progress_and_stops_when_converged() {
        let mut s = OptimizedSynthesis::default();
        let mut opts = RunOptions::new("test", 100);
        opts.progress = false;
        opts.store_progress = Some(StoreProgress::Every(3));
        opts.stop_criterion = 1e-3;
        opts.stop_iters_to_check = 2;
        let every = s.check(&opts).unwrap();
        s.run(&mut Halving(1.0), &opts, every).unwrap();
        // |l[n-2] - l[n-1]| = l[n-1] < 1e-3 first at l = 2^-10, the 11th loss
        assert_eq!(s.losses.len(), 11);
        assert_eq!(s.saved_iterations, vec![0, 3, 6, 9]);
        opts.store_progress = Some(StoreProgress::Every(2));
        assert!(s.check(&opts).is_err());
    }

    /// A method whose loss becomes NaN at iteration 2; counts its updates.
    struct NanAt2(usize);

    impl Iterate for NanAt2 {
        fn evaluate(&mut self, it: usize) -> Result<(f64, f64)> {
            Ok((if it == 2 { f64::NAN } else { 1.0 }, 1.0))
        }
        fn update(&mut self, _it: usize) -> Result<f64> {
            self.0 += 1;
            Ok(0.0)
        }
        fn image(&mut self) -> Image<f32> {
            cpu().tensor_from_vec(vec![0.0], (1, 1, 1, 1))
        }
    }

    #[test]
    fn non_finite_loss_stops_before_the_update() {
        let mut s = OptimizedSynthesis::default();
        let mut opts = RunOptions::new("test", 10);
        opts.progress = false;
        opts.store_progress = Some(StoreProgress::Every(1));
        let mut m = NanAt2(0);
        let err = s.run(&mut m, &opts, s.check(&opts).unwrap()).unwrap_err();
        assert!(matches!(
            err,
            Error::Diverged {
                iteration: 2,
                at: DivergedAt::Loss
            }
        ));
        assert_eq!((m.0, s.losses.len(), s.saved.len()), (2, 2, 2));
    }

    #[test]
    fn negative_store_progress_is_refused() {
        assert!((-3).into_store_progress().is_err());
        assert_eq!(10.into_store_progress().unwrap(), StoreProgress::Every(10));
    }
}
