//! Model metamers: images whose model representation matches that of a target image.

use std::path::Path;

use dfdx::prelude::{HasShape, TensorFromVec, Trace};

use super::archive::{load_err, Archive};
use super::autodiff::{backward_with, check_model_at, grad_of};
use super::device_loop::DeviceLoop;
use super::optim::{mse_with_grad, range_penalty, Adam, AdamOptions};
use super::progress::Progress;
use crate::device::cpu;
use crate::device::Kind;
use crate::error::{Error, Result};
use crate::simulate::Model;
use crate::tensor::{check_image, dims, Image};

/// Synthesizes a model metamer of an image, as plenoptic's `Metamer`: starting from an
/// initial image (uniform noise by default), Adam changes its pixels until the model's
/// representation of it matches that of the target image.
///
/// The objective is the mean squared error over every element of the representation plus
/// `range_penalty_lambda` (0.1) times the sum of squared distances of the pixels outside
/// the allowed range ([0, 1]). A batch of images is one optimisation: the i-th metamer
/// matches the i-th image.
///
/// ```
/// use plenoptic as po;
/// let img = po::data::white_noise::<f32>(&[1, 1, 32, 32])?;
/// let model = po::simulate::Gaussian::builder((5, 5)).pad_mode(po::PadMode::Circular).build()?;
/// let mut met = po::synthesize::Metamer::new(img, model)?;
/// met.synthesize(20).store_progress(true).progress(false).run()?;
/// met.synthesize(30).store_progress(true).progress(false).run()?; // resumes
/// assert_eq!(met.losses().len(), 50);
/// assert!(met.losses()[49] < met.losses()[0]);
/// assert_eq!(met.saved_metamer().len(), 50);
/// # Ok::<(), po::Error>(())
/// ```
pub struct Metamer<M: Model> {
    image: Image<f32>,
    model: M,
    target: Image<f32>,
    target_vec: Vec<f32>,
    allowed_range: (f64, f64),
    range_penalty_lambda: f64,
    metamer: Image<f32>,
    adam: Option<Adam>,
    losses: Vec<f64>,
    gradient_norm: Vec<f64>,
    pixel_change_norm: Vec<f64>,
    saved_metamer: Vec<Image<f32>>,
    saved_iterations: Vec<usize>,
    /// `None` until the first `synthesize`; then the cadence (0 = off).
    store_progress: Option<usize>,
}

impl<M: Model> std::fmt::Debug for Metamer<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metamer")
            .field("image_shape", &dims(&self.image))
            .field("target_shape", &dims(&self.target))
            .field("allowed_range", &self.allowed_range)
            .field("range_penalty_lambda", &self.range_penalty_lambda)
            .field("iterations", &self.losses.len())
            .field("loss", &self.losses.last())
            .field("stored", &self.saved_metamer.len())
            .finish()
    }
}

/// Options for [`Metamer`]; finish with [`MetamerBuilder::build`].
#[must_use = "call .build() to create the Metamer"]
pub struct MetamerBuilder<M: Model> {
    image: Image<f32>,
    model: M,
    allowed_range: (f64, f64),
    range_penalty_lambda: f64,
}

impl<M: Model> MetamerBuilder<M> {
    /// The range pixel values should stay in (default `(0.0, 1.0)`): the image must lie
    /// in it, and the range penalty pulls the metamer into it.
    pub fn allowed_range(mut self, range: (f64, f64)) -> Self {
        self.allowed_range = range;
        self
    }

    /// Weight of the range penalty in the objective (default 0.1; 0 turns it off).
    pub fn range_penalty_lambda(mut self, lambda: f64) -> Self {
        self.range_penalty_lambda = lambda;
        self
    }

    /// Checks the image and the model, computes the target representation, and draws the
    /// default initial image (uniform noise from the crate's seeded generator, rescaled to
    /// span exactly the allowed range; [`Metamer::setup`] can replace it).
    ///
    /// # Errors
    /// [`Error::NonFinite`] or [`Error::Empty`] for a bad image, [`Error::InvalidArgument`]
    /// for an image outside the allowed range or bad options, [`Error::InvalidModel`] (or
    /// the model's own error) when the model cannot be used.
    pub fn build(self) -> Result<Metamer<M>> {
        self.build_with(true)
    }

