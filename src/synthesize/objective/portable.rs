//! The objective from dfdx's built-in tensor ops, for any device: the residual is squared
//! once for both the loss value and its gradient (through the tape), and only one f32 sum
//! per image row comes back to the host for each of the MSE, the range penalty and the
//! gradient's norm, added up there in f64. The GPU runs it, and the CPU under the
//! `portable-cpu` test feature.

#![cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]

use dfdx::prelude::*;

use super::Evaluated;
use crate::error::Result;
use crate::ops::backend::backend;
use crate::synthesize::device::{sum_f64, Dev4, Portable, Taped4};
use crate::synthesize::loss::LossFunction;
use crate::tensor::dims;

/// See [`super::ObjectiveKernel::objective`].
pub(crate) fn objective<D: Portable>(
    rep: Taped4<D>,
    x: &Dev4<D>,
    target: &Dev4<D>,
    range: (f64, f64),
    lambda: f64,
    loss: &LossFunction,
) -> Result<Evaluated<Dev4<D>>> {
    let n = dims(&rep).iter().product::<usize>() as f64;
    let sq = rep
        .try_sub(target.clone())
        .and_then(|d| d.try_square())
        .map_err(backend("metamer objective"))?;
    // the value from the squares' tape-less view, the gradient through the tape
    let sum_sq = sum_f64(sq.retaped::<NoneTape>())?;
    let (mse, grads) = match loss {
        LossFunction::Mse => (
            sum_sq / n,
            sq.try_sum::<Rank0, _>()
                .and_then(|s| s.try_mul((1.0 / n) as f32))
                .and_then(|l| l.try_backward()),
        ),
        LossFunction::L2Norm => (
            sum_sq.sqrt(),
            sq.try_sum::<Rank0, _>()
                .and_then(|s| s.try_sqrt())
                .and_then(|l| l.try_backward()),
        ),
        LossFunction::Custom { .. } => return Err(custom_unavailable()),
    };
    let grads = grads.map_err(backend("metamer objective"))?;
    let mut g: Dev4<D> = grads.get(x);
    // plenoptic's range penalty: d = relu(x - hi) - relu(lo - x), penalty sum(d^2),
    // gradient 2 lambda d
    let (lo, hi) = (range.0 as f32, range.1 as f32);
    let d = x
        .clone()
        .try_sub(hi)
        .and_then(|a| a.try_relu())
        .and_then(|a| {
            let b = x.clone().try_negate()?.try_add(lo)?.try_relu()?;
            a.try_sub(b)
        })
        .map_err(backend("metamer objective"))?;
    let pen = sum_f64(
        d.clone()
            .try_square()
            .map_err(backend("metamer objective"))?,
    )?;
    if lambda != 0.0 && pen > 0.0 {
        let k = (2.0 * lambda) as f32;
        g = g
            .try_add(d.try_mul(k).map_err(backend("metamer objective"))?)
            .map_err(backend("metamer objective"))?;
    }
    let gradient_norm = sum_f64(
        g.clone()
            .try_square()
            .map_err(backend("metamer objective"))?,
    )?
    .sqrt();
    Ok(Evaluated {
        loss: mse + lambda * pen,
        grad: g,
        gradient_norm,
    })
}

/// The error for a custom loss function on a device whose kernel cannot run it.
pub(crate) fn custom_unavailable() -> crate::Error {
    crate::Error::Unavailable(
        "a custom loss function runs on the CPU only (its tape is the CPU's); use \
         LossFunction::Mse or LossFunction::L2Norm on the GPU, or select the CPU"
            .into(),
    )
}

/// The [`super::ObjectiveKernel`] of a device that runs the portable kernel.
#[allow(unused_macros)]
macro_rules! portable_objective {
    ($dev:ty) => {
        impl super::ObjectiveKernel for $dev {
            type Target = Dev4<$dev>;

            fn load_target(&self, t: &crate::tensor::Image<f32>) -> Result<Dev4<$dev>> {
                self.try_tensor_from_vec(t.as_vec(), *t.shape())
                    .map_err(backend("metamer objective"))
            }

            fn objective(
                &self,
                rep: Taped4<$dev>,
                x: &Dev4<$dev>,
                target: &Dev4<$dev>,
                range: (f64, f64),
                lambda: f64,
                loss: &LossFunction,
            ) -> Result<Evaluated<Dev4<$dev>>> {
                objective(rep, x, target, range, lambda, loss)
            }
        }
    };
}

#[cfg(feature = "cuda")]
portable_objective!(crate::device::Gpu);
#[cfg(feature = "portable-cpu")]
portable_objective!(crate::device::Cpu);
