//! Coarse-to-fine metamers ([`MetamerCTF`], plenoptic's `MetamerCTF`): a [`Metamer`]
//! whose optimisation first matches only part of a multi-scale model's representation
//! (the coarsest scale), then adds (or moves to) finer scales, and ends with all of it.
//!
//! [`MetamerCTF<M>`] holds a [`Metamer<M>`] (every accessor of a metamer works on it, by
//! `Deref`) and the non-generic schedule ([`Schedule`]); its loop (`run.rs`) takes the
//! model as `&dyn ErasedCoarseToFine`, so it is compiled once, in the crate.

mod persist;
mod run;

use std::fmt;
use std::ops::Deref;
use std::path::Path;

pub use run::SynthesizeCtf;

use super::erased::{apply_f32, ErasedCoarseToFine};
use super::metamer::{Metamer, MetamerBuilder, Setup};
use super::{LoadTolerance, LossFunction};
use crate::error::{Error, Result};
use crate::simulate::{CoarseToFine, Scale};
use crate::tensor::{dims, Image};

/// How [`MetamerCTF`] moves through the model's scales (plenoptic's `coarse_to_fine`).
///
/// ```
/// use plenoptic::synthesize::CtfMode;
/// assert_eq!(format!("{:>9}|", CtfMode::Separate), " separate|");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CtfMode {
    /// Start with the coarsest scale, then add each finer one (the finest scale is never
    /// a stage of its own: the last stage is all of them).
    #[default]
    Together,
    /// Each scale alone, coarsest first, then all of them together.
    Separate,
}

impl CtfMode {
    /// plenoptic's name: `together` or `separate`.
    pub fn name(self) -> &'static str {
        match self {
            CtfMode::Together => "together",
            CtfMode::Separate => "separate",
        }
    }
}

impl fmt::Display for CtfMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The name of the last stage, in which the whole representation is matched
/// (plenoptic's `"all"`).
pub const ALL_SCALES: &str = "all";

/// The coarse-to-fine state: the stages still to run, those finished, when each started
/// and stopped, and the loss of the optimised subset at each iteration.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    pub mode: CtfMode,
    /// The stages still to run; the first is the current one; the last is `"all"`.
    pub scales: Vec<Scale>,
    pub finished: Vec<Scale>,
    /// Per stage, in the order of the schedule: the iterations it started and stopped at.
    pub timing: Vec<(Scale, Vec<usize>)>,
    /// The objective actually minimised at each iteration.
    pub scales_loss: Vec<f64>,
    /// The learning rate each stage starts with (set at the first synthesis).
    pub initial_lr: Option<f64>,
}

impl Schedule {
    /// The schedule of a model with scales `scales` (coarse to fine), as plenoptic's
    /// `_init_ctf`.
    fn new(scales: &[Scale], mode: CtfMode) -> Self {
        let mut s: Vec<Scale> = scales[..scales.len() - 1].to_vec();
        if mode == CtfMode::Separate {
            s.push(scales[scales.len() - 1].clone());
        }
        s.push(Scale::named(ALL_SCALES));
        let mut timing: Vec<(Scale, Vec<usize>)> = s.iter().map(|k| (k.clone(), vec![])).collect();
        timing[0].1.push(0);
        Schedule {
            mode,
            scales: s,
            finished: Vec::new(),
            timing,
            scales_loss: Vec::new(),
            initial_lr: None,
        }
    }

    /// The timing entry of `scale`.
    pub fn timing_of(&mut self, scale: &Scale) -> &mut Vec<usize> {
        let i = self
            .timing
            .iter()
            .position(|(k, _)| k == scale)
            .expect("every stage has a timing entry");
        &mut self.timing[i].1
    }

    /// The scales the current stage matches (`None`: all of the representation).
    pub fn subset(&self) -> Option<Vec<Scale>> {
        let cur = &self.scales[0];
        if cur == &Scale::named(ALL_SCALES) {
            return None;
        }
        let mut v = vec![cur.clone()];
        if self.mode == CtfMode::Together {
            v.extend(self.finished.iter().cloned());
        }
        Some(v)
    }
}

