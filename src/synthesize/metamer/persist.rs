//! Saving and loading a [`Metamer`]: the archive records of the module documentation
//! (`crate::synthesize`), the checks of `restore` against the file, and `load`.

use std::path::Path;

use dfdx::prelude::{HasShape, TensorFromVec};

use super::{Metamer, MetamerBuilder, State};
use crate::device::cpu;
use crate::error::{LoadError, Result};
use crate::simulate::Model;
use crate::synthesize::adam::AdamState;
use crate::synthesize::archive::{check_close, check_model_name, invalid, load_error, Archive};
use crate::synthesize::optimized::OptimizedSynthesis;
use crate::synthesize::ErasedModel;
use crate::synthesize::{LoadTolerance, LossFunction};
use crate::tensor::dims;

/// The archive name of the stored metamers.
const FRAMES: &str = "saved_metamer";

/// See [`Metamer::load`] and [`Metamer::load_with`].
pub(super) fn load<M: Model>(path: &Path, model: M, tol: LoadTolerance) -> Result<Metamer<M>> {
    let a = Archive::read_kind(path, "Metamer")?;
    let mut met = builder_from_archive(&a, path, model)?
        .build_with(false)
        .map_err(|e| {
            invalid(
                path,
                "image",
                format!("the saved image and options are not usable: {e}"),
            )
        })?;
    met.state.apply_saved(&met.model, path, &a, tol)?;
    Ok(met)
}

/// A builder with the image, range options and loss function saved in `a` (a metamer's
/// records, in a file of any kind), for `model`.
///
/// # Errors
/// [`Error::Load`](crate::Error::Load) for missing or bad records, or a custom loss
/// function (which a file cannot hold: build the synthesis with it, then `restore`).
pub(crate) fn builder_from_archive<M: Model>(
    a: &Archive,
    path: &Path,
    model: M,
) -> Result<MetamerBuilder<M>> {
    let (idims, iv) = a.f32s(path, "image")?;
    let image = crate::tensor::image_from_vec(iv, &idims)
        .map_err(|e| invalid(path, "image", e.to_string()))?;
    let range = a.f64_n(path, "allowed_range", 2)?;
    let lambda = a.f64_n(path, "range_penalty_lambda", 1)?[0];
    let loss = if a.has("loss_function") {
        let name = a.text(path, "loss_function")?;
        LossFunction::from_saved_name(&name).ok_or_else(|| {
            invalid(
                path,
                "loss_function",
                format!(
                    "saved with the loss function {name:?}, which a file cannot hold: build \
                     the synthesis with that loss function and call restore() instead"
                ),
            )
        })?
    } else {
        LossFunction::Mse
    };
    Ok(MetamerBuilder::new(image, model)
        .allowed_range((range[0], range[1]))
        .range_penalty_lambda(lambda)
        .loss_function(loss))
}

impl State {
    /// See [`Metamer::save`].
    pub(super) fn save(&self, model: &dyn ErasedModel, path: &Path) -> Result<()> {
        let mut a = Archive::new("Metamer");
        self.put(model, &mut a)?;
        a.write(path)
    }

    /// Writes the metamer's records into `a`.
    ///
    /// # Errors
    /// A custom loss function's errors (its value is recorded).
    pub(crate) fn put(&self, model: &dyn ErasedModel, a: &mut Archive) -> Result<()> {
        a.put_text("model_type", model.type_name());
        a.put_text("loss_function", &self.loss.saved_name());
        a.put_f64(
            "loss_function_value",
            vec![self.loss.value(&self.image, &self.metamer)?],
        );
        let shape = dims(&self.image);
        a.put_f32("image", &shape, self.image.as_vec());
        a.put_f32(
            "target_representation",
            &dims(&self.target),
            self.target.as_vec(),
        );
        a.put_f32("metamer", &dims(&self.metamer), self.metamer.as_vec());
        a.put_f64(
            "allowed_range",
            vec![self.allowed_range.0, self.allowed_range.1],
        );
        a.put_f64("range_penalty_lambda", vec![self.range_penalty_lambda]);
        self.history.put(a, FRAMES, shape);
        if let Some(adam) = &self.adam {
            adam.put(a, &dims(&self.metamer));
        }
        Ok(())
    }