    /// `build`, drawing the default initial image only when `draw` is true (a loaded
    /// metamer takes its own from the file and leaves the generator alone).
    fn build_with(self, draw: bool) -> Result<Metamer<M>> {
        let (lo, hi) = self.allowed_range;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::invalid(
                "allowed_range",
                format!("must be two finite numbers with min < max, got ({lo}, {hi})"),
            ));
        }
        let lambda = self.range_penalty_lambda;
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(Error::invalid(
                "range_penalty_lambda",
                format!("must be finite and >= 0, got {lambda}"),
            ));
        }
        check_image(&self.image, "image")?;
        let iv = self.image.as_vec();
        check_in_range(&iv, self.allowed_range, "image")?;
        let target = check_model_at(&self.model, &self.image)?;
        let shape = dims(&self.image);
        let metamer = if draw {
            let noise = crate::data::white_noise::<f32>(&shape)?.as_vec();
            cpu().tensor_from_vec(rescale(noise, lo as f32, hi as f32), *self.image.shape())
        } else {
            self.image.clone()
        };
        Ok(Metamer {
            target_vec: target.as_vec(),
            target,
            image: self.image,
            model: self.model,
            allowed_range: self.allowed_range,
            range_penalty_lambda: lambda,
            metamer,
            adam: None,
            losses: Vec::new(),
            gradient_norm: Vec::new(),
            pixel_change_norm: Vec::new(),
            saved_metamer: Vec::new(),
            saved_iterations: Vec::new(),
            store_progress: None,
        })
    }
}

/// Errors unless every value lies in `range`.
fn check_in_range(v: &[f32], range: (f64, f64), what: &'static str) -> Result<()> {
    let (mn, mx) = v
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        });
    if (mn as f64) < range.0 || (mx as f64) > range.1 {
        return Err(Error::invalid(
            what,
            format!(
                "values must lie within the allowed range [{}, {}], but span [{mn}, {mx}] \
                 (rescale the image or change allowed_range)",
                range.0, range.1
            ),
        ));
    }
    Ok(())
}

/// plenoptic's `rescale`: maps the values linearly so they span exactly `[a, b]`.
fn rescale(mut v: Vec<f32>, a: f32, b: f32) -> Vec<f32> {
    let (mn, mx) = v
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(p, q), x| {
            (p.min(*x), q.max(*x))
        });
    let range = mx - mn;
    for x in v.iter_mut() {
        let g = if range > 0.0 {
            (*x - mn) / range
        } else {
            *x - mn
        };
        *x = a + g * (b - a);
    }
    v
}

/// How often [`Metamer`] stores the image in progress: `true` (every iteration), `false`
/// (never) or every `n` iterations (0 = never), as plenoptic's `store_progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreProgress(i64);

impl From<bool> for StoreProgress {
    fn from(b: bool) -> Self {
        StoreProgress(b as i64)
    }
}
impl From<usize> for StoreProgress {
    fn from(n: usize) -> Self {
        StoreProgress(n as i64)
    }
}
impl From<i32> for StoreProgress {
    fn from(n: i32) -> Self {
        StoreProgress(n as i64)
    }
}
impl From<u32> for StoreProgress {
    fn from(n: u32) -> Self {
        StoreProgress(n as i64)
    }
}

/// Initial image and optimiser of a [`Metamer`]; finish with [`Setup::run`].
#[must_use = "call .run() to apply the setup"]
pub struct Setup<'a, M: Model> {
    met: &'a mut Metamer<M>,
    initial: Option<Image<f32>>,
    adam: AdamOptions,
}