/// Synthesizes a metamer coarse to fine, as plenoptic's `MetamerCTF`: for a model whose
/// representation splits into scales ([`CoarseToFine`], such as Portilla-Simoncelli), the
/// optimisation first matches the coarsest scale's part of the representation, then
/// (every `ctf_iters_to_check` iterations at least, once the stage's loss changes by less
/// than `change_scale_criterion`) moves on to the next finer scale, with all the coarser
/// ones ([`CtfMode::Together`]) or alone ([`CtfMode::Separate`]), and ends matching all
/// of it (the stage `"all"`). At each change Adam's learning rate is reset to its
/// initial value (its moments are kept) and the target for the new subset is computed.
///
/// [`Metamer::losses`] records the full objective at each iteration (computed without a
/// gradient during the coarse stages), [`MetamerCTF::scales_loss`] the one minimised.
/// Every accessor of [`Metamer`] works on a `MetamerCTF` (it dereferences to one), as do
/// the display functions.
///
/// ```
/// use plenoptic as po;
/// use po::simulate::Scale;
/// use po::synthesize::{MetamerCTF, LossFunction};
/// let model = po::simulate::PortillaSimoncelli::builder((32, 32))
///     .n_scales(2)
///     .spatial_corr_width(3)
///     .build()?;
/// let img = po::data::white_noise::<f32>(&[1, 1, 32, 32])?;
/// let mut met = MetamerCTF::builder(img, model).loss_function(LossFunction::L2Norm).build()?;
/// met.synthesize(6).change_scale_criterion(None).ctf_iters_to_check(3).progress(false).run()?;
/// assert_eq!(met.scales_finished(), [Scale::named("pixel_statistics")]);
/// assert_eq!(met.scales_loss().len(), 6);
/// # Ok::<(), po::Error>(())
/// ```
pub struct MetamerCTF<M: CoarseToFine> {
    met: Metamer<M>,
    sched: Schedule,
}

impl<M: CoarseToFine> Deref for MetamerCTF<M> {
    type Target = Metamer<M>;
    fn deref(&self) -> &Metamer<M> {
        &self.met
    }
}

impl<M: CoarseToFine> fmt::Debug for MetamerCTF<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetamerCTF")
            .field("metamer", &self.met)
            .field("coarse_to_fine", &self.sched.mode)
            .field("scales", &self.sched.scales)
            .field("scales_finished", &self.sched.finished)
            .finish()
    }
}

/// Options for [`MetamerCTF`]; finish with [`MetamerCTFBuilder::build`].
#[must_use = "call .build() to create the MetamerCTF"]
pub struct MetamerCTFBuilder<M: CoarseToFine> {
    inner: MetamerBuilder<M>,
    mode: CtfMode,
}

impl<M: CoarseToFine> MetamerCTFBuilder<M> {
    /// See [`MetamerBuilder::allowed_range`].
    pub fn allowed_range(mut self, range: (f64, f64)) -> Self {
        self.inner = self.inner.allowed_range(range);
        self
    }
    /// See [`MetamerBuilder::range_penalty_lambda`].
    pub fn range_penalty_lambda(mut self, lambda: f64) -> Self {
        self.inner = self.inner.range_penalty_lambda(lambda);
        self
    }
    /// See [`MetamerBuilder::loss_function`].
    pub fn loss_function(mut self, loss: LossFunction) -> Self {
        self.inner = self.inner.loss_function(loss);
        self
    }
    /// How the scales are visited (default [`CtfMode::Together`]).
    pub fn coarse_to_fine(mut self, mode: CtfMode) -> Self {
        self.mode = mode;
        self
    }

    /// The checks of [`MetamerBuilder::build`], then those of the model for
    /// coarse-to-fine synthesis (plenoptic's `validate_coarse_to_fine`): it has scales,
    /// none called `"all"`, and the representation of each scale alone has another shape
    /// than the whole representation.
    ///
    /// # Errors
    /// As [`MetamerBuilder::build`]; [`Error::InvalidModel`] when the model fails the
    /// coarse-to-fine checks.
    pub fn build(self) -> Result<MetamerCTF<M>> {
        self.build_with(true)
    }

    /// `build`, drawing the default initial image only when `draw` is true.
    fn build_with(self, draw: bool) -> Result<MetamerCTF<M>> {
        let met = self.inner.build_with(draw)?;
        let scales = check_coarse_to_fine(&met.model, &met.state.image, &met.state.target)?;
        Ok(MetamerCTF {
            met,
            sched: Schedule::new(&scales, self.mode),
        })
    }
}

/// The model's scales, after plenoptic's checks (`validate_coarse_to_fine`) at `image`
/// whose full representation is `full`: one forward pass per scale.
fn check_coarse_to_fine(
    model: &dyn ErasedCoarseToFine,
    image: &Image<f32>,
    full: &Image<f32>,
) -> Result<Vec<Scale>> {
    let why = "and therefore cannot be synthesized coarse to fine";
    let scales = model.scales();
    if scales.is_empty() {
        return Err(Error::InvalidModel(format!(
            "the model has no scales {why}"
        )));
    }
    if scales.contains(&Scale::named(ALL_SCALES)) {
        return Err(Error::InvalidModel(format!(
            "the model has a scale named \"{ALL_SCALES}\", the name of the last stage, {why}"
        )));
    }
    if scales.len() > 1 {
        for s in &scales {
            let rep = model.forward_scales_f32(
                dfdx::prelude::Trace::leaky_trace(image),
                std::slice::from_ref(s),
            )?;
            if dims(&rep) == dims(full) {
                return Err(Error::InvalidModel(format!(
                    "the model's output does not change shape when restricted to the \
                     scale {s} {why}"
                )));
            }
        }
    }
    let all = apply_f32(model, image)?;
    if dims(&all) != dims(full) {
        return Err(Error::InvalidModel(format!(
            "the model's forward pass changed the shape of its output {why}"
        )));
    }
    Ok(scales)
}

