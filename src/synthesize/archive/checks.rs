//! What loading compares between a saved synthesis and the one it is loaded into, as
//! plenoptic's `load` does: tensors within tolerances, model names.

use crate::error::LoadError;

/// The tolerances with which loading compares saved and initialized tensors (the image,
/// the model's output at it): values `saved` and `now` agree when
/// `|saved - now| <= atol + rtol * |now|`, as `torch.allclose` in plenoptic's `load`
/// (its `tensor_equality_atol` and `tensor_equality_rtol`). Raise them only for
/// numerical noise, e.g. between machines; by more than a decade or two and the
/// difference is probably not numerical.
///
/// ```
/// use plenoptic::synthesize::LoadTolerance;
/// let tol = LoadTolerance { atol: 1e-7, ..Default::default() };
/// assert_eq!(tol.rtol, 1e-5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadTolerance {
    /// Absolute tolerance (default 1e-8).
    pub atol: f64,
    /// Relative tolerance (default 1e-5).
    pub rtol: f64,
}

impl Default for LoadTolerance {
    fn default() -> Self {
        LoadTolerance {
            atol: 1e-8,
            rtol: 1e-5,
        }
    }
}

/// Checks that `saved` (of shape `saved_dims`) and `now` agree in shape and, within
/// `tol`, in values; else [`LoadError::Mismatch`] naming `what`.
pub(crate) fn check_close<A: Copy + Into<f64>, B: Copy + Into<f64>>(
    what: &str,
    (saved_dims, saved): (&[usize], &[A]),
    (now_dims, now): (&[usize], &[B]),
    tol: LoadTolerance,
) -> Result<(), LoadError> {
    let mismatch = |detail: String| LoadError::Mismatch {
        what: what.to_string(),
        detail,
    };
    if saved_dims != now_dims || saved.len() != now.len() {
        return Err(mismatch(format!(
            "shape: saved {saved_dims:?}, initialized {now_dims:?}"
        )));
    }
    let mut bad = false;
    let mut worst = 0.0f64;
    for (s, n) in saved.iter().zip(now) {
        let (s, n): (f64, f64) = ((*s).into(), (*n).into());
        let d = (s - n).abs();
        worst = worst.max(d);
        bad |= d.is_nan() || d > tol.atol + tol.rtol * n.abs();
    }
    if bad {
        return Err(mismatch(format!(
            "values (largest difference {worst:.3e}, allowed {:e} + {:e} x |value|); \
             if that is numerical noise, load with a larger LoadTolerance",
            tol.atol, tol.rtol
        )));
    }
    Ok(())
}

/// A type's name without module paths: `plenoptic::simulate::Gaussian` gives `Gaussian`,
/// `my::Wrap<plenoptic::simulate::Gaussian>` gives `Wrap<Gaussian>`; references are
/// dropped (`&Gaussian` is `Gaussian`). plenoptic compares the last part of a model's
/// name the same way, so moving a model to another module keeps its files loadable.
pub(crate) fn short_type_name(name: &str) -> String {
    let mut out = String::new();
    let mut ident = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            ident.push(c);
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            ident.clear();
        } else {
            out.push_str(&ident);
            ident.clear();
            if c != '&' {
                out.push(c);
            }
        }
    }
    out.push_str(&ident);
    out
}

/// Checks that the model type saved (`saved`, a full type name) and the one loading
/// (`now`) have the same [`short_type_name`]; else [`LoadError::Mismatch`] of `model`.
pub(crate) fn check_model_name(saved: &str, now: &str) -> Result<(), LoadError> {
    let (s, n) = (short_type_name(saved), short_type_name(now));
    if s != n {
        return Err(LoadError::Mismatch {
            what: "model".into(),
            detail: format!("names: saved `{s}`, initialized `{n}`"),
        });
    }
    Ok(())
}