impl<M: Model> Setup<'_, M> {
    /// Starts from `image` instead of noise. It must lie in the allowed range, and the
    /// model's representation of it must have the target's shape.
    pub fn initial_image(mut self, image: &Image<f32>) -> Self {
        self.initial = Some(image.clone());
        self
    }
    /// Adam's learning rate (default 0.01).
    pub fn lr(mut self, lr: f64) -> Self {
        self.adam.lr = lr;
        self
    }
    /// Adam's betas (default (0.9, 0.999)).
    pub fn betas(mut self, betas: (f64, f64)) -> Self {
        self.adam.betas = betas;
        self
    }
    /// Adam's eps (default 1e-8).
    pub fn eps(mut self, eps: f64) -> Self {
        self.adam.eps = eps;
        self
    }
    /// AMSGrad on or off (default on, as plenoptic).
    pub fn amsgrad(mut self, on: bool) -> Self {
        self.adam.amsgrad = on;
        self
    }
    /// Every optimiser setting at once.
    pub fn optimizer(mut self, opts: AdamOptions) -> Self {
        self.adam = opts;
        self
    }

    /// Applies the setup.
    ///
    /// # Errors
    /// [`Error::Synthesis`] when the metamer was already set up (setup runs once, before
    /// the first `synthesize`; a loaded metamer is set up); [`Error::InvalidArgument`] for
    /// bad optimiser settings or an initial image outside the allowed range;
    /// [`Error::ShapeMismatch`] when the initial image's representation does not have the
    /// target's shape.
    pub fn run(self) -> Result<()> {
        let met = self.met;
        if met.adam.is_some() {
            return Err(Error::Synthesis(
                "setup() can only be called once and must be called before synthesize() \
                 (a loaded metamer is already set up)"
                    .into(),
            ));
        }
        self.adam.validate()?;
        if let Some(init) = self.initial {
            check_image(&init, "initial_image")?;
            check_in_range(&init.as_vec(), met.allowed_range, "initial_image")?;
            let rep = met.model.apply(&init)?;
            if dims(&rep) != dims(&met.target) {
                return Err(Error::shape_mismatch(
                    format!(
                        "the representation of the initial image (shape {:?}) against the \
                         target representation",
                        dims(&init)
                    ),
                    dims(&met.target),
                    dims(&rep),
                ));
            }
            met.metamer = cpu().tensor_from_vec(init.as_vec(), *init.shape());
        }
        met.adam = Some(Adam::new(self.adam, met.metamer.as_vec().len()));
        Ok(())
    }
}

/// One call of [`Metamer::synthesize`]; set options, then [`Synthesize::run`].
#[must_use = "call .run() to synthesize"]
pub struct Synthesize<'a, M: Model> {
    met: &'a mut Metamer<M>,
    max_iter: usize,
    store_progress: Option<StoreProgress>,
    stop_criterion: f64,
    stop_iters_to_check: usize,
    progress: bool,
}

impl<M: Model> Synthesize<'_, M> {
    /// Store the metamer in progress: `true` every iteration, `n` every n iterations,
    /// `false`/0 never. Default: as in the previous call (off in the first). Every call
    /// on one metamer must use the same value, as in plenoptic.
    pub fn store_progress(mut self, every: impl Into<StoreProgress>) -> Self {
        self.store_progress = Some(every.into());
        self
    }
    /// Stop when the loss changed by less than this over the last `stop_iters_to_check`
    /// iterations (default 1e-4).
    pub fn stop_criterion(mut self, crit: f64) -> Self {
        self.stop_criterion = crit;
        self
    }
    /// How many iterations back the stop test looks (default 50).
    pub fn stop_iters_to_check(mut self, n: usize) -> Self {
        self.stop_iters_to_check = n;
        self
    }
    /// Show the progress line (default true; see also [`super::show_progress`]).
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// Runs up to `max_iter` iterations, continuing where the previous call stopped.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for bad options or a `store_progress` that differs from
    /// the previous call's; [`Error::Synthesis`] when the loss or its gradient stops being
    /// finite (the metamer keeps its last finite state); the model's errors.
    pub fn run(self) -> Result<()> {
        let met = self.met;
        let every = match self.store_progress {
            Some(StoreProgress(n)) if n < 0 => {
                return Err(Error::invalid(
                    "store_progress",
                    format!("must be true, false or a count >= 0, got {n}"),
                ))
            }
            Some(StoreProgress(n)) => n as usize,
            None => met.store_progress.unwrap_or(0),
        };
        if let Some(prev) = met.store_progress {
            if prev != every {
                return Err(Error::invalid(
                    "store_progress",
                    format!(
                        "every call of synthesize() on one metamer must store progress at the \
                         same cadence: this one asks for {every}, earlier ones used {prev} \
                         (true is 1, false is 0)"
                    ),
                ));
            }
        }
        if self.stop_criterion.is_nan() || self.stop_criterion < 0.0 {
            return Err(Error::invalid(
                "stop_criterion",
                format!("must be >= 0, got {}", self.stop_criterion),
            ));
        }
        if self.stop_iters_to_check == 0 {
            return Err(Error::invalid("stop_iters_to_check", "must be at least 1"));
        }
        if met.adam.is_none() {
            met.setup().run()?;
        }
        met.store_progress = Some(every);
        let mut runner = Runner::start(met)?;
        let mut bar = Progress::new("Metamer", self.progress);
        let start = met.losses.len();
        let mut converged = false;
        for i in 0..self.max_iter {
            let n = met.losses.len();
            let store = every > 0 && n % every == 0;
            if store {
                runner.sync_metamer(met);
                met.saved_metamer.push(met.metamer.clone());
                met.saved_iterations.push(n);
            }
            if let Err(e) = runner.step(met) {
                if store {
                    // keep every stored frame matched to a recorded loss
                    met.saved_metamer.pop();
                    met.saved_iterations.pop();
                }
                runner.finish(met);
                bar.finish(i, &format!("stopped at iteration {n}: {e}"));
                return Err(e);
            }
            let last = met.losses.len() - 1;
            bar.tick(i + 1, || {
                format!(
                    "iteration {} of {} | loss {:.4e}",
                    last + 1,
                    start + self.max_iter,
                    met.losses[last]
                )
            });
            if met.converged(self.stop_criterion, self.stop_iters_to_check) {
                converged = true;
                break;
            }
        }
        runner.finish(met);
        let done = met.losses.len() - start;
        let loss = met.losses.last().copied().unwrap_or(f64::NAN);
        let status = format!(
            "iteration {} | loss {loss:.4e}{}",
            met.losses.len(),
            if converged {
                " | loss has converged, stopped"
            } else {
                ""
            }
        );
        bar.finish(done, &status);
        Ok(())
    }
}

