//! Saving and loading a [`MADCompetition`]: its archive records (kind `MADCompetition`),
//! the checks of `restore` against the file, and `load`.
//!
//! Records: `optimized_metric`, `reference_metric` (names, text), `minmax` (text),
//! `image` (f32), `metric_tradeoff_lambda`, `range_penalty_lambda`, `allowed_range`
//! (f64); once set up `initial_image`, `mad_image` (f32), `reference_metric_target`,
//! `optimized_metric_loss`, `reference_metric_loss`, and the metrics' values at the
//! image and the MAD image, `optimized_metric_output`, `reference_metric_output` (f64),
//! which loading recomputes with the given metrics; the shared history (frames
//! `saved_mad_image`) and the optimiser's records.

use std::path::Path;

use dfdx::prelude::{HasShape, TensorFromVec};

use super::builder::IntoMinMax;
use super::objective::metric_value;
use super::{MADCompetition, State};
use crate::device::cpu;
use crate::error::{LoadError, Result};
use crate::metric::ErasedMetric;
use crate::synthesize::adam::AdamState;
use crate::synthesize::archive::{check_close, invalid, load_error, short_type_name, Archive};
use crate::synthesize::optimized::OptimizedSynthesis;
use crate::synthesize::LoadTolerance;
use crate::tensor::{dims, Image};

/// The archive's kind.
const KIND: &str = "MADCompetition";
/// The archive name of the stored MAD images.
const FRAMES: &str = "saved_mad_image";

/// See [`MADCompetition::load`].
pub(super) fn load<O: ErasedMetric, R: ErasedMetric>(
    path: &Path,
    om: O,
    rm: R,
    tol: LoadTolerance,
) -> Result<MADCompetition<O, R>> {
    let a = Archive::read_kind(path, KIND)?;
    let (idims, iv) = a.f32s(path, "image")?;
    let image = crate::tensor::image_from_vec(iv, &idims)
        .map_err(|e| invalid(path, "image", e.to_string()))?;
    let minmax = a
        .text(path, "minmax")?
        .into_minmax()
        .map_err(|e| invalid(path, "minmax", e.to_string()))?;
    let range = a.f64_n(path, "allowed_range", 2)?;
    let mut mad = MADCompetition::builder(image, om, rm, minmax)
        .metric_tradeoff_lambda(a.f64_n(path, "metric_tradeoff_lambda", 1)?[0])
        .range_penalty_lambda(a.f64_n(path, "range_penalty_lambda", 1)?[0])
        .allowed_range((range[0], range[1]))
        .build()?;
    mad.state.apply_saved(
        (&mad.optimized_metric, &mad.reference_metric),
        path,
        &a,
        tol,
    )?;
    Ok(mad)
}

/// A mismatch of `what` between the file and the object.
fn mismatch(path: &Path, what: &str, detail: String) -> crate::Error {
    load_error(
        path,
        LoadError::Mismatch {
            what: what.into(),
            detail,
        },
    )
}

impl State {
    /// See [`MADCompetition::save`].
    pub(super) fn save(
        &self,
        om: &dyn ErasedMetric,
        rm: &dyn ErasedMetric,
        path: &Path,
    ) -> Result<()> {
        let mut a = Archive::new(KIND);
        a.put_text("optimized_metric", &om.name());
        a.put_text("reference_metric", &rm.name());
        a.put_text("minmax", self.minmax.as_str());
        let shape = dims(&self.image);
        a.put_f32("image", &shape, self.image.as_vec());
        a.put_f64("metric_tradeoff_lambda", vec![self.metric_tradeoff_lambda]);
        a.put_f64("range_penalty_lambda", vec![self.range_penalty_lambda]);
        a.put_f64(
            "allowed_range",
            vec![self.allowed_range.0, self.allowed_range.1],
        );
        if let (Some(init), Some(x)) = (&self.initial_image, &self.mad_image) {
            a.put_f32("initial_image", &shape, init.as_vec());
            a.put_f32("mad_image", &shape, x.as_vec());
            a.put_f64(
                "reference_metric_target",
                vec![self.reference_metric_target],
            );
            a.put_f64("optimized_metric_loss", self.optimized_metric_loss.clone());
            a.put_f64("reference_metric_loss", self.reference_metric_loss.clone());
            a.put_f64(
                "optimized_metric_output",
                vec![metric_value(om, &self.image, x, "optimized_metric")?],
            );
            a.put_f64(
                "reference_metric_output",
                vec![metric_value(rm, &self.image, x, "reference_metric")?],
            );
        }
        self.history.put(&mut a, FRAMES, shape);
        if let Some(adam) = &self.adam {
            adam.put(&mut a, &shape);
        }
        a.write(path)
    }