impl<M: CoarseToFine> MetamerCTF<M> {
    /// A coarse-to-fine metamer synthesis of `image` for `model`, with plenoptic's
    /// defaults. See [`MetamerCTF::builder`].
    ///
    /// # Errors
    /// As [`MetamerCTFBuilder::build`].
    pub fn new(image: Image<f32>, model: M) -> Result<Self> {
        Self::builder(image, model).build()
    }

    /// Options: allowed range, range penalty weight, loss function, coarse-to-fine mode.
    pub fn builder(image: Image<f32>, model: M) -> MetamerCTFBuilder<M> {
        MetamerCTFBuilder {
            inner: Metamer::builder(image, model),
            mode: CtfMode::Together,
        }
    }

    /// Sets the initial image and the optimiser, as [`Metamer::setup`].
    pub fn setup(&mut self) -> Setup<'_, M> {
        self.met.setup()
    }

    /// Synthesis for up to `max_iter` more iterations; chain options, then `.run()`:
    /// `met.synthesize(500).change_scale_criterion(None).ctf_iters_to_check(3).run()?`.
    pub fn synthesize(&mut self, max_iter: usize) -> SynthesizeCtf<'_, M> {
        SynthesizeCtf::new(self, max_iter)
    }

    /// How the scales are visited.
    pub fn coarse_to_fine(&self) -> CtfMode {
        self.sched.mode
    }
    /// The stages still to run, the current one first (plenoptic's `scales`); the last
    /// is `"all"` ([`ALL_SCALES`]).
    pub fn scales(&self) -> &[Scale] {
        &self.sched.scales
    }
    /// The stages finished, in order.
    pub fn scales_finished(&self) -> &[Scale] {
        &self.sched.finished
    }
    /// The objective minimised at each iteration (the current stage's part of the
    /// representation, with the range penalty).
    pub fn scales_loss(&self) -> &[f64] {
        &self.sched.scales_loss
    }
    /// Per stage, in the schedule's order: the iteration it started at and, once
    /// finished, the last iteration it ran (plenoptic's `scales_timing`).
    pub fn scales_timing(&self) -> &[(Scale, Vec<usize>)] {
        &self.sched.timing
    }
    /// The learning rate of a stage's start (`None` before the first synthesis).
    pub fn initial_lr(&self) -> Option<f64> {
        self.sched.initial_lr
    }
    /// The metamer synthesis this one builds on.
    pub fn as_metamer(&self) -> &Metamer<M> {
        &self.met
    }

    /// Saves the whole state (a metamer's records and the schedule) to `path`.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written; a custom loss function's errors.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        persist::save(&self.met, &self.sched, path.as_ref())
    }

    /// Loads a synthesis saved with [`MetamerCTF::save`], for `model`; `synthesize`
    /// continues where the saved one stopped.
    ///
    /// # Errors
    /// As [`Metamer::load`]; [`Error::Load`] for a file of another kind or a schedule
    /// that does not fit the model's scales.
    pub fn load(path: impl AsRef<Path>, model: M) -> Result<Self> {
        Self::load_with(path, model, LoadTolerance::default())
    }

    /// [`MetamerCTF::load`] comparing the model's output with tolerances `tol`.
    ///
    /// # Errors
    /// As [`MetamerCTF::load`].
    pub fn load_with(path: impl AsRef<Path>, model: M, tol: LoadTolerance) -> Result<Self> {
        persist::load(path.as_ref(), model, tol)
    }

    /// Restores the state saved in `path` into this freshly built synthesis, after
    /// checking the image, model, range options, loss function and coarse-to-fine mode
    /// against the saved ones (plenoptic's `MetamerCTF.load`).
    ///
    /// # Errors
    /// As [`Metamer::restore`]; [`Error::Load`] when the coarse-to-fine mode differs.
    pub fn restore(&mut self, path: impl AsRef<Path>) -> Result<()> {
        self.restore_with(path, LoadTolerance::default())
    }

    /// [`MetamerCTF::restore`] with tolerances `tol`.
    ///
    /// # Errors
    /// As [`MetamerCTF::restore`].
    pub fn restore_with(&mut self, path: impl AsRef<Path>, tol: LoadTolerance) -> Result<()> {
        persist::restore(&mut self.met, &mut self.sched, path.as_ref(), tol)
    }
}