impl<M: Model> Metamer<M> {
    /// A metamer synthesis of `image` (batch, channel, height, width; values in [0, 1])
    /// for `model`, with plenoptic's defaults. See [`Metamer::builder`] for options.
    ///
    /// # Errors
    /// As [`MetamerBuilder::build`].
    pub fn new(image: Image<f32>, model: M) -> Result<Self> {
        Self::builder(image, model).build()
    }

    /// Options: allowed range and range penalty weight.
    ///
    /// ```
    /// use plenoptic as po;
    /// let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
    /// let model = po::simulate::Gaussian::builder((5, 5)).build()?;
    /// let met = po::synthesize::Metamer::builder(img, model)
    ///     .allowed_range((0.0, 2.0)).range_penalty_lambda(0.5).build()?;
    /// assert_eq!(met.allowed_range(), (0.0, 2.0));
    /// # Ok::<(), po::Error>(())
    /// ```
    pub fn builder(image: Image<f32>, model: M) -> MetamerBuilder<M> {
        MetamerBuilder {
            image,
            model,
            allowed_range: (0.0, 1.0),
            range_penalty_lambda: 0.1,
        }
    }

    /// Sets the initial image and the optimiser (once, before the first `synthesize`;
    /// `synthesize` runs the default setup itself when this is not called).
    ///
    /// ```
    /// # use plenoptic as po;
    /// # let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
    /// # let init = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
    /// # let model = po::simulate::Gaussian::builder((5, 5)).build()?;
    /// let mut met = po::synthesize::Metamer::new(img, model)?;
    /// met.setup().initial_image(&init).lr(0.007).run()?;
    /// assert!(met.setup().run().is_err()); // only once
    /// # Ok::<(), po::Error>(())
    /// ```
    pub fn setup(&mut self) -> Setup<'_, M> {
        Setup {
            met: self,
            initial: None,
            adam: AdamOptions::default(),
        }
    }

    /// Synthesis for up to `max_iter` more iterations; chain options, then `.run()`:
    /// `met.synthesize(500).stop_criterion(1e-7).run()?`.
    pub fn synthesize(&mut self, max_iter: usize) -> Synthesize<'_, M> {
        Synthesize {
            met: self,
            max_iter,
            store_progress: None,
            stop_criterion: 1e-4,
            stop_iters_to_check: 50,
            progress: true,
        }
    }

    /// plenoptic's stop test.
    fn converged(&self, crit: f64, k: usize) -> bool {
        let l = &self.losses;
        l.len() > k && (l[l.len() - k] - l[l.len() - 1]).abs() < crit
    }

    /// The loss at the current metamer and its gradient, on the CPU (the host loop).
    fn loss_and_grad(&self) -> Result<(f64, Vec<f32>)> {
        let x = &self.metamer;
        let rep = self.model.forward(x.leaky_trace())?;
        if dims(&rep) != dims(&self.target) {
            return Err(Error::shape_mismatch(
                "the model's output against the target representation",
                dims(&self.target),
                dims(&rep),
            ));
        }
        let (mse, g_rep) = mse_with_grad(&rep.as_vec(), &self.target_vec);
        let mut grads = backward_with(rep, g_rep)?;
        let mut grad = grad_of(&mut grads, x)?;
        let pen = range_penalty(
            &x.as_vec(),
            self.allowed_range,
            self.range_penalty_lambda,
            Some(&mut grad),
        );
        Ok((mse + self.range_penalty_lambda * pen, grad))
    }

    /// One optimiser step; records loss, gradient norm and pixel change.
    fn step(&mut self) -> Result<()> {
        let (loss, grad) = self.loss_and_grad()?;
        let it = self.losses.len();
        if !loss.is_finite() {
            return Err(Error::Synthesis(format!(
                "found a NaN in loss during optimization (iteration {it}, loss {loss})"
            )));
        }
        let gnorm = grad
            .iter()
            .map(|g| (*g as f64) * (*g as f64))
            .sum::<f64>()
            .sqrt();
        if !gnorm.is_finite() {
            return Err(Error::Synthesis(format!(
                "the gradient is not finite at iteration {it} (loss {loss})"
            )));
        }
        let mut data = self.metamer.as_vec();
        let adam = self.adam.as_mut().expect("set up before stepping");
        let change = adam.step(&mut data, &grad);
        self.metamer = cpu().tensor_from_vec(data, *self.metamer.shape());
        self.losses.push(loss);
        self.gradient_norm.push(gnorm);
        self.pixel_change_norm.push(change.sqrt());
        Ok(())
    }

    /// The objective at `image`: MSE between its representation and the target plus
    /// `range_penalty_lambda` times its range penalty (what [`Metamer::losses`] records).
    ///
    /// # Errors
    /// The model's errors, or [`Error::ShapeMismatch`] when the representation's shape
    /// differs from the target's.
    pub fn objective_function(&self, image: &Image<f32>) -> Result<f64> {
        let rep = self.model.apply(image)?;
        if dims(&rep) != dims(&self.target) {
            return Err(Error::shape_mismatch(
                "the representation against the target representation",
                dims(&self.target),
                dims(&rep),
            ));
        }
        let (mse, _) = mse_with_grad(&rep.as_vec(), &self.target_vec);
        let pen = range_penalty(&image.as_vec(), self.allowed_range, 0.0, None);
        Ok(mse + self.range_penalty_lambda * pen)
    }

    /// The target image.
    pub fn image(&self) -> &Image<f32> {
        &self.image
    }
    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }
    /// The model's representation of the target image.
    pub fn target_representation(&self) -> &Image<f32> {
        &self.target
    }
    /// The current metamer (before any synthesis: the image synthesis starts from).
    pub fn metamer(&self) -> &Image<f32> {
        &self.metamer
    }
    /// The loss before each iteration so far.
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }
    /// L2 norm of the gradient at each iteration.
    pub fn gradient_norm(&self) -> &[f64] {
        &self.gradient_norm
    }
    /// L2 norm of the change of the metamer at each iteration.
    pub fn pixel_change_norm(&self) -> &[f64] {
        &self.pixel_change_norm
    }
    /// The stored metamers in progress, each of the image's shape, taken before
    /// iterations `saved_iterations()`.
    pub fn saved_metamer(&self) -> &[Image<f32>] {
        &self.saved_metamer
    }
    /// The iteration of each stored metamer: `saved_metamer()[i]` is the image whose loss
    /// is `losses()[saved_iterations()[i]]`.
    pub fn saved_iterations(&self) -> &[usize] {
        &self.saved_iterations
    }
    /// Every how many iterations progress is stored (`None`: not stored).
    pub fn store_progress(&self) -> Option<usize> {
        self.store_progress.filter(|n| *n > 0)
    }
    /// The allowed pixel range.
    pub fn allowed_range(&self) -> (f64, f64) {
        self.allowed_range
    }
    /// The weight of the range penalty.
    pub fn range_penalty_lambda(&self) -> f64 {
        self.range_penalty_lambda
    }
    /// The optimiser settings (`None` before setup).
    pub fn optimizer_options(&self) -> Option<AdamOptions> {
        self.adam.as_ref().map(|a| a.opts)
    }

    /// Saves the whole state (image, target representation, metamer, losses, norms,
    /// stored progress, optimiser settings and moments, range options) to `path`, in the
    /// archive format described in the [`crate::synthesize`] module documentation.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let mut a = Archive::new("Metamer");
        a.put_text("model_type", std::any::type_name::<M>());
        a.put_f32("image", &dims(&self.image), self.image.as_vec());
        a.put_f32(
            "target_representation",
            &dims(&self.target),
            self.target_vec.clone(),
        );
        a.put_f32("metamer", &dims(&self.metamer), self.metamer.as_vec());
        a.put_f64(
            "allowed_range",
            vec![self.allowed_range.0, self.allowed_range.1],
        );
        a.put_f64("range_penalty_lambda", vec![self.range_penalty_lambda]);
        a.put_f64("losses", self.losses.clone());
        a.put_f64("gradient_norm", self.gradient_norm.clone());
        a.put_f64("pixel_change_norm", self.pixel_change_norm.clone());
        let mut sd = vec![self.saved_metamer.len()];
        sd.extend(dims(&self.image));
        let saved: Vec<f32> = self.saved_metamer.iter().flat_map(|m| m.as_vec()).collect();
        a.put_f32("saved_metamer", &sd, saved);
        a.put_u64(
            "saved_iterations",
            self.saved_iterations.iter().map(|i| *i as u64).collect(),
        );
        if let Some(s) = self.store_progress {
            a.put_u64("store_progress", vec![s as u64]);
        }
        if let Some(adam) = &self.adam {
            let o = adam.opts;
            a.put_f64("optimizer.lr", vec![o.lr]);
            a.put_f64("optimizer.betas", vec![o.betas.0, o.betas.1]);
            a.put_f64("optimizer.eps", vec![o.eps]);
            a.put_u64("optimizer.amsgrad", vec![o.amsgrad as u64]);
            a.put_u64("optimizer.step", vec![adam.step]);
            let d = dims(&self.metamer);
            a.put_f32("optimizer.exp_avg", &d, adam.exp_avg.clone());
            a.put_f32("optimizer.exp_avg_sq", &d, adam.exp_avg_sq.clone());
            if o.amsgrad {
                a.put_f32("optimizer.max_exp_avg_sq", &d, adam.max_exp_avg_sq.clone());
            }
        }
        a.write(path)
    }

    /// Loads a metamer saved with [`Metamer::save`], for `model`: the image, options and
    /// the whole synthesis state come from the file, and `synthesize` continues exactly
    /// where the saved one stopped.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::Load`] when it is not a saved
    /// metamer, is damaged, or `model` is not the model it was saved with (its output on
    /// the saved image differs from the saved target representation in shape or values).
    pub fn load(path: impl AsRef<Path>, model: M) -> Result<Self> {
        let path = path.as_ref();
        let a = read_metamer_archive(path)?;
        let (idims, iv) = a.f32s(path, "image")?;
        let image = crate::tensor::image_from_vec(iv, &idims)
            .map_err(|e| load_err(path, format!("bad image record: {e}")))?;
        let range = a.f64_n(path, "allowed_range", 2)?;
        let lambda = a.f64_n(path, "range_penalty_lambda", 1)?[0];
        let mut met = Metamer::builder(image, model)
            .allowed_range((range[0], range[1]))
            .range_penalty_lambda(lambda)
            .build_with(false)
            .map_err(|e| {
                load_err(
                    path,
                    format!("the saved image and options are not usable: {e}"),
                )
            })?;
        met.apply_saved(path, &a)?;
        Ok(met)
    }

    /// Restores the state saved in `path` into this freshly built metamer, after checking
    /// that the file was saved with the same image, model, allowed range and range
    /// penalty (plenoptic's `Metamer.load`).
    ///
    /// # Errors
    /// [`Error::Load`] when this metamer has already been set up or synthesized, or when
    /// image, model output, allowed range or range penalty differ from the saved ones;
    /// the errors of [`Metamer::load`].
    pub fn restore(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        if self.adam.is_some() || !self.losses.is_empty() {
            return Err(load_err(
                path,
                "restore can only be called on a just-created Metamer (this one is already set up)",
            ));
        }
        let a = read_metamer_archive(path)?;
        let (idims, iv) = a.f32s(path, "image")?;
        if idims != dims(&self.image) {
            return Err(load_err(
                path,
                format!(
                    "saved image has shape {idims:?}, this metamer's image {:?}",
                    dims(&self.image)
                ),
            ));
        }
        if let Some(d) = max_violation(&iv, &self.image.as_vec()) {
            return Err(load_err(
                path,
                format!("saved and initialized image have different values (largest difference {d:.3e})"),
            ));
        }
        let range = a.f64_n(path, "allowed_range", 2)?;
        if (range[0], range[1]) != self.allowed_range {
            return Err(load_err(
                path,
                format!(
                    "saved and initialized allowed_range are different: saved ({}, {}), initialized {:?}",
                    range[0], range[1], self.allowed_range
                ),
            ));
        }
        let lambda = a.f64_n(path, "range_penalty_lambda", 1)?[0];
        if (lambda - self.range_penalty_lambda).abs() > 1e-8 + 1e-5 * lambda.abs() {
            return Err(load_err(
                path,
                format!(
                    "saved and initialized range_penalty_lambda are different: saved {lambda}, initialized {}",
                    self.range_penalty_lambda
                ),
            ));
        }
        self.apply_saved(path, &a)
    }

    /// Checks the model against the saved target representation, then takes over the
    /// saved synthesis state.
    fn apply_saved(&mut self, path: &Path, a: &Archive) -> Result<()> {
        let (tdims, tv) = a.f32s(path, "target_representation")?;
        let saved_type = a.text(path, "model_type").unwrap_or_default();
        let hint = if saved_type.is_empty() || saved_type == std::any::type_name::<M>() {
            String::new()
        } else {
            format!(
                " (saved with model type `{saved_type}`, loading with `{}`)",
                std::any::type_name::<M>()
            )
        };
        if tdims != dims(&self.target) {
            return Err(load_err(
                path,
                format!(
                    "saved and initialized model output have different shape: saved {tdims:?}, \
                     this model gives {:?}{hint}",
                    dims(&self.target)
                ),
            ));
        }
        if let Some(d) = max_violation(&tv, &self.target_vec) {
            return Err(load_err(
                path,
                format!(
                    "saved and initialized model output have different values (largest \
                     difference {d:.3e}): the file was saved with another model{hint}"
                ),
            ));
        }
        let shape = dims(&self.image);
        let (mdims, mv) = a.f32s(path, "metamer")?;
        if mdims != shape {
            return Err(load_err(
                path,
                format!("saved metamer has shape {mdims:?}, the image {shape:?}"),
            ));
        }
        let losses = a.f64s(path, "losses")?;
        let gradient_norm = a.f64s(path, "gradient_norm")?;
        let pixel_change_norm = a.f64s(path, "pixel_change_norm")?;
        if gradient_norm.len() != losses.len() || pixel_change_norm.len() != losses.len() {
            return Err(load_err(path, "losses and norms have different lengths"));
        }
        let (sdims, sv) = a.f32s(path, "saved_metamer")?;
        let saved_iterations: Vec<usize> = a
            .u64s(path, "saved_iterations")?
            .into_iter()
            .map(|i| i as usize)
            .collect();
        let n_saved = saved_iterations.len();
        let mut want = vec![n_saved];
        want.extend(shape);
        if sdims != want {
            return Err(load_err(
                path,
                format!("saved_metamer has shape {sdims:?}, expected {want:?}"),
            ));
        }
        let store_progress = if a.has("store_progress") {
            Some(a.u64_1(path, "store_progress")? as usize)
        } else {
            None
        };
        let adam = if a.has("optimizer.step") {
            let betas = a.f64_n(path, "optimizer.betas", 2)?;
            let opts = AdamOptions {
                lr: a.f64_n(path, "optimizer.lr", 1)?[0],
                betas: (betas[0], betas[1]),
                eps: a.f64_n(path, "optimizer.eps", 1)?[0],
                amsgrad: a.u64_1(path, "optimizer.amsgrad")? != 0,
            };
            let n = mv.len();
            let moment = |name: &str| -> Result<Vec<f32>> {
                let (d, v) = a.f32s(path, name)?;
                if v.len() != n || d != shape {
                    return Err(load_err(
                        path,
                        format!("{name} has shape {d:?}, expected {shape:?}"),
                    ));
                }
                Ok(v)
            };
            Some(Adam {
                opts,
                step: a.u64_1(path, "optimizer.step")?,
                exp_avg: moment("optimizer.exp_avg")?,
                exp_avg_sq: moment("optimizer.exp_avg_sq")?,
                max_exp_avg_sq: if opts.amsgrad {
                    moment("optimizer.max_exp_avg_sq")?
                } else {
                    Vec::new()
                },
            })
        } else {
            None
        };
        let s = *self.image.shape();
        let plane: usize = shape.iter().product();
        self.metamer = cpu().tensor_from_vec(mv, s);
        self.saved_metamer = (0..n_saved)
            .map(|i| cpu().tensor_from_vec(sv[i * plane..(i + 1) * plane].to_vec(), s))
            .collect();
        self.saved_iterations = saved_iterations;
        self.losses = losses;
        self.gradient_norm = gradient_norm;
        self.pixel_change_norm = pixel_change_norm;
        self.store_progress = store_progress;
        self.adam = adam;
        Ok(())
    }
}

