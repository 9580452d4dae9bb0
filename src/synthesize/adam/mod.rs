//! The optimiser of synthesis: Adam (with the AMSGrad variant), following torch's
//! `torch.optim.Adam` step for step. As dfdx's `AdamKernel`, the update is a per-device
//! kernel ([`AdamKernel`]): the CPU's fused host loop (`cpu.rs`) and the portable one built
//! from dfdx's tensor ops (`portable.rs`), which the GPU runs, and the CPU too under the
//! `portable-cpu` test feature. [`adam_step`] is the one generic step on top of them.

#[cfg(not(feature = "portable-cpu"))]
mod cpu;
mod portable;

use std::path::Path;

use dfdx::prelude::NoneTape;

use super::archive::{invalid, Archive};
use crate::error::{DivergedAt, Error, Result};
use crate::tensor::{Image, Shape4};

/// Settings of the Adam optimiser; plenoptic's defaults (`lr` 0.01, AMSGrad on, betas
/// (0.9, 0.999), eps 1e-8).
///
/// ```
/// let opts = plenoptic::synthesize::AdamOptions::default();
/// assert_eq!((opts.lr, opts.amsgrad), (0.01, true));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamOptions {
    /// Learning rate (step size).
    pub lr: f64,
    /// Decay rates of the running mean of the gradient and of its square.
    pub betas: (f64, f64),
    /// Added to the denominator for numerical stability.
    pub eps: f64,
    /// Use the maximum of past squared-gradient averages (AMSGrad).
    pub amsgrad: bool,
}

impl Default for AdamOptions {
    fn default() -> Self {
        AdamOptions {
            lr: 0.01,
            betas: (0.9, 0.999),
            eps: 1e-8,
            amsgrad: true,
        }
    }
}

impl AdamOptions {
    /// Checks that every setting lies in the range torch accepts.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the bad setting.
    pub(crate) fn validate(&self) -> Result<()> {
        if !(self.lr.is_finite() && self.lr >= 0.0) {
            return Err(Error::invalid(
                "lr",
                format!("learning rate must be finite and >= 0, got {}", self.lr),
            ));
        }
        let (b1, b2) = self.betas;
        if !(0.0..1.0).contains(&b1) || !(0.0..1.0).contains(&b2) {
            return Err(Error::invalid(
                "betas",
                format!("both must lie in [0, 1), got ({b1}, {b2})"),
            ));
        }
        if !(self.eps.is_finite() && self.eps >= 0.0) {
            return Err(Error::invalid(
                "eps",
                format!("must be finite and >= 0, got {}", self.eps),
            ));
        }
        Ok(())
    }

    /// The coefficients of step number `t` (1-based), in torch's arithmetic (f32, with
    /// the bias corrections computed in f64).
    fn coefs(&self, t: u64) -> Coefs {
        let (beta1, beta2) = self.betas;
        let t = t as f64;
        let bc2 = 1.0 - beta2.powf(t);
        Coefs {
            w1: (1.0 - beta1) as f32,
            b2: beta2 as f32,
            w2: (1.0 - beta2) as f32,
            bc2_sqrt: bc2.sqrt() as f32,
            inv_bc2_sqrt: (1.0 / bc2.sqrt()) as f32,
            neg_step: (-(self.lr / (1.0 - beta1.powf(t)))) as f32,
            eps: self.eps as f32,
            amsgrad: self.amsgrad,
        }
    }
}

/// The coefficients of one Adam step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coefs {
    /// Weight of the gradient in the first moment's lerp, `1 - beta1`.
    pub w1: f32,
    /// `beta2`.
    pub b2: f32,
    /// `1 - beta2`.
    pub w2: f32,
    /// The square root of the second moment's bias correction (the CPU divides by it).
    #[cfg_attr(feature = "portable-cpu", allow(dead_code))]
    pub bc2_sqrt: f32,
    /// Its reciprocal, rounded once (the portable kernel multiplies by it).
    pub inv_bc2_sqrt: f32,
    /// `-lr / (1 - beta1^t)`.
    pub neg_step: f32,
    /// `eps`.
    pub eps: f32,
    /// AMSGrad on.
    pub amsgrad: bool,
}

