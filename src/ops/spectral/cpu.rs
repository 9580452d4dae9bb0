//! The CPU's spectral op: host FFTs in f64 ([`super::SpectralPlan`]), recorded on the
//! tape with their adjoints.

use std::sync::Arc;

use dfdx::prelude::{Cpu, Tensor};

use super::SpectralPlan;
use crate::ops::pool;
use crate::ops::tape::{read, record1};
use crate::tensor::{dims, Float, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::SpectralKernel<E> for Cpu {
    fn spectral_analysis<T: Tape<E>>(
        x: crate::Image<E, T>,
        plan: &Arc<SpectralPlan>,
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(analysis(x, plan))
    }

    fn spectral_synthesis<T: Tape<E>>(
        y: crate::Image<E, T>,
        plan: &Arc<SpectralPlan>,
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(synthesis(y, plan))
    }
}

/// Applies `f(input plane, output plane)` to each of `planes` planes in f64.
fn per_plane<E: Float>(
    xv: &[E],
    n_in: usize,
    n_out: usize,
    planes: usize,
    f: impl Fn(&[f64], &mut [f64]),
) -> Vec<f64> {
    let mut out = vec![0.0; planes * n_out];
    for p in 0..planes {
        let x: Vec<f64> = xv[p * n_in..(p + 1) * n_in]
            .iter()
            .map(|v| v.as_f64())
            .collect();
        f(&x, &mut out[p * n_out..(p + 1) * n_out]);
    }
    out
}

fn add_into<E: Float>(g: &mut [E], v: &[f64]) {
    for (a, b) in g.iter_mut().zip(v) {
        *a += E::of_f64(*b);
    }
}

/// [`super::spectral_analysis`] on the CPU.
pub(crate) fn analysis<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    plan: &Arc<SpectralPlan>,
) -> Tensor<Shape4, E, Cpu, T> {
    let [b, c, h, w] = dims(&x);
    let (n_in, n_out) = (h * w, plan.len());
    let (x, out) = read(x, |xv| {
        let v = per_plane(xv, n_in, n_out, b * c, |x, o| plan.analyze(x, o));
        let mut out = pool::take(v.len());
        out.iter_mut().zip(&v).for_each(|(a, b)| *a = E::of_f64(*b));
        out
    });
    let plan = plan.clone();
    record1(x, out, plan.out_shape(b, c), move |gy, gx| {
        let v = per_plane(gy, n_out, n_in, b * c, |g, o| plan.analyze_adjoint(g, o));
        add_into(gx, &v);
    })
}

/// [`super::spectral_synthesis`] on the CPU.
pub(crate) fn synthesis<E: Float, T: Tape<E>>(
    y: Tensor<Shape4, E, Cpu, T>,
    plan: &Arc<SpectralPlan>,
) -> Tensor<Shape4, E, Cpu, T> {
    let [b, c, _, n_in] = dims(&y);
    let n_out = plan.h * plan.w;
    let (y, out) = read(y, |yv| {
        let v = per_plane(yv, n_in, n_out, b * c, |y, o| plan.synthesize(y, o));
        let mut out = pool::take(v.len());
        out.iter_mut().zip(&v).for_each(|(a, b)| *a = E::of_f64(*b));
        out
    });
    let plan = plan.clone();
    record1(y, out, (b, c, plan.h, plan.w), move |gx, gy| {
        let v = per_plane(gx, n_out, n_in, b * c, |g, o| plan.synthesize_adjoint(g, o));
        add_into(gy, &v);
    })
}
