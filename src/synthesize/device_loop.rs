//! Metamer iterations that stay on the device: the metamer, the target representation and
//! Adam's state live there, and each iteration reads back only a few sums (the loss, the
//! gradient norm, the pixel change), one per image row, added up in f64 on the host as
//! the host loop does. Used on the GPU, where copying the image and its gradient through
//! the host every iteration would cost more than the model; the CPU keeps its host loop
//! (`Metamer::step`). The arithmetic is the host loop's (MSE, plenoptic's range penalty,
//! torch's Adam with AMSGrad, f32), in dfdx operations.

use dfdx::prelude::*;

use super::optim::{Adam, AdamOptions};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::ops::backend::backend;
use crate::simulate::Model;
use crate::tensor::{dims, to_device, Image, Shape4};

/// A tape-less f32 image on device `D`.
type Dev4<D> = Tensor<Shape4, f32, D, NoneTape>;

/// What one iteration records.
pub(crate) struct StepOut {
    pub loss: f64,
    pub gnorm: f64,
    /// Squared L2 norm of the metamer's change.
    pub change: f64,
}

/// The state of a metamer synthesis on device `D`.
pub(crate) struct DeviceLoop<D: Device<f32>> {
    x: Dev4<D>,
    target: Dev4<D>,
    m: Dev4<D>,
    v: Dev4<D>,
    vmax: Dev4<D>,
    step: u64,
    opts: AdamOptions,
    range: (f64, f64),
    lambda: f64,
}

/// The sum of every element of `t`, added up in f64 on the host from one f32 sum per
/// image row (rows are short, so their f32 sums are accurate).
fn sum_f64<D: Device<f32> + dfdx::tensor_ops::Device<f32>>(t: Dev4<D>) -> Result<f64> {
    let [b, c, h, w] = dims(&t);
    let rows = t
        .try_reshape_like(&(b * c * h, w))
        .and_then(|r| r.try_sum::<(usize,), Axis<1>>())
        .map_err(backend("metamer step"))?;
    Ok(rows.as_vec().iter().map(|&v| v as f64).sum())
}

impl<D: Device<f32> + dfdx::tensor_ops::Device<f32>> DeviceLoop<D> {
    /// Moves the metamer `x`, the target representation and Adam's state to `dev`.
    pub fn new(
        dev: &D,
        x: &Image<f32>,
        target: &Image<f32>,
        adam: &Adam,
        range: (f64, f64),
        lambda: f64,
    ) -> Result<Self> {
        let shape = *x.shape();
        let up = |v: &[f32]| -> Result<Dev4<D>> {
            dev.try_tensor_from_vec(v.to_vec(), shape)
                .map_err(backend("metamer step"))
        };
        let vmax = if adam.opts.amsgrad {
            up(&adam.max_exp_avg_sq)?
        } else {
            dev.try_zeros_like(&shape)
                .map_err(backend("metamer step"))?
        };
        Ok(DeviceLoop {
            x: to_device(x, dev),
            target: to_device(target, dev),
            m: up(&adam.exp_avg)?,
            v: up(&adam.exp_avg_sq)?,
            vmax,
            step: adam.step,
            opts: adam.opts,
            range,
            lambda,
        })
    }

    /// The metamer, copied to the CPU.
    pub fn metamer(&self) -> Image<f32> {
        crate::tensor::to_cpu(&self.x)
    }

    /// Copies Adam's state back into `adam` (for saving and for the host loop).
    pub fn write_back(&self, adam: &mut Adam) {
        adam.step = self.step;
        adam.exp_avg = self.m.as_vec();
        adam.exp_avg_sq = self.v.as_vec();
        if self.opts.amsgrad {
            adam.max_exp_avg_sq = self.vmax.as_vec();
        }
    }