/// Adam's state on the host: the settings, the step count and the moments (what is saved,
/// and what a device's kernel takes its moments from).
#[derive(Debug, Clone)]
pub(crate) struct AdamState {
    pub opts: AdamOptions,
    pub step: u64,
    pub exp_avg: Vec<f32>,
    pub exp_avg_sq: Vec<f32>,
    /// Empty unless AMSGrad is on.
    pub max_exp_avg_sq: Vec<f32>,
}

impl AdamState {
    /// Fresh state for `n` parameters.
    pub fn new(opts: AdamOptions, n: usize) -> Self {
        AdamState {
            opts,
            step: 0,
            exp_avg: vec![0.0; n],
            exp_avg_sq: vec![0.0; n],
            max_exp_avg_sq: if opts.amsgrad {
                vec![0.0; n]
            } else {
                Vec::new()
            },
        }
    }

    /// Writes the `optimizer.*` records (moments of shape `shape`).
    pub fn put(&self, a: &mut Archive, shape: &[usize; 4]) {
        let o = self.opts;
        a.put_f64("optimizer.lr", vec![o.lr]);
        a.put_f64("optimizer.betas", vec![o.betas.0, o.betas.1]);
        a.put_f64("optimizer.eps", vec![o.eps]);
        a.put_u64("optimizer.amsgrad", vec![o.amsgrad as u64]);
        a.put_u64("optimizer.step", vec![self.step]);
        a.put_f32("optimizer.exp_avg", shape, self.exp_avg.clone());
        a.put_f32("optimizer.exp_avg_sq", shape, self.exp_avg_sq.clone());
        if o.amsgrad {
            a.put_f32(
                "optimizer.max_exp_avg_sq",
                shape,
                self.max_exp_avg_sq.clone(),
            );
        }
    }

    /// Reads what [`Self::put`] wrote; `None` when the file has no optimiser (saved before
    /// setup).
    ///
    /// # Errors
    /// [`Error::Load`] for missing or inconsistent records.
    pub fn take(a: &Archive, path: &Path, shape: &[usize; 4]) -> Result<Option<Self>> {
        if !a.has("optimizer.step") {
            return Ok(None);
        }
        let betas = a.f64_n(path, "optimizer.betas", 2)?;
        let opts = AdamOptions {
            lr: a.f64_n(path, "optimizer.lr", 1)?[0],
            betas: (betas[0], betas[1]),
            eps: a.f64_n(path, "optimizer.eps", 1)?[0],
            amsgrad: a.u64_1(path, "optimizer.amsgrad")? != 0,
        };
        let moment = |name: &str| -> Result<Vec<f32>> {
            let (d, v) = a.f32s(path, name)?;
            if d != shape {
                return Err(invalid(
                    path,
                    name,
                    format!("shape {d:?}, expected {shape:?}"),
                ));
            }
            Ok(v)
        };
        Ok(Some(AdamState {
            opts,
            step: a.u64_1(path, "optimizer.step")?,
            exp_avg: moment("optimizer.exp_avg")?,
            exp_avg_sq: moment("optimizer.exp_avg_sq")?,
            max_exp_avg_sq: if opts.amsgrad {
                moment("optimizer.max_exp_avg_sq")?
            } else {
                Vec::new()
            },
        }))
    }
}

