//! The loss functions of metamer synthesis (plenoptic's `loss_function` argument):
//! [`LossFunction::Mse`] (the default, the fused fast path), [`LossFunction::L2Norm`]
//! (plenoptic's `po.tools.optim.l2_norm`, what texture synthesis uses) or a function of
//! the representation and the target representation that the user writes with dfdx's
//! ops, recorded on the tape ([`LossFunction::custom`]).

use std::fmt;
use std::sync::Arc;

use dfdx::prelude::{AsArray, Cpu, OwnedTape, Rank0, SplitTape, Tensor, Trace};

use super::erased::Taped;
use crate::error::{Error, Result};
use crate::tensor::{dims, Image};

/// A scalar on the CPU's tape: what a custom loss function returns.
pub type TapedScalar = Tensor<Rank0, f32, Cpu, OwnedTape<f32, Cpu>>;

/// The signature of a custom loss function: the taped representation of the synthesized
/// image and the target representation (same shape) to one taped scalar.
pub type LossFn = dyn Fn(Taped<f32>, &Image<f32>) -> Result<TapedScalar> + Send + Sync;

/// How a metamer compares its representation with the target representation; the
/// objective is this loss plus the range penalty.
///
/// ```
/// use plenoptic as po;
/// use po::dfdx::prelude::*;
/// use po::synthesize::LossFunction;
/// let a = po::image_from_vec(vec![0.0f32, 0.0, 0.0, 0.0], &[1, 1, 2, 2])?;
/// let b = po::image_from_vec(vec![1.0f32, 1.0, 1.0, 1.0], &[1, 1, 2, 2])?;
/// assert_eq!(LossFunction::Mse.value(&a, &b)?, 1.0);
/// assert_eq!(LossFunction::L2Norm.value(&a, &b)?, 2.0);
/// // the mean absolute difference, written with dfdx's ops on the tape
/// let l1 = LossFunction::custom("l1", |rep, target| Ok((rep - target.clone()).abs().mean()));
/// assert_eq!(l1.value(&a, &b)?, 1.0);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Clone, Default)]
pub enum LossFunction {
    /// The mean squared difference (plenoptic's default `po.tools.optim.mse`).
    #[default]
    Mse,
    /// The L2 norm of the difference (plenoptic's `po.tools.optim.l2_norm`).
    L2Norm,
    /// A function written by the user (see [`LossFunction::custom`]); runs on the CPU.
    Custom {
        /// Its name (recorded in save files).
        name: String,
        /// The function.
        f: Arc<LossFn>,
    },
}

impl fmt::Debug for LossFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl LossFunction {
    /// A loss function of the taped representation and the target representation,
    /// written with dfdx's ops (its gradient comes from the tape); `name` is recorded in
    /// save files. Custom losses run on the CPU only.
    pub fn custom(
        name: &str,
        f: impl Fn(Taped<f32>, &Image<f32>) -> Result<TapedScalar> + Send + Sync + 'static,
    ) -> Self {
        LossFunction::Custom {
            name: name.to_string(),
            f: Arc::new(f),
        }
    }

    /// The name: `mse`, `l2_norm`, or the custom function's (as plenoptic's function
    /// names).
    pub fn name(&self) -> String {
        match self {
            LossFunction::Mse => "mse".into(),
            LossFunction::L2Norm => "l2_norm".into(),
            LossFunction::Custom { name, .. } => name.clone(),
        }
    }

    /// The name as saved: `mse`, `l2_norm` or `custom:<name>`.
    pub(crate) fn saved_name(&self) -> String {
        match self {
            LossFunction::Custom { name, .. } => format!("custom:{name}"),
            other => other.name(),
        }
    }

    /// The built-in loss saved as `saved` (`None` for a custom one or an unknown name).
    pub(crate) fn from_saved_name(saved: &str) -> Option<Self> {
        match saved {
            "mse" => Some(LossFunction::Mse),
            "l2_norm" => Some(LossFunction::L2Norm),
            _ => None,
        }
    }

    /// The loss between `a` (in place of the representation) and `b` (the target), in
    /// f64 for the built-in ones.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the shapes differ; a custom function's errors.
    pub fn value(&self, a: &Image<f32>, b: &Image<f32>) -> Result<f64> {
        if dims(a) != dims(b) {
            return Err(Error::shape_mismatch(
                "the loss function's two arguments",
                dims(b),
                dims(a),
            ));
        }
        let sq = || -> f64 {
            a.as_vec()
                .iter()
                .zip(b.as_vec())
                .map(|(x, y)| {
                    let d = (x - y) as f64;
                    d * d
                })
                .sum()
        };
        Ok(match self {
            LossFunction::Mse => sq() / dims(a).iter().product::<usize>() as f64,
            LossFunction::L2Norm => sq().sqrt(),
            LossFunction::Custom { f, .. } => f(a.leaky_trace(), b)?.split_tape().0.array() as f64,
        })
    }
}

/// A custom loss's value and the gradient of it with respect to the image `x`, for the
/// taped representation `rep` of `x` (on the CPU).
///
/// # Errors
/// The function's errors; [`Error::Backend`] when the backward pass fails.
#[cfg_attr(feature = "portable-cpu", allow(dead_code))] // (the CPU's objective kernel calls it)
pub(crate) fn custom_with_grad(
    f: &LossFn,
    rep: Taped<f32>,
    target: &Image<f32>,
    x: &Image<f32>,
) -> Result<(f64, Vec<f32>)> {
    let s = f(rep, target)?;
    let value = s.retaped::<dfdx::prelude::NoneTape>().array() as f64;
    let mut grads = dfdx::prelude::Backward::try_backward(s)
        .map_err(|e| Error::backend("custom loss function's backward pass", e))?;
    let g = crate::synthesize::autodiff::grad_of(&mut grads, x)?;
    Ok((value, g))
}
