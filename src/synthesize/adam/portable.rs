//! Adam from dfdx's built-in tensor ops, for any device: the moments stay on the device
//! and an update reads back one f64 sum per image row (the change's squared norm, added up
//! on the host). The GPU runs it, and the CPU under the `portable-cpu` test
//! feature. The arithmetic is the CPU kernel's, except that the bias correction of the
//! second moment is a multiplication by its rounded reciprocal.

#![cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]

use dfdx::prelude::*;

use super::{AdamState, Coefs};
use crate::error::Result;
use crate::ops::backend::backend;
use crate::synthesize::device::{sum_f64, Dev4, Portable};
use crate::tensor::Shape4;

/// Adam's moments on device `D`.
pub(crate) struct DevMoments<D: Portable> {
    m: Dev4<D>,
    v: Dev4<D>,
    /// Zeros unless AMSGrad is on.
    vmax: Dev4<D>,
}

/// Copies the moments of `s` to `dev`.
pub(crate) fn load<D: Portable>(dev: &D, s: &AdamState, shape: Shape4) -> Result<DevMoments<D>> {
    let up = |v: &[f32]| -> Result<Dev4<D>> {
        dev.try_tensor_from_vec(v.to_vec(), shape)
            .map_err(backend("adam"))
    };
    let vmax = if s.opts.amsgrad {
        up(&s.max_exp_avg_sq)?
    } else {
        dev.try_zeros_like(&shape).map_err(backend("adam"))?
    };
    Ok(DevMoments {
        m: up(&s.exp_avg)?,
        v: up(&s.exp_avg_sq)?,
        vmax,
    })
}

/// Copies the moments back into `s`.
pub(crate) fn store<D: Portable>(mo: &DevMoments<D>, s: &mut AdamState) {
    s.exp_avg = mo.m.as_vec();
    s.exp_avg_sq = mo.v.as_vec();
    if s.opts.amsgrad {
        s.max_exp_avg_sq = mo.vmax.as_vec();
    }
}

/// torch's Adam step on the device (see [`super::AdamKernel::adam_update`]).
pub(crate) fn update<D: Portable>(
    c: &Coefs,
    x: &mut Dev4<D>,
    mo: &mut DevMoments<D>,
    g: &Dev4<D>,
) -> Result<Option<f64>> {
    let gm = g.clone().try_sub(mo.m.clone()).map_err(backend("adam"))?;
    // torch's lerp: weight < 0.5 -> m + w (g - m), else g - (g - m)(1 - w)
    let m = if c.w1 < 0.5 {
        gm.try_mul(c.w1).and_then(|d| mo.m.clone().try_add(d))
    } else {
        gm.try_mul(1.0 - c.w1).and_then(|d| g.clone().try_sub(d))
    }
    .map_err(backend("adam"))?;
    let v = g
        .clone()
        .try_square()
        .and_then(|g2| g2.try_mul(c.w2))
        .and_then(|g2| mo.v.clone().try_mul(c.b2)?.try_add(g2))
        .map_err(backend("adam"))?;
    let vhat = if c.amsgrad {
        mo.vmax
            .clone()
            .try_maximum(v.clone())
            .map_err(backend("adam"))?
    } else {
        v.clone()
    };
    let new_x = vhat
        .clone()
        .try_sqrt()
        .and_then(|r| r.try_mul(c.inv_bc2_sqrt))
        .and_then(|r| r.try_add(c.eps))
        .and_then(|denom| m.clone().try_mul(c.neg_step)?.try_div(denom))
        .and_then(|dx| x.clone().try_add(dx))
        .map_err(backend("adam"))?;
    // The change's squared norm from f64 squares and row sums (as the CPU's f64
    // accumulation). The change plus 0 * v is the change where v is finite and NaN where
    // it is not, so the one read-back also tells whether the state stays finite.
    let change = new_x
        .clone()
        .try_sub(x.clone())
        .and_then(|d| d.try_add(v.clone().try_mul(0.0)?))
        .and_then(|d| d.try_to_dtype::<f64>())
        .and_then(|d| d.try_square())
        .map_err(backend("adam"))?;
    let change = sum_f64(change)?;
    if !change.is_finite() {
        return Ok(None);
    }
    mo.m = m;
    mo.v = v;
    if c.amsgrad {
        mo.vmax = vhat;
    }
    *x = new_x;
    Ok(Some(change))
}

/// The [`super::AdamKernel`] of a device that runs the portable kernel.
#[allow(unused_macros)]
macro_rules! portable_adam {
    ($dev:ty) => {
        impl super::AdamKernel for $dev {
            type Moments = DevMoments<$dev>;
            type Grad = Dev4<$dev>;

            fn load_moments(&self, s: &mut AdamState, shape: Shape4) -> Result<Self::Moments> {
                load(self, s, shape)
            }

            fn store_moments(m: Self::Moments, s: &mut AdamState) {
                store(&m, s);
            }

            fn adam_update(
                &self,
                c: &Coefs,
                x: &mut Dev4<$dev>,
                m: &mut Self::Moments,
                g: &Self::Grad,
            ) -> Result<Option<f64>> {
                update(c, x, m, g)
            }
        }
    };
}

#[cfg(feature = "cuda")]
portable_adam!(crate::device::Gpu);
#[cfg(feature = "portable-cpu")]
portable_adam!(crate::device::Cpu);
