//! Saving and loading a [`Metamer`]: the archive records of the module documentation
//! (`crate::synthesize`), the checks of `restore` against the file, and `load`.

use std::path::Path;

use dfdx::prelude::{HasShape, TensorFromVec};

use super::{Metamer, State};
use crate::device::cpu;
use crate::error::{LoadError, Result};
use crate::simulate::Model;
use crate::synthesize::adam::AdamState;
use crate::synthesize::archive::{check_close, check_model_name, invalid, load_error, Archive};
use crate::synthesize::optimized::OptimizedSynthesis;
use crate::synthesize::ErasedModel;
use crate::synthesize::LoadTolerance;
use crate::tensor::dims;

/// The archive name of the stored metamers.
const FRAMES: &str = "saved_metamer";

/// See [`Metamer::load`] and [`Metamer::load_with`].
pub(super) fn load<M: Model>(path: &Path, model: M, tol: LoadTolerance) -> Result<Metamer<M>> {
    let a = Archive::read_kind(path, "Metamer")?;
    let (idims, iv) = a.f32s(path, "image")?;
    let image = crate::tensor::image_from_vec(iv, &idims)
        .map_err(|e| invalid(path, "image", e.to_string()))?;
    let range = a.f64_n(path, "allowed_range", 2)?;
    let lambda = a.f64_n(path, "range_penalty_lambda", 1)?[0];
    let mut met = Metamer::builder(image, model)
        .allowed_range((range[0], range[1]))
        .range_penalty_lambda(lambda)
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

impl State {
    /// See [`Metamer::save`].
    pub(super) fn save(&self, model: &dyn ErasedModel, path: &Path) -> Result<()> {
        let mut a = Archive::new("Metamer");
        a.put_text("model_type", model.type_name());
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
        self.history.put(&mut a, FRAMES, shape);
        if let Some(adam) = &self.adam {
            adam.put(&mut a, &dims(&self.metamer));
        }
        a.write(path)
    }

    /// See [`Metamer::restore`] and [`Metamer::restore_with`].
    pub(super) fn restore(
        &mut self,
        model: &dyn ErasedModel,
        path: &Path,
        tol: LoadTolerance,
    ) -> Result<()> {
        if self.adam.is_some() || !self.history.losses.is_empty() {
            return Err(load_error(
                path,
                LoadError::NotFresh {
                    what: "Metamer".into(),
                },
            ));
        }
        let a = Archive::read_kind(path, "Metamer")?;
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
        self.apply_saved(model, path, &a, tol)
    }

    /// Checks the model (its name, and its output at the image against the saved target
    /// representation), then takes over the saved synthesis state.
    fn apply_saved(
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
        let history = OptimizedSynthesis::take(a, path, FRAMES, shape)?;
        let adam = AdamState::take(a, path, &shape)?;
        self.metamer = cpu().tensor_from_vec(mv, *self.image.shape());
        self.history = history;
        self.adam = adam;
        Ok(())
    }
}