    /// See [`MADCompetition::restore`].
    pub(super) fn restore(
        &mut self,
        om: &dyn ErasedMetric,
        rm: &dyn ErasedMetric,
        path: &Path,
        tol: LoadTolerance,
    ) -> Result<()> {
        if self.adam.is_some() || !self.history.losses.is_empty() {
            return Err(load_error(path, LoadError::NotFresh { what: KIND.into() }));
        }
        let a = Archive::read_kind(path, KIND)?;
        let (idims, iv) = a.f32s(path, "image")?;
        check_close(
            "image",
            (&idims, &iv),
            (&dims(&self.image), &self.image.as_vec()),
            tol,
        )
        .map_err(|e| load_error(path, e))?;
        let minmax = a.text(path, "minmax")?;
        if minmax != self.minmax.as_str() {
            return Err(mismatch(
                path,
                "minmax",
                format!("values: saved {minmax}, initialized {}", self.minmax),
            ));
        }
        let range = a.f64_n(path, "allowed_range", 2)?;
        if (range[0], range[1]) != self.allowed_range {
            return Err(mismatch(
                path,
                "allowed_range",
                format!(
                    "values: saved ({}, {}), initialized {:?}",
                    range[0], range[1], self.allowed_range
                ),
            ));
        }
        for (name, now) in [
            ("metric_tradeoff_lambda", self.metric_tradeoff_lambda),
            ("range_penalty_lambda", self.range_penalty_lambda),
        ] {
            let saved = a.f64_n(path, name, 1)?[0];
            if (saved - now).abs() > 1e-8 + 1e-5 * now.abs() {
                return Err(mismatch(
                    path,
                    name,
                    format!("values: saved {saved}, initialized {now}"),
                ));
            }
        }
        self.apply_saved((om, rm), path, &a, tol)
    }

    /// Checks the metrics (names, and values at the saved MAD image against the saved
    /// ones), then takes over the saved synthesis state.
    fn apply_saved(
        &mut self,
        (om, rm): (&dyn ErasedMetric, &dyn ErasedMetric),
        path: &Path,
        a: &Archive,
        tol: LoadTolerance,
    ) -> Result<()> {
        for (what, m) in [("optimized_metric", om), ("reference_metric", rm)] {
            let (saved, now) = (
                short_type_name(&a.text(path, what)?),
                short_type_name(&m.name()),
            );
            if saved != now {
                return Err(mismatch(
                    path,
                    what,
                    format!("names: saved `{saved}`, initialized `{now}`"),
                ));
            }
        }
        let shape = dims(&self.image);
        let history = OptimizedSynthesis::take(a, path, FRAMES, shape)?;
        let adam = AdamState::take(a, path, &shape)?;
        if !a.has("mad_image") {
            self.history = history;
            self.adam = adam;
            return Ok(());
        }
        let image_record = |name: &str| -> Result<Image<f32>> {
            let (d, v) = a.f32s(path, name)?;
            if d != shape {
                return Err(invalid(
                    path,
                    name,
                    format!("shape {d:?}, the image's is {shape:?}"),
                ));
            }
            Ok(cpu().tensor_from_vec(v, *self.image.shape()))
        };
        let init = image_record("initial_image")?;
        let x = image_record("mad_image")?;
        for (what, m, rec) in [
            ("optimized_metric output", om, "optimized_metric_output"),
            ("reference_metric output", rm, "reference_metric_output"),
        ] {
            let saved = a.f64_n(path, rec, 1)?;
            let now = metric_value(m, &self.image, &x, "a metric at the saved MAD image")?;
            check_close(what, (&[1], &saved), (&[1], &[now]), tol)
                .map_err(|e| load_error(path, e))?;
        }
        let optimized = a.f64s(path, "optimized_metric_loss")?;
        let reference = a.f64s(path, "reference_metric_loss")?;
        let n = history.losses.len() + 1;
        if optimized.len() != n || reference.len() != n {
            return Err(invalid(
                path,
                "optimized_metric_loss",
                format!(
                    "{} and {} metric values for {} losses (expected one more)",
                    optimized.len(),
                    reference.len(),
                    n - 1
                ),
            ));
        }
        self.reference_metric_target = a.f64_n(path, "reference_metric_target", 1)?[0];
        self.optimized_metric_loss = optimized;
        self.reference_metric_loss = reference;
        self.initial_image = Some(init);
        self.mad_image = Some(x);
        self.history = history;
        self.adam = adam;
        Ok(())
    }
}
