//! Adam on the CPU: one fused host loop over the pixels, in torch's order of operations
//! (`_single_tensor_adam`). The loop reads the current moments and writes the next ones
//! into a second set of buffers (swapped in when every value came out finite), so a
//! diverging step leaves the state as it was without copying it first. The loop runs over
//! fixed-width chunks with no branches and keeps its sums in f64 lanes, so it vectorises.
//! Under the `portable-cpu` test feature the CPU runs the portable kernel instead, and
//! this module is left out.

use dfdx::prelude::{HasShape, NoneTape};

use super::{AdamState, Coefs};
use crate::device::Cpu;
use crate::error::Result;
use crate::ops::pool::Pooled;
use crate::synthesize::lanes::{avx_dispatch, chunk, chunk_mut, whole, LANES};
use crate::tensor::{Image, Shape4};

/// Adam's moments on the host.
#[derive(Debug, Default)]
struct Moments {
    m: Vec<f32>,
    v: Vec<f32>,
    /// Empty unless AMSGrad is on.
    vmax: Vec<f32>,
}

impl Moments {
    fn zeros_like(o: &Moments) -> Moments {
        Moments {
            m: vec![0.0; o.m.len()],
            v: vec![0.0; o.v.len()],
            vmax: vec![0.0; o.vmax.len()],
        }
    }
}

/// The current moments, the buffers the next update writes, and the image's values
/// before and after the update (all reused from step to step).
#[derive(Debug)]
pub(crate) struct HostMoments {
    cur: Moments,
    next: Moments,
    param: Vec<f32>,
    updated: Vec<f32>,
    /// `param` holds the image's values (after the first update of a run).
    synced: bool,
}

impl HostMoments {
    /// Takes the moments out of `s`.
    fn load(s: &mut AdamState, numel: usize) -> Self {
        let cur = Moments {
            m: std::mem::take(&mut s.exp_avg),
            v: std::mem::take(&mut s.exp_avg_sq),
            vmax: std::mem::take(&mut s.max_exp_avg_sq),
        };
        HostMoments {
            next: Moments::zeros_like(&cur),
            cur,
            param: vec![0.0; numel],
            updated: vec![0.0; numel],
            synced: false,
        }
    }

    /// Puts the moments back into `s`.
    fn store(self, s: &mut AdamState) {
        s.exp_avg = self.cur.m;
        s.exp_avg_sq = self.cur.v;
        s.max_exp_avg_sq = self.cur.vmax;
    }

    /// One update of `self.param` with gradient `grad` (the new values end in
    /// `self.param`, the old in `self.updated`); returns the
    /// squared L2 norm of the change (accumulated in f64), or `None` when a second moment
    /// or the change is not finite (then nothing changes).
    fn update(&mut self, c: &Coefs, grad: &[f32]) -> Option<f64> {
        let (change, vsum) = match (c.w1 < 0.5, c.amsgrad) {
            (true, true) => self.step::<true, true>(c, grad),
            (true, false) => self.step::<true, false>(c, grad),
            (false, true) => self.step::<false, true>(c, grad),
            (false, false) => self.step::<false, false>(c, grad),
        };
        // every second moment is >= 0: their sum is finite exactly when all of them are
        if !(vsum.is_finite() && change.is_finite()) {
            return None;
        }
        std::mem::swap(&mut self.cur, &mut self.next);
        std::mem::swap(&mut self.param, &mut self.updated);
        Some(change)
    }

    /// The update loop for one lerp branch (`LOW_W1`: `w1 < 0.5`) and AMSGrad setting;
    /// returns the squared norm of the change and the sum of the new second moments.
    fn step<const LOW_W1: bool, const AMS: bool>(&mut self, c: &Coefs, g: &[f32]) -> (f64, f64) {
        let (cur, next) = (&self.cur, &mut self.next);
        kernel::<LOW_W1, AMS>(
            c,
            g,
            [&cur.m, &cur.v, &cur.vmax, &self.param],
            &mut next.m,
            &mut next.v,
            &mut next.vmax,
            &mut self.updated,
        )
    }
}