    /// One iteration at iteration number `it` (for error messages): loss and gradient,
    /// the checks of the host loop, then Adam's update of the metamer.
    ///
    /// # Errors
    /// As the host loop: [`Error::ShapeMismatch`] for a representation of the wrong shape,
    /// [`Error::Synthesis`] when the loss or the gradient is not finite (the metamer is
    /// left as it was), the model's errors, [`Error::Backend`].
    pub fn step<M: Model>(&mut self, model: &M, it: usize) -> Result<StepOut> {
        let x = self.x.clone();
        let rep = model.forward(x.leaky_trace())?;
        if dims(&rep) != dims(&self.target) {
            return Err(Error::shape_mismatch(
                "the model's output against the target representation",
                dims(&self.target),
                dims(&rep),
            ));
        }
        let n = dims(&rep).iter().product::<usize>() as f64;
        let sq = rep
            .try_sub(self.target.clone())
            .and_then(|d| d.try_square())
            .map_err(backend("metamer step"))?;
        // the value from the squares' tape-less view, the gradient through the tape
        let mse = sum_f64(sq.retaped::<NoneTape>())? / n;
        let grads = sq
            .try_sum::<Rank0, _>()
            .and_then(|s| s.try_mul((1.0 / n) as f32))
            .and_then(|l| l.try_backward())
            .map_err(backend("metamer step"))?;
        let mut g: Dev4<D> = grads.get(&x);
        // plenoptic's range penalty: d = relu(x - hi) - relu(lo - x), penalty sum(d^2),
        // gradient 2 lambda d
        let (lo, hi) = (self.range.0 as f32, self.range.1 as f32);
        let d = x
            .clone()
            .try_sub(hi)
            .and_then(|a| a.try_relu())
            .and_then(|a| {
                let b = x.clone().try_negate()?.try_add(lo)?.try_relu()?;
                a.try_sub(b)
            })
            .map_err(backend("metamer step"))?;
        let pen = sum_f64(d.clone().try_square().map_err(backend("metamer step"))?)?;
        if self.lambda != 0.0 && pen > 0.0 {
            let k = (2.0 * self.lambda) as f32;
            g = g
                .try_add(d.try_mul(k).map_err(backend("metamer step"))?)
                .map_err(backend("metamer step"))?;
        }
        let loss = mse + self.lambda * pen;
        if !loss.is_finite() {
            return Err(Error::Synthesis(format!(
                "found a NaN in loss during optimization (iteration {it}, loss {loss})"
            )));
        }
        let gnorm = sum_f64(g.clone().try_square().map_err(backend("metamer step"))?)?.sqrt();
        if !gnorm.is_finite() {
            return Err(Error::Synthesis(format!(
                "the gradient is not finite at iteration {it} (loss {loss})"
            )));
        }
        let change = self.adam(g)?;
        Ok(StepOut {
            loss,
            gnorm,
            change,
        })
    }

    /// torch's Adam step (as `optim::Adam::step`) on the device; returns the squared norm
    /// of the change of the metamer.
    fn adam(&mut self, g: Dev4<D>) -> Result<f64> {
        self.step += 1;
        let o = self.opts;
        let (beta1, beta2) = o.betas;
        let w1 = (1.0 - beta1) as f32;
        let t = self.step as f64;
        let bc1 = 1.0 - beta1.powf(t);
        let inv_bc2_sqrt = (1.0 / (1.0 - beta2.powf(t)).sqrt()) as f32;
        let neg_step = (-(o.lr / bc1)) as f32;
        let gm = g
            .clone()
            .try_sub(self.m.clone())
            .map_err(backend("metamer step"))?;
        // torch's lerp: weight < 0.5 -> m + w (g - m), else g - (g - m)(1 - w)
        let m = if w1 < 0.5 {
            gm.try_mul(w1).and_then(|d| self.m.clone().try_add(d))
        } else {
            gm.try_mul(1.0 - w1).and_then(|d| g.clone().try_sub(d))
        }
        .map_err(backend("metamer step"))?;
        let v = g
            .try_square()
            .and_then(|g2| g2.try_mul((1.0 - beta2) as f32))
            .and_then(|g2| self.v.clone().try_mul(beta2 as f32)?.try_add(g2))
            .map_err(backend("metamer step"))?;
        let vhat = if o.amsgrad {
            self.vmax
                .clone()
                .try_maximum(v.clone())
                .map_err(backend("metamer step"))?
        } else {
            v.clone()
        };
        let x = vhat
            .clone()
            .try_sqrt()
            .and_then(|r| r.try_mul(inv_bc2_sqrt))
            .and_then(|r| r.try_add(o.eps as f32))
            .and_then(|denom| m.clone().try_mul(neg_step)?.try_div(denom))
            .and_then(|dx| self.x.clone().try_add(dx))
            .map_err(backend("metamer step"))?;
        let change = x
            .clone()
            .try_sub(self.x.clone())
            .and_then(|d| d.try_square())
            .map_err(backend("metamer step"))?;
        self.m = m;
        self.v = v;
        if o.amsgrad {
            self.vmax = vhat;
        }
        self.x = x;
        sum_f64(change)
    }
}
