//! Saving and loading a [`MetamerCTF`]: an archive of kind `MetamerCTF` with a metamer's
//! records and the schedule's: `coarse_to_fine` (text), `ctf.scales`,
//! `ctf.scales_finished`, `ctf.timing_scales` (text, one scale a line, `i:<index>` or
//! `n:<name>`), `ctf.timing.<k>` (u64, the k-th stage's start and stop iterations),
//! `ctf.scales_loss` (f64) and, once synthesis ran, `ctf.initial_lr` (f64).

use std::path::Path;

use super::{CtfMode, MetamerCTF, Schedule};
use crate::error::{LoadError, Result};
use crate::simulate::{CoarseToFine, Scale};
use crate::synthesize::archive::{invalid, load_error, Archive};
use crate::synthesize::metamer::persist::builder_from_archive;
use crate::synthesize::metamer::Metamer;
use crate::synthesize::LoadTolerance;

/// The archive's kind.
const KIND: &str = "MetamerCTF";

/// A scale as a line of text.
fn scale_text(s: &Scale) -> String {
    match s {
        Scale::Index(i) => format!("i:{i}"),
        Scale::Named(n) => format!("n:{n}"),
    }
}

/// The scales of the text record `name` (one a line).
fn scales_of(a: &Archive, path: &Path, name: &str) -> Result<Vec<Scale>> {
    let t = a.text(path, name)?;
    t.lines()
        .filter(|l| !l.is_empty())
        .map(|l| match (l.get(..2), l.get(2..)) {
            (Some("i:"), Some(i)) => i
                .parse()
                .map(Scale::Index)
                .map_err(|_| invalid(path, name, format!("bad scale index {i:?}"))),
            (Some("n:"), Some(n)) => Ok(Scale::named(n)),
            _ => Err(invalid(path, name, format!("bad scale {l:?}"))),
        })
        .collect()
}

/// Writes `scales` as the text record `name`.
fn put_scales(a: &mut Archive, name: &str, scales: &[Scale]) {
    let t: Vec<String> = scales.iter().map(scale_text).collect();
    a.put_text(name, &t.join("\n"));
}

/// See [`MetamerCTF::save`].
pub(super) fn save<M: CoarseToFine>(met: &Metamer<M>, s: &Schedule, path: &Path) -> Result<()> {
    let mut a = Archive::new(KIND);
    met.state.put(&met.model, &mut a)?;
    a.put_text("coarse_to_fine", s.mode.name());
    put_scales(&mut a, "ctf.scales", &s.scales);
    put_scales(&mut a, "ctf.scales_finished", &s.finished);
    let keys: Vec<Scale> = s.timing.iter().map(|(k, _)| k.clone()).collect();
    put_scales(&mut a, "ctf.timing_scales", &keys);
    for (i, (_, t)) in s.timing.iter().enumerate() {
        a.put_u64(
            &format!("ctf.timing.{i}"),
            t.iter().map(|v| *v as u64).collect(),
        );
    }
    a.put_f64("ctf.scales_loss", s.scales_loss.clone());
    if let Some(lr) = s.initial_lr {
        a.put_f64("ctf.initial_lr", vec![lr]);
    }
    a.write(path)
}

/// The saved coarse-to-fine mode.
fn mode_of(a: &Archive, path: &Path) -> Result<CtfMode> {
    match a.text(path, "coarse_to_fine")?.as_str() {
        "together" => Ok(CtfMode::Together),
        "separate" => Ok(CtfMode::Separate),
        other => Err(invalid(
            path,
            "coarse_to_fine",
            format!("unknown mode {other:?}"),
        )),
    }
}

/// The saved schedule, checked against `fresh` (the schedule the model's scales give).
fn schedule_of(a: &Archive, path: &Path, fresh: &Schedule) -> Result<Schedule> {
    let scales = scales_of(a, path, "ctf.scales")?;
    let finished = scales_of(a, path, "ctf.scales_finished")?;
    let keys = scales_of(a, path, "ctf.timing_scales")?;
    let fresh_keys: Vec<Scale> = fresh.timing.iter().map(|(k, _)| k.clone()).collect();
    let mut order = finished.clone();
    order.extend(scales.iter().cloned());
    if keys != fresh_keys || order != fresh_keys {
        return Err(load_error(
            path,
            LoadError::Mismatch {
                what: "scales".into(),
                detail: format!(
                    "the saved schedule {keys:?} (finished {finished:?}, to run {scales:?}) \
                     does not fit the model's, {fresh_keys:?}"
                ),
            },
        ));
    }
    let mut timing = Vec::with_capacity(keys.len());
    for (i, k) in keys.into_iter().enumerate() {
        let t = a.u64s(path, &format!("ctf.timing.{i}"))?;
        timing.push((k, t.into_iter().map(|v| v as usize).collect()));
    }
    let initial_lr = if a.has("ctf.initial_lr") {
        Some(a.f64_n(path, "ctf.initial_lr", 1)?[0])
    } else {
        None
    };
    Ok(Schedule {
        mode: fresh.mode,
        scales,
        finished,
        timing,
        scales_loss: a.f64s(path, "ctf.scales_loss")?,
        initial_lr,
    })
}

/// See [`MetamerCTF::load_with`].
pub(super) fn load<M: CoarseToFine>(
    path: &Path,
    model: M,
    tol: LoadTolerance,
) -> Result<MetamerCTF<M>> {
    let a = Archive::read_kind(path, KIND)?;
    let mode = mode_of(&a, path)?;
    let met = builder_from_archive(&a, path, model)?
        .build_with(false)
        .map_err(|e| {
            invalid(
                path,
                "image",
                format!("the saved image and options are not usable: {e}"),
            )
        })?;
    let scales = super::check_coarse_to_fine(&met.model, &met.state.image, &met.state.target)?;
    let sched = schedule_of(&a, path, &Schedule::new(&scales, mode))?;
    let mut ctf = MetamerCTF { met, sched };
    ctf.met.state.apply_saved(&ctf.met.model, path, &a, tol)?;
    Ok(ctf)
}

/// See [`MetamerCTF::restore_with`].
pub(super) fn restore<M: CoarseToFine>(
    met: &mut Metamer<M>,
    sched: &mut Schedule,
    path: &Path,
    tol: LoadTolerance,
) -> Result<()> {
    met.state.check_fresh(path, KIND)?;
    let a = Archive::read_kind(path, KIND)?;
    let mode = mode_of(&a, path)?;
    if mode != sched.mode {
        return Err(load_error(
            path,
            LoadError::Mismatch {
                what: "coarse_to_fine".into(),
                detail: format!("saved {mode}, initialized {}", sched.mode),
            },
        ));
    }
    let saved = schedule_of(&a, path, sched)?;
    met.state.restore_from(&met.model, path, &a, tol)?;
    *sched = saved;
    Ok(())
}
