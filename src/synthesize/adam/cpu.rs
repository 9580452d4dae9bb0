//! Adam on the CPU: one fused host loop over the pixels, in torch's order of operations
//! (`_single_tensor_adam`), in place. A copy of the moments is kept before each update
//! and put back when a value came out non-finite, so a diverging step leaves the state
//! as it was.
//! Under the `portable-cpu` test feature the CPU runs the portable kernel instead, and
//! this module is left out.

use dfdx::prelude::{HasShape, NoneTape, TensorFromVec};

use super::{AdamState, Coefs};
use crate::device::Cpu;
use crate::error::Result;
use crate::tensor::{Image, Shape4};

/// Adam's moments on the host.
#[derive(Debug, Default)]
struct Moments {
    m: Vec<f32>,
    v: Vec<f32>,
    /// Empty unless AMSGrad is on.
    vmax: Vec<f32>,
}

/// The current moments and the buffers the next update writes.
#[derive(Debug)]
pub(crate) struct HostMoments {
    cur: Moments,
    next: Moments,
}

impl HostMoments {
    /// Takes the moments out of `s`.
    fn load(s: &mut AdamState) -> Self {
        let cur = Moments {
            m: std::mem::take(&mut s.exp_avg),
            v: std::mem::take(&mut s.exp_avg_sq),
            vmax: std::mem::take(&mut s.max_exp_avg_sq),
        };
        let next = Moments {
            m: vec![0.0; cur.m.len()],
            v: vec![0.0; cur.v.len()],
            vmax: vec![0.0; cur.vmax.len()],
        };
        HostMoments { cur, next }
    }

    /// Puts the moments back into `s`.
    fn store(self, s: &mut AdamState) {
        s.exp_avg = self.cur.m;
        s.exp_avg_sq = self.cur.v;
        s.max_exp_avg_sq = self.cur.vmax;
    }

    /// One update of `param` with gradient `grad`; returns the squared L2 norm of the
    /// change (accumulated in f64), or `None` when a second moment or the change is not
    /// finite (then the moments are unchanged; `param` is not).
    fn update(&mut self, c: &Coefs, param: &mut [f32], grad: &[f32]) -> Option<f64> {
        // the current moments are kept in `next` (three copies, cheaper than a loop that
        // reads and writes six arrays), restored if the update is not finite
        self.next.m.copy_from_slice(&self.cur.m);
        self.next.v.copy_from_slice(&self.cur.v);
        self.next.vmax.copy_from_slice(&self.cur.vmax);
        let cur = &mut self.cur;
        let mut change = 0.0f64;
        let mut finite = true;
        for i in 0..param.len() {
            let g = grad[i];
            let m = &mut cur.m[i];
            // torch's lerp: weight < 0.5 -> self + weight * (end - self)
            *m = if c.w1 < 0.5 {
                *m + c.w1 * (g - *m)
            } else {
                g - (g - *m) * (1.0 - c.w1)
            };
            let v = &mut cur.v[i];
            *v = *v * c.b2 + c.w2 * g * g;
            finite &= v.is_finite();
            let vhat = if c.amsgrad {
                let mx = &mut cur.vmax[i];
                *mx = mx.max(*v);
                *mx
            } else {
                *v
            };
            let denom = vhat.sqrt() / c.bc2_sqrt + c.eps;
            let old = param[i];
            param[i] = old + c.neg_step * *m / denom;
            let d = (param[i] - old) as f64;
            change += d * d;
        }
        if !(finite && change.is_finite()) {
            std::mem::swap(&mut self.cur, &mut self.next);
            return None;
        }
        Some(change)
    }
}

impl super::AdamKernel for Cpu {
    type Moments = HostMoments;
    type Grad = Vec<f32>;

    fn load_moments(&self, s: &mut AdamState, _shape: Shape4) -> Result<HostMoments> {
        Ok(HostMoments::load(s))
    }

    fn store_moments(m: HostMoments, s: &mut AdamState) {
        m.store(s);
    }

    fn adam_update(
        &self,
        c: &Coefs,
        x: &mut Image<f32, NoneTape, Cpu>,
        m: &mut HostMoments,
        g: &Vec<f32>,
    ) -> Result<Option<f64>> {
        let mut data = x.as_vec();
        let change = m.update(c, &mut data, g);
        if change.is_some() {
            *x = self.tensor_from_vec(data, *x.shape());
        }
        Ok(change)
    }
}
