//! The loss functions of metamer synthesis (plenoptic's `loss_function` argument):
//! [`LossFunction::Mse`] (the default, the fused fast path), [`LossFunction::L2Norm`]
//! (plenoptic's `po.tools.optim.l2_norm`, what texture synthesis uses) or a function of
//! the representation and the target representation that the user writes with dfdx's
//! ops, recorded on the tape ([`LossFunction::custom`]).

use std::fmt;
use std::sync::Arc;

use dfdx::prelude::{AsArray, Cpu, OwnedTape, Rank0, Tensor, Trace};

use super::erased::Taped;
use crate::error::{Error, Result};
use crate::tensor::{dims, image_from_vec, Image};

/// A scalar on the CPU's tape: what a custom loss function returns.
pub type TapedScalar = Tensor<Rank0, f32, Cpu, OwnedTape<f32, Cpu>>;

/// The signature of a custom loss function: the taped representation of the synthesized
/// image and the target representation (same shape) to one taped scalar.
pub type LossFn = dyn Fn(Taped<f32>, &Image<f32>) -> Result<TapedScalar> + Send + Sync;

/// A custom loss as synthesis calls it: the representation's values and shape and the
/// target representation to the loss and its gradient with respect to the representation.
pub type CustomLoss =
    dyn Fn(&[f32], [usize; 4], &Image<f32>) -> Result<(f64, Vec<f32>)> + Send + Sync;

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
        /// The function, wrapped where it was made (see [`LossFunction::custom`]).
        f: Arc<CustomLoss>,
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
    ///
    /// **One id space per evaluation.** The evcxr kernel links the crate and dfdx into
    /// every notebook cell's library, so each cell has its own copy of dfdx's tensor-id
    /// counter (ids key the gradients and order the tape's backward steps). A function
    /// made in one cell and run by a synthesis in another would mix two counters on one
    /// tape (dfdx then panicked in its backward pass). So synthesis never hands `f` its
    /// own taped tensors: the wrapper made here, in the caller's copy, takes plain values,
    /// makes fresh taped copies, and runs `f` and its backward pass with one counter.
    pub fn custom(
        name: &str,
        f: impl Fn(Taped<f32>, &Image<f32>) -> Result<TapedScalar> + Send + Sync + 'static,
    ) -> Self {
        let f: Box<LossFn> = Box::new(f);
        LossFunction::Custom {
            name: name.to_string(),
            f: Arc::new(move |rep: &[f32], shape: [usize; 4], target: &Image<f32>| {
                custom_with_grad(f.as_ref(), rep, shape, target)
            }),
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
            LossFunction::Custom { f, .. } => f(&a.as_vec(), dims(a), b)?.0,
        })
    }
}

/// A custom loss's value at the representation `rep` (of shape `shape`) and its gradient
/// with respect to `rep`, all on fresh tensors of this copy of dfdx (see
/// [`LossFunction::custom`]).
///
/// # Errors
/// [`Error::ShapeMismatch`] for a target of another shape; the function's errors;
/// [`Error::Backend`] when the backward pass fails.
fn custom_with_grad(
    f: &LossFn,
    rep: &[f32],
    shape: [usize; 4],
    target: &Image<f32>,
) -> Result<(f64, Vec<f32>)> {
    if dims(target) != shape {
        return Err(Error::shape_mismatch(
            "the loss function's two arguments",
            dims(target),
            shape,
        ));
    }
    let rep = image_from_vec(rep.to_vec(), &shape)?;
    let target = image_from_vec(target.as_vec(), &shape)?;
    let s = f(rep.leaky_trace(), &target)?;
    let value = s.retaped::<dfdx::prelude::NoneTape>().array() as f64;
    let mut grads = dfdx::prelude::Backward::try_backward(s)
        .map_err(|e| Error::backend("custom loss function's backward pass", e))?;
    let g = crate::synthesize::autodiff::grad_of(&mut grads, &rep)?;
    Ok((value, g))
}
