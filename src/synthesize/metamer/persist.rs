//! Saving and loading a [`Metamer`]: the archive records of the module documentation
//! (`crate::synthesize`), the checks of `restore` against the file, and `load`.

use std::path::Path;

use dfdx::prelude::{HasShape, TensorFromVec};

use super::{Metamer, State};
use crate::device::cpu;
use crate::error::Result;
use crate::simulate::Model;
use crate::synthesize::adam::AdamState;
use crate::synthesize::archive::{load_err, Archive};
use crate::synthesize::optimized::OptimizedSynthesis;
use crate::synthesize::ErasedModel;
use crate::tensor::dims;

/// The archive name of the stored metamers.
const FRAMES: &str = "saved_metamer";

/// See [`Metamer::load`].
pub(super) fn load<M: Model>(path: &Path, model: M) -> Result<Metamer<M>> {
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
    met.state.apply_saved(&met.model, path, &a)?;
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

    /// See [`Metamer::restore`].
    pub(super) fn restore(&mut self, model: &dyn ErasedModel, path: &Path) -> Result<()> {
        if self.adam.is_some() || !self.history.losses.is_empty() {
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
        self.apply_saved(model, path, &a)
    }

    /// Checks the model against the saved target representation, then takes over the
    /// saved synthesis state.
    fn apply_saved(&mut self, model: &dyn ErasedModel, path: &Path, a: &Archive) -> Result<()> {
        let (tdims, tv) = a.f32s(path, "target_representation")?;
        let saved_type = a.text(path, "model_type").unwrap_or_default();
        let hint = if saved_type.is_empty() || saved_type == model.type_name() {
            String::new()
        } else {
            format!(
                " (saved with model type `{saved_type}`, loading with `{}`)",
                model.type_name()
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
        if let Some(d) = max_violation(&tv, &self.target.as_vec()) {
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
        let history = OptimizedSynthesis::take(a, path, FRAMES, shape)?;
        let adam = AdamState::take(a, path, &shape)?;
        self.metamer = cpu().tensor_from_vec(mv, *self.image.shape());
        self.history = history;
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