fn read_metamer_archive(path: &Path) -> Result<Archive> {
    let a = Archive::read(path)?;
    if a.kind != "Metamer" {
        return Err(load_err(
            path,
            format!("the file holds a saved {}, not a Metamer", a.kind),
        ));
    }
    Ok(a)
}

/// The largest difference between `saved` and `now` if they are not close (torch's
/// `allclose` with rtol 1e-5 and atol 1e-8, as plenoptic's load checks).
fn max_violation(saved: &[f32], now: &[f32]) -> Option<f64> {
    let mut bad = false;
    let mut worst = 0.0f64;
    for (s, n) in saved.iter().zip(now) {
        let (s, n) = (*s as f64, *n as f64);
        let d = (s - n).abs();
        worst = worst.max(d);
        if d.is_nan() || d > 1e-8 + 1e-5 * s.abs() {
            bad = true;
        }
    }
    bad.then_some(worst)
}

/// Where the iterations of one `synthesize` call run: the host loop on the CPU
/// ([`Metamer::step`]), or a [`DeviceLoop`] that keeps the metamer and Adam's state on the
/// device (the GPU; on the CPU only when tests send it through the GPU's code path).
enum Runner {
    Host,
    Cpu(Box<DeviceLoop<dfdx::prelude::Cpu>>),
    #[cfg(feature = "cuda")]
    Gpu(Box<DeviceLoop<crate::device::Gpu>>),
}

