//! Saving and loading eigendistortions, with plenoptic's checks: the image, the model's
//! output at it (within [`LoadTolerance`]) and the model's name must match the saved ones.

use std::path::Path;

use dfdx::prelude::TensorFromVec;

use super::{Eigendistortion, Eigenpairs};
use crate::device::cpu;
use crate::error::{LoadError, Result};
use crate::simulate::Model;
use crate::synthesize::archive::{
    check_close, check_model_name, load_error, Archive, LoadTolerance,
};
use crate::synthesize::autodiff::check_model_f64;
use crate::synthesize::ErasedModelF64;
use crate::tensor::{cast, dims, image_from_vec, Image};

/// The kind of synthesis in the file header.
const KIND: &str = "Eigendistortion";

impl<M: Model> Eigendistortion<M> {
    /// Saves the image, the model's output at it, and (once synthesized) the
    /// eigendistortions, eigenvalues, eigenindex and iterations to `path`, in the format of
    /// the [`crate::synthesize`] module documentation (records `model_type`, `image`,
    /// `representation`, `eigendistortions`, `eigenvalues`, `eigenindex`, `iterations`).
    ///
    /// ```
    /// use plenoptic as po;
    /// use po::synthesize::{Eigendistortion, Method};
    /// let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
    /// let model = po::simulate::Gaussian::builder((5, 5)).build()?;
    /// let mut eig = Eigendistortion::new(img, model.clone())?;
    /// eig.synthesize().method(Method::Lobpcg).progress(false).run()?;
    /// let path = std::env::temp_dir().join("plenoptic-eig-doc.plen");
    /// eig.save(&path)?;
    /// let loaded = Eigendistortion::load(&path, model)?;
    /// assert_eq!(loaded.eigenvalues()?, eig.eigenvalues()?);
    /// # Ok::<(), po::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let mut a = Archive::new(KIND);
        a.put_text("model_type", std::any::type_name::<M>());
        a.put_f32("image", &dims(&self.image), self.image.as_vec());
        a.put_f64_dims(
            "representation",
            &dims(&self.representation),
            self.representation.as_vec(),
        );
        if let Some(r) = &self.result {
            a.put_f32(
                "eigendistortions",
                &dims(&r.eigendistortions),
                r.eigendistortions.as_vec(),
            );
            a.put_f64("eigenvalues", r.eigenvalues.clone());
            a.put_u64(
                "eigenindex",
                r.eigenindex.iter().map(|i| *i as u64).collect(),
            );
            a.put_u64(
                "iterations",
                r.iterations.iter().map(|i| *i as u64).collect(),
            );
        }
        a.write(path.as_ref())
    }

    /// Loads eigendistortions saved with [`Eigendistortion::save`], for `model`: the image
    /// and results come from the file, after checking that `model` gives the saved output
    /// at the saved image (default [`LoadTolerance`]) and has the saved model's name.
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the file cannot be read; [`crate::Error::Load`] when it
    /// is damaged ([`LoadError::Corrupt`], [`LoadError::Truncated`], ...), of another
    /// format version or kind, or was saved with another model ([`LoadError::Mismatch`]
    /// of `model output` or `model`); the errors of [`Eigendistortion::new`].
    pub fn load(path: impl AsRef<Path>, model: M) -> Result<Self> {
        Self::load_with(path, model, LoadTolerance::default())
    }

    /// [`Eigendistortion::load`] comparing the model's output with tolerances `tol`.
    ///
    /// # Errors
    /// As [`Eigendistortion::load`].
    pub fn load_with(path: impl AsRef<Path>, model: M, tol: LoadTolerance) -> Result<Self> {
        let path = path.as_ref();
        let a = Archive::read_kind(path, KIND)?;
        let image = saved_image(path, &a)?;
        let mut eig = Eigendistortion::new(image, model)?;
        let name = std::any::type_name::<M>();
        eig.result = saved_result(path, &a, dims(&eig.image), &eig.representation, name, tol)?;
        Ok(eig)
    }

    /// plenoptic's `load`: restores the results saved in `path` into this just-created
    /// eigendistortion, after checking that the file was saved with the same image and
    /// model (default [`LoadTolerance`]). Keeps the saved image, as plenoptic does.
    ///
    /// # Errors
    /// [`LoadError::NotFresh`] when this one has been synthesized already;
    /// [`LoadError::Mismatch`] of `image` when the saved image differs in shape or values;
    /// the errors of [`Eigendistortion::load`]. On error nothing changes.
    pub fn restore(&mut self, path: impl AsRef<Path>) -> Result<()> {
        self.restore_with(path, LoadTolerance::default())
    }

    /// [`Eigendistortion::restore`] comparing image and model output with tolerances
    /// `tol` (plenoptic's `tensor_equality_atol` and `tensor_equality_rtol`).
    ///
    /// # Errors
    /// As [`Eigendistortion::restore`].
    pub fn restore_with(&mut self, path: impl AsRef<Path>, tol: LoadTolerance) -> Result<()> {
        let path = path.as_ref();
        let fresh = self.result.is_none();
        let r = restored(path, &self.model, &self.image, fresh, tol)?;
        self.image = r.image;
        self.image64 = r.image64;
        self.representation = r.representation;
        self.result = r.result;
        Ok(())
    }
}

