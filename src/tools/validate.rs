//! Checks that a model can be used for synthesis (plenoptic's `validate_model`).

use dfdx::prelude::Trace;
use dfdx::tensor_ops::{Backward, SumTo};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::{Error, Result};
use crate::simulate::Model;
use crate::synthesize::erased::apply_f32;
use crate::synthesize::{ErasedModel, ErasedModelF64};
use crate::tensor::{cast, check_shape4, dims, image_from_vec, Float, Image};

/// Checks what synthesis relies on, on a random image of `image_shape` (default
/// `[1, 1, 16, 16]`, values uniform in [0, 1)), as plenoptic's `validate_model` does in the
/// ways that matter in Rust (a model's output is a 4-D image by its type):
/// - the model accepts the image and returns a non-empty output with finite values;
/// - it is deterministic: two calls give the same output;
/// - it is differentiable: the gradient of the output's sum with respect to the input is
///   finite and not all zero (a model that rebuilds its output from plain values loses the
///   input's tape, and synthesis could not move the image);
/// - it works in f32 and f64, with outputs of the same shape that agree to f32 precision
///   (relative difference at most 1e-3 of the output's largest value).
///
/// The test image comes from a private generator, so the crate's seeded generator is left
/// untouched. The checks run on the model as trait objects ([`ErasedModel`],
/// [`ErasedModelF64`]): they are compiled once, in the crate, and a notebook cell that calls
/// `validate_model` compiles only the model's forward passes.
///
/// ```
/// use plenoptic as po;
/// let model = po::simulate::Gaussian::builder((5, 5)).build()?;
/// po::tools::validate_model(&model, None)?;
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// [`Error::Rank`] or [`Error::Empty`] for a bad `image_shape`; otherwise
/// [`Error::InvalidModel`] with a message that names the failed check.
pub fn validate_model<M: Model>(model: &M, image_shape: Option<&[usize]>) -> Result<()> {
    validate(model, model, image_shape)
}

/// [`validate_model`] on the model's two faces (a non-generic function: compiled once, in
/// the crate).
fn validate(
    model: &dyn ErasedModel,
    model64: &dyn ErasedModelF64,
    image_shape: Option<&[usize]>,
) -> Result<()> {
    let shape = image_shape.unwrap_or(&[1, 1, 16, 16]);
    check_shape4(shape, "test image")?;
    let n: usize = shape.iter().product();
    let mut rng = StdRng::seed_from_u64(0x706c_656e);
    let x32: Image<f32> = image_from_vec((0..n).map(|_| rng.gen::<f32>()).collect(), shape)?;
    let out32 = check_output(apply_f32(model, &x32), &x32, "f32")?;
    let again = apply_f32(model, &x32)
        .map_err(|e| invalid(format!("a second call on the same f32 image failed: {e}")))?;
    let to64 = |v: Vec<f32>| -> Vec<f64> { v.into_iter().map(f64::from).collect() };
    let (a, b) = (to64(out32.as_vec()), to64(again.as_vec()));
    if dims(&again) != dims(&out32) || a != b {
        let d = max_diff(&a, &b);
        return Err(invalid(format!(
            "it is not deterministic: two calls on the same image give different outputs \
             (shapes {:?} and {:?}, largest difference {d})",
            dims(&out32),
            dims(&again)
        )));
    }
    check_gradient_f32(model, &x32)?;
    let x64: Image<f64> = cast(&x32);
    let out64 = check_output(model64.apply_f64(&x64), &x64, "f64")?;
    check_gradient_f64(model64, &x64)?;
    if dims(&out64) != dims(&out32) {
        return Err(invalid(format!(
            "its f32 and f64 outputs have different shapes: {:?} and {:?}",
            dims(&out32),
            dims(&out64)
        )));
    }
    let v64 = out64.as_vec();
    let d = max_diff(&a, &v64);
    let scale = v64.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if d > 1e-3 * scale + 1e-7 {
        return Err(invalid(format!(
            "its f32 and f64 outputs disagree: largest difference {d} for outputs up to {scale}"
        )));
    }
    Ok(())
}

fn invalid(msg: String) -> Error {
    Error::InvalidModel(msg)
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, |m, d| if d.is_nan() { f64::NAN } else { m.max(d) })
}

/// Checks the model's output `out` at `x` (computed without a tape): it is non-empty and
/// finite.
fn check_output<E: Float>(out: Result<Image<E>>, x: &Image<E>, ty: &str) -> Result<Image<E>> {
    let shape = dims(x);
    let out =
        out.map_err(|e| invalid(format!("it fails on a {ty} image of shape {shape:?}: {e}")))?;
    let od = dims(&out);
    if od.contains(&0) {
        return Err(invalid(format!(
            "it returns an empty output of shape {od:?}"
        )));
    }
    let bad = out.as_vec().iter().filter(|v| !v.is_finite()).count();
    if bad > 0 {
        return Err(invalid(format!(
            "its output on a random {ty} image has {bad} non-finite values (NaN or inf)"
        )));
    }
    Ok(out)
}

/// Checks that the gradient of the output's sum with respect to `x` is finite and non-zero.
macro_rules! gradient_check {
    ($name:ident, $ty:ty, $face:ident, $forward:ident) => {
        fn $name(model: &dyn $face, x: &Image<$ty>) -> Result<()> {
            let ty = stringify!($ty);
            let out = model
                .$forward(x.leaky_trace())
                .map_err(|e| invalid(format!("it fails while recording gradients in {ty}: {e}")))?;
            let mut grads = out.sum::<(), _>().backward();
            let g: Vec<$ty> = grads
                .get_or_alloc_mut(x)
                .map_err(|e| Error::backend("backward pass", e))?
                .to_vec();
            let bad = g.iter().filter(|v| !v.is_finite()).count();
            if bad > 0 {
                return Err(invalid(format!(
                    "the gradient of its output with respect to the input has {bad} \
                     non-finite values in {ty}"
                )));
            }
            if g.iter().all(|v| *v == 0.0) {
                return Err(invalid(format!(
                    "it is not differentiable: the gradient of its output with respect to the \
                     input is zero everywhere in {ty} (was the output rebuilt from plain values, \
                     dropping the input's tape?)"
                )));
            }
            Ok(())
        }
    };
}
gradient_check!(check_gradient_f32, f32, ErasedModel, forward_f32);
gradient_check!(check_gradient_f64, f64, ErasedModelF64, forward_f64);