avx_dispatch! {
    /// The update loop of [`HostMoments::step`]: reads the gradient `g` and
    /// `[m, v, vmax, param]`, writes the new moments and image. Separate slices as arguments
    /// tell the compiler that the outputs alias nothing, which it needs to vectorise the loop;
    /// compiled for AVX too (see [`avx_dispatch`]).
fn kernel<const LOW_W1: bool, const AMS: bool>(
    c: &Coefs,
    g: &[f32],
    mvp: [&[f32]; 4],
    m2: &mut [f32],
    v2: &mut [f32],
    vmax2: &mut [f32],
    out: &mut [f32],
) -> (f64, f64) {
    let [m, v, vmax, p] = mvp;
    let n = p.len();
    let (g, m, v, m2, v2, out) = (
        &g[..n],
        &m[..n],
        &v[..n],
        &mut m2[..n],
        &mut v2[..n],
        &mut out[..n],
    );
    // without AMSGrad the loop neither reads nor writes these
    let mut unused = [0.0f32; LANES];
    let (vmax, vmax2): (&[f32], &mut [f32]) = if AMS {
        (&vmax[..n], &mut vmax2[..n])
    } else {
        (&[], &mut [])
    };
    let mut change = [0.0f64; LANES];
    let mut vsum = [0.0f64; LANES];
    let (chunks, tail) = whole(n);
    for k in 0..chunks {
        let (g, m, v, p) = (chunk(g, k), chunk(m, k), chunk(v, k), chunk(p, k));
        let (m2, v2, out) = (chunk_mut(m2, k), chunk_mut(v2, k), chunk_mut(out, k));
        let (vmax, vmax2) = if AMS {
            (chunk(vmax, k), chunk_mut(vmax2, k))
        } else {
            (v, &mut unused)
        };
        for l in 0..LANES {
            let e = element::<LOW_W1, AMS>(c, g[l], m[l], v[l], vmax[l], p[l]);
            (m2[l], v2[l], vmax2[l], out[l]) = (e.m, e.v, e.vmax, e.p);
            change[l] += e.change * e.change;
            vsum[l] += e.v as f64;
        }
    }
    for i in tail..n {
        let vm = if AMS { vmax[i] } else { 0.0 };
        let e = element::<LOW_W1, AMS>(c, g[i], m[i], v[i], vm, p[i]);
        (m2[i], v2[i], out[i]) = (e.m, e.v, e.p);
        if AMS {
            vmax2[i] = e.vmax;
        }
        change[0] += e.change * e.change;
        vsum[0] += e.v as f64;
    }
    (change.iter().sum(), vsum.iter().sum())
}
}
/// One pixel's update.
struct Element {
    m: f32,
    v: f32,
    vmax: f32,
    p: f32,
    change: f64,
}

/// Adam's update of one pixel `p` with gradient `g` and moments `m`, `v`, `vmax`.
#[inline(always)]
fn element<const LOW_W1: bool, const AMS: bool>(
    c: &Coefs,
    g: f32,
    m: f32,
    v: f32,
    vmax: f32,
    p: f32,
) -> Element {
    // torch's lerp: weight < 0.5 -> self + weight * (end - self)
    let m = if LOW_W1 {
        m + c.w1 * (g - m)
    } else {
        g - (g - m) * (1.0 - c.w1)
    };
    let v = v * c.b2 + c.w2 * g * g;
    let vmax = if AMS { vmax.max(v) } else { v };
    let denom = vmax.sqrt() / c.bc2_sqrt + c.eps;
    let updated = p + c.neg_step * m / denom;
    Element {
        m,
        v,
        vmax,
        p: updated,
        change: (updated - p) as f64,
    }
}

impl super::AdamKernel for Cpu {
    type Moments = HostMoments;
    type Grad = Pooled<f32>;

    fn load_moments(&self, s: &mut AdamState, shape: Shape4) -> Result<HostMoments> {
        Ok(HostMoments::load(s, shape.0 * shape.1 * shape.2 * shape.3))
    }

    fn store_moments(m: HostMoments, s: &mut AdamState) {
        m.store(s);
    }

    fn adam_update(
        &self,
        c: &Coefs,
        x: &mut Image<f32, NoneTape, Cpu>,
        m: &mut HostMoments,
        g: &Pooled<f32>,
    ) -> Result<Option<f64>> {
        debug_assert_eq!(
            x.shape().0 * x.shape().1 * x.shape().2 * x.shape().3,
            g.len()
        );
        // only this kernel changes the image during a run: its values are read once
        if !m.synced {
            x.copy_into(&mut m.param);
        }
        let change = m.update(c, g);
        if change.is_some() {
            // in place when nothing else holds the image's buffer
            x.copy_from(&m.param);
            m.synced = true;
        }
        Ok(change)
    }
}