/// What [`Eigendistortion::restore_with`] takes over from a file.
struct Restored {
    image: Image<f32>,
    image64: Image<f64>,
    representation: Image<f64>,
    result: Option<Eigenpairs>,
}

/// See [`Eigendistortion::restore_with`]: the saved image, in f32 and f64, `model`'s
/// representation of it and the saved results, after the checks against `image` (the
/// image of the eigendistortion restored into, which must be `fresh`) and `model`.
fn restored(
    path: &Path,
    model: &dyn ErasedModelF64,
    image: &Image<f32>,
    fresh: bool,
    tol: LoadTolerance,
) -> Result<Restored> {
    if !fresh {
        return Err(load_error(
            path,
            LoadError::NotFresh {
                what: KIND.to_string(),
            },
        ));
    }
    let a = Archive::read_kind(path, KIND)?;
    let saved = saved_image(path, &a)?;
    check_close(
        "image",
        (&dims(&saved), &saved.as_vec()),
        (&dims(image), &image.as_vec()),
        tol,
    )
    .map_err(|e| load_error(path, e))?;
    let image64: Image<f64> = cast(&saved);
    let representation = check_model_f64(model, &image64)?;
    let result = saved_result(
        path,
        &a,
        dims(&saved),
        &representation,
        model.type_name(),
        tol,
    )?;
    Ok(Restored {
        image: saved,
        image64,
        representation,
        result,
    })
}

/// The saved image.
fn saved_image(path: &Path, a: &Archive) -> Result<Image<f32>> {
    let (d, v) = a.f32s(path, "image")?;
    image_from_vec(v, &d).map_err(|e| {
        load_error(
            path,
            LoadError::Invalid {
                record: "image".into(),
                detail: e.to_string(),
            },
        )
    })
}

/// Checks the model's output at the image of `image_dims` (`now`) and its type name (`model_name`)
/// against the saved ones, then reads the saved results (`None` when the file was saved
/// before synthesis).
fn saved_result(
    path: &Path,
    a: &Archive,
    image_dims: [usize; 4],
    now: &Image<f64>,
    model_name: &str,
    tol: LoadTolerance,
) -> Result<Option<Eigenpairs>> {
    let err = |e| load_error(path, e);
    let (rd, rv) = a.f64s_dims(path, "representation")?;
    check_close("model output", (&rd, &rv), (&dims(now), &now.as_vec()), tol).map_err(err)?;
    check_model_name(&a.text(path, "model_type")?, model_name).map_err(err)?;
    if !a.has("eigenvalues") {
        return Ok(None);
    }
    let (ed, ev) = a.f32s(path, "eigendistortions")?;
    let eigenvalues = a.f64s(path, "eigenvalues")?;
    let as_usize = |v: Vec<u64>| v.into_iter().map(|i| i as usize).collect::<Vec<_>>();
    let eigenindex = as_usize(a.u64s(path, "eigenindex")?);
    let iterations = as_usize(a.u64s(path, "iterations")?);
    let [_, c, h, w] = image_dims;
    let count = eigenvalues.len();
    let invalid = |record: &str, detail: String| {
        err(LoadError::Invalid {
            record: record.into(),
            detail,
        })
    };
    if ed != [count, c, h, w] {
        return Err(invalid(
            "eigendistortions",
            format!("shape {ed:?}, expected {:?}", [count, c, h, w]),
        ));
    }
    if eigenindex.len() != count || eigenindex.iter().any(|i| *i >= c * h * w) {
        return Err(invalid(
            "eigenindex",
            format!("{count} ranks below {} expected", c * h * w),
        ));
    }
    Ok(Some(Eigenpairs {
        eigendistortions: cpu().tensor_from_vec(ev, (count, c, h, w)),
        eigenvalues,
        eigenindex,
        iterations,
        error: None,
    }))
}
