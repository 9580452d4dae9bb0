//! The optimiser behind metamer synthesis: Adam (with the AMSGrad variant), written out to
//! follow torch's `torch.optim.Adam` step for step, and the objective's pieces (MSE and
//! range penalty) with their gradients.

use crate::error::{Error, Result};

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
}

/// Adam's state for one parameter tensor (flat f32 buffer).
#[derive(Debug, Clone)]
pub(crate) struct Adam {
    pub opts: AdamOptions,
    pub step: u64,
    pub exp_avg: Vec<f32>,
    pub exp_avg_sq: Vec<f32>,
    /// Empty unless AMSGrad is on.
    pub max_exp_avg_sq: Vec<f32>,
}

impl Adam {
    /// Fresh state for `n` parameters.
    pub fn new(opts: AdamOptions, n: usize) -> Self {
        Adam {
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

    /// One update of `param` with gradient `grad`, in torch's order of operations
    /// (`_single_tensor_adam`, f32 arithmetic with f64 bias corrections). Returns the
    /// squared L2 norm of the change of `param` (accumulated in f64).
    pub fn step(&mut self, param: &mut [f32], grad: &[f32]) -> f64 {
        self.step += 1;
        let o = self.opts;
        let (beta1, beta2) = o.betas;
        let w1 = (1.0 - beta1) as f32;
        let b2 = beta2 as f32;
        let w2 = (1.0 - beta2) as f32;
        let t = self.step as f64;
        let bc1 = 1.0 - beta1.powf(t);
        let bc2_sqrt = (1.0 - beta2.powf(t)).sqrt() as f32;
        let neg_step = (-(o.lr / bc1)) as f32;
        let eps = o.eps as f32;
        let mut change = 0.0f64;
        let amsgrad = o.amsgrad;
        for i in 0..param.len() {
            let g = grad[i];
            let m = &mut self.exp_avg[i];
            // torch's lerp: weight < 0.5 -> self + weight * (end - self)
            *m = if w1 < 0.5 {
                *m + w1 * (g - *m)
            } else {
                g - (g - *m) * (1.0 - w1)
            };
            let v = &mut self.exp_avg_sq[i];
            *v = *v * b2 + w2 * g * g;
            let vhat = if amsgrad {
                let mx = &mut self.max_exp_avg_sq[i];
                *mx = mx.max(*v);
                *mx
            } else {
                *v
            };
            let denom = vhat.sqrt() / bc2_sqrt + eps;
            let old = param[i];
            param[i] = old + neg_step * *m / denom;
            let d = (param[i] - old) as f64;
            change += d * d;
        }
        change
    }
}

/// Mean squared difference of `a` and `b` (f64 accumulation) and its gradient with
/// respect to `a` (f32), like `torch.pow(a - b, 2).mean()`.
pub(crate) fn mse_with_grad(a: &[f32], b: &[f32]) -> (f64, Vec<f32>) {
    let n = a.len() as f64;
    let scale = (2.0 / n) as f32;
    let mut s = 0.0f64;
    let grad = a
        .iter()
        .zip(b)
        .map(|(x, y)| {
            let d = x - y;
            s += (d as f64) * (d as f64);
            scale * d
        })
        .collect();
    (s / n, grad)
}

/// plenoptic's `penalize_range`: the sum of squared distances of the pixels outside
/// `range` (f64 accumulation). When `grad` is given, adds `lambda` times the penalty's
/// gradient to it.
pub(crate) fn range_penalty(
    x: &[f32],
    range: (f64, f64),
    lambda: f64,
    grad: Option<&mut [f32]>,
) -> f64 {
    let (lo, hi) = (range.0 as f32, range.1 as f32);
    let mut s = 0.0f64;
    match grad {
        Some(g) => {
            let k = (2.0 * lambda) as f32;
            for (v, gi) in x.iter().zip(g.iter_mut()) {
                let d = if *v < lo {
                    *v - lo
                } else if *v > hi {
                    *v - hi
                } else {
                    continue;
                };
                s += (d as f64) * (d as f64);
                *gi += k * d;
            }
        }
        None => {
            for v in x {
                let d = if *v < lo {
                    *v - lo
                } else if *v > hi {
                    *v - hi
                } else {
                    continue;
                };
                s += (d as f64) * (d as f64);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_first_step_moves_by_lr() {
        // With bias correction, Adam's first step is lr * sign(grad) (up to eps).
        let mut p = vec![0.5f32, 0.5, 0.5];
        let mut adam = Adam::new(AdamOptions::default(), 3);
        adam.step(&mut p, &[1.0, -2.0, 0.0]);
        assert!((p[0] - 0.49).abs() < 1e-6);
        assert!((p[1] - 0.51).abs() < 1e-6);
        assert_eq!(p[2], 0.5);
    }

    #[test]
    fn penalty_and_gradient() {
        let x = [-0.5f32, 0.5, 1.25];
        let mut g = vec![0.0f32; 3];
        let p = range_penalty(&x, (0.0, 1.0), 0.1, Some(&mut g));
        assert!((p - 0.3125).abs() < 1e-7);
        assert!((g[0] + 0.1).abs() < 1e-7 && g[1] == 0.0 && (g[2] - 0.05).abs() < 1e-7);
    }
}