/// `$body` with `$l` bound to the runner's device loop, or `$host` for the host loop.
macro_rules! with_loop {
    ($runner:expr, $l:ident => $body:expr, host => $host:expr) => {
        match $runner {
            Runner::Host => $host,
            Runner::Cpu($l) => $body,
            #[cfg(feature = "cuda")]
            Runner::Gpu($l) => $body,
        }
    };
}

impl Runner {
    /// The runner for the current device, holding a copy of the metamer's state there.
    fn start<M: Model>(met: &Metamer<M>) -> Result<Runner> {
        let adam = met.adam.as_ref().expect("set up before running");
        let (x, target) = (&met.metamer, &met.target);
        let (range, lambda) = (met.allowed_range, met.range_penalty_lambda);
        Ok(match crate::device::current() {
            #[cfg(feature = "cuda")]
            Kind::Cuda => Runner::Gpu(Box::new(DeviceLoop::new(
                &crate::device::gpu_or_err()?,
                x,
                target,
                adam,
                range,
                lambda,
            )?)),
            #[cfg(not(feature = "cuda"))]
            Kind::Cuda => return Err(Error::Unavailable("built without the cuda feature".into())),
            Kind::Cpu if cfg!(feature = "portable-cpu") => Runner::Cpu(Box::new(DeviceLoop::new(
                &crate::device::cpu(),
                x,
                target,
                adam,
                range,
                lambda,
            )?)),
            Kind::Cpu => Runner::Host,
        })
    }

    /// One iteration; records loss, gradient norm and pixel change in `met`.
    fn step<M: Model>(&mut self, met: &mut Metamer<M>) -> Result<()> {
        let it = met.losses.len();
        let out = with_loop!(self, l => l.step(&met.model, it)?, host => return met.step());
        met.losses.push(out.loss);
        met.gradient_norm.push(out.gnorm);
        met.pixel_change_norm.push(out.change.sqrt());
        Ok(())
    }

    /// Copies the device's metamer into `met.metamer`.
    fn sync_metamer<M: Model>(&self, met: &mut Metamer<M>) {
        with_loop!(self, l => met.metamer = l.metamer(), host => ())
    }

    /// Copies the device's metamer and Adam's state back into `met`.
    fn finish<M: Model>(&self, met: &mut Metamer<M>) {
        self.sync_metamer(met);
        with_loop!(self, l => l.write_back(met.adam.as_mut().expect("set up")), host => ())
    }
}