    /// See [`Metamer::restore`] and [`Metamer::restore_with`].
    pub(super) fn restore(
        &mut self,
        model: &dyn ErasedModel,
        path: &Path,
        tol: LoadTolerance,
    ) -> Result<()> {
        self.check_fresh(path, "Metamer")?;
        let a = Archive::read_kind(path, "Metamer")?;
        self.restore_from(model, path, &a, tol)
    }

    /// [`LoadError::NotFresh`] (for a synthesis called `what`) once set up or run.
    pub(crate) fn check_fresh(&self, path: &Path, what: &str) -> Result<()> {
        if self.adam.is_some() || !self.history.losses.is_empty() {
            return Err(load_error(path, LoadError::NotFresh { what: what.into() }));
        }
        Ok(())
    }

    /// [`State::restore`] from the records of `a`.
    pub(crate) fn restore_from(
        &mut self,
        model: &dyn ErasedModel,
        path: &Path,
        a: &Archive,
        tol: LoadTolerance,
    ) -> Result<()> {
        self.check_fresh(path, &a.kind)?;
        let (idims, iv) = a.f32s(path, "image")?;
        check_close(
            "image",
            (&idims, &iv),
            (&dims(&self.image), &self.image.as_vec()),
            tol,
        )
        .map_err(|e| load_error(path, e))?;
        let range = a.f64_n(path, "allowed_range", 2)?;
        if (range[0], range[1]) != self.allowed_range {
            return Err(load_error(
                path,
                LoadError::Mismatch {
                    what: "allowed_range".into(),
                    detail: format!(
                        "values: saved ({}, {}), initialized {:?}",
                        range[0], range[1], self.allowed_range
                    ),
                },
            ));
        }
        let lambda = a.f64_n(path, "range_penalty_lambda", 1)?[0];
        if (lambda - self.range_penalty_lambda).abs() > 1e-8 + 1e-5 * lambda.abs() {
            return Err(load_error(
                path,
                LoadError::Mismatch {
                    what: "range_penalty_lambda".into(),
                    detail: format!(
                        "values: saved {lambda}, initialized {}",
                        self.range_penalty_lambda
                    ),
                },
            ));
        }
        self.apply_saved(model, path, a, tol)
    }

    /// Checks the model (its name, and its output at the image against the saved target
    /// representation), then takes over the saved synthesis state.
    pub(crate) fn apply_saved(
        &mut self,
        model: &dyn ErasedModel,
        path: &Path,
        a: &Archive,
        tol: LoadTolerance,
    ) -> Result<()> {
        check_model_name(&a.text(path, "model_type")?, model.type_name())
            .map_err(|e| load_error(path, e))?;
        let (tdims, tv) = a.f32s(path, "target_representation")?;
        check_close(
            "model output",
            (&tdims, &tv),
            (&dims(&self.target), &self.target.as_vec()),
            tol,
        )
        .map_err(|e| load_error(path, e))?;
        let shape = dims(&self.image);
        let (mdims, mv) = a.f32s(path, "metamer")?;
        if mdims != shape {
            return Err(invalid(
                path,
                "metamer",
                format!("shape {mdims:?}, the image's is {shape:?}"),
            ));
        }
        if a.has("loss_function_value") {
            // plenoptic's check of the loss function's behaviour: its value at (image,
            // saved metamer)
            let saved = a.f64_n(path, "loss_function_value", 1)?;
            let img = cpu().tensor_from_vec(mv.clone(), *self.image.shape());
            let now = self.loss.value(&self.image, &img)?;
            check_close("loss_function", (&[1], &saved), (&[1], &[now]), tol).map_err(|e| {
                let name = a.text(path, "loss_function").unwrap_or_default();
                load_error(
                    path,
                    match e {
                        LoadError::Mismatch { what, detail } => LoadError::Mismatch {
                            what,
                            detail: format!(
                                "{detail} (saved with {name}, initialized with {})",
                                self.loss.saved_name()
                            ),
                        },
                        e => e,
                    },
                )
            })?;
        }
        let history = OptimizedSynthesis::take(a, path, FRAMES, shape)?;
        let adam = AdamState::take(a, path, &shape)?;
        self.metamer = cpu().tensor_from_vec(mv, *self.image.shape());
        self.history = history;
        self.adam = adam;
        Ok(())
    }
}