/// Adam's update on one device (dfdx's `AdamKernel` pattern): the moments live on the
/// device in the kernel's own layout while a synthesis runs.
pub(crate) trait AdamKernel: crate::device::Device<f32> {
    /// Adam's moments on this device.
    type Moments;
    /// A gradient on this device.
    type Grad;
    /// Moves the moments of `s` to the device (`s` keeps its settings and step count).
    ///
    /// # Errors
    /// [`Error::Backend`] when the device refuses.
    fn load_moments(&self, s: &mut AdamState, shape: Shape4) -> Result<Self::Moments>;
    /// Moves the moments back into `s`.
    fn store_moments(m: Self::Moments, s: &mut AdamState);
    /// One update of `x` with gradient `g` and coefficients `c`; returns the squared L2
    /// norm of the change (f64), or `None`, with `x` and the moments unchanged, when the
    /// update would leave non-finite values in the image or the moments.
    ///
    /// # Errors
    /// [`Error::Backend`] when the device refuses.
    fn adam_update(
        &self,
        c: &Coefs,
        x: &mut Image<f32, NoneTape, Self>,
        m: &mut Self::Moments,
        g: &Self::Grad,
    ) -> Result<Option<f64>>;
}

/// One Adam step of `x` on device `dev` at iteration `it` (for errors): counts the step,
/// updates `x` and the moments, returns the squared norm of the change.
///
/// # Errors
/// [`Error::Diverged`] at [`DivergedAt::Optimizer`] when the update would leave
/// non-finite values (nothing changes, the step is not counted); [`Error::Backend`].
pub(crate) fn adam_step<D: AdamKernel>(
    dev: &D,
    s: &mut AdamState,
    x: &mut Image<f32, NoneTape, D>,
    m: &mut D::Moments,
    g: &D::Grad,
    it: usize,
) -> Result<f64> {
    let c = s.opts.coefs(s.step + 1);
    match dev.adam_update(&c, x, m, g)? {
        Some(change) => {
            s.step += 1;
            Ok(change)
        }
        None => Err(Error::Diverged {
            iteration: it,
            at: DivergedAt::Optimizer,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::cpu;
    use dfdx::prelude::TensorFromVec;

    fn step(p: &[f32], g: &[f32], lr: f64) -> (Vec<f32>, Result<f64>) {
        let dev = cpu();
        let shape = (1, 1, 1, p.len());
        let mut s = AdamState::new(
            AdamOptions {
                lr,
                ..Default::default()
            },
            p.len(),
        );
        let mut x = dev.tensor_from_vec(p.to_vec(), shape);
        let mut m = dev.load_moments(&mut s, shape).unwrap();
        let gd = portable_or_host_grad(&dev, g, shape);
        let r = adam_step(&dev, &mut s, &mut x, &mut m, &gd, 0);
        (x.as_vec(), r)
    }

    #[cfg(not(feature = "portable-cpu"))]
    fn portable_or_host_grad(
        _: &crate::device::Cpu,
        g: &[f32],
        _: Shape4,
    ) -> crate::ops::pool::Pooled<f32> {
        g.to_vec().into()
    }
    #[cfg(feature = "portable-cpu")]
    fn portable_or_host_grad(dev: &crate::device::Cpu, g: &[f32], shape: Shape4) -> Image<f32> {
        dev.tensor_from_vec(g.to_vec(), shape)
    }

    #[test]
    fn first_step_moves_by_lr() {
        // With bias correction, Adam's first step is lr * sign(grad) (up to eps).
        let (p, r) = step(&[0.5, 0.5, 0.5], &[1.0, -2.0, 0.0], 0.01);
        assert!((p[0] - 0.49).abs() < 1e-6);
        assert!((p[1] - 0.51).abs() < 1e-6);
        assert_eq!(p[2], 0.5);
        assert!((r.unwrap() - 2e-4).abs() < 1e-9);
    }

    #[test]
    fn overflowing_step_changes_nothing() {
        // (1 - beta2) g^2 overflows f32: the second moment would be inf
        let (p, r) = step(&[0.5, 0.5], &[1e25, 0.0], 0.01);
        assert_eq!(p, vec![0.5, 0.5]);
        assert!(matches!(
            r,
            Err(Error::Diverged {
                at: DivergedAt::Optimizer,
                ..
            })
        ));
        // an image pushed past f32's range
        let (p, r) = step(&[0.5], &[1.0], 1e39);
        assert_eq!(p, vec![0.5]);
        assert!(r.is_err());
    }
}
