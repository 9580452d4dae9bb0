//! The objective on the CPU: host arithmetic on the representation's values, f64
//! accumulation (in lanes, so the loops vectorise), the gradient seeded into the
//! model's backward pass and moved out of it without a copy. Under the `portable-cpu`
//! test feature the CPU runs the portable kernel instead.

#![cfg_attr(feature = "portable-cpu", allow(dead_code))]

use crate::ops::pool::{self, Pooled};
use crate::synthesize::lanes::{avx_dispatch, chunk, chunk_mut, whole, LANES};

/// Mean squared difference of `a` and `b` (f64 accumulation) and its gradient with
/// respect to `a` (f32), like `torch.pow(a - b, 2).mean()`.
pub(crate) fn mse_with_grad(a: &[f32], b: &[f32]) -> (f64, Pooled<f32>) {
    let mut grad = pool::take(a.len());
    (mse_into(a, b, &mut grad), grad)
}

avx_dispatch! {
    /// [`mse_with_grad`] writing the gradient into `grad` (a separate slice argument: the
    /// compiler vectorises the loop only when it knows the output aliases nothing).
    fn mse_into<>(a: &[f32], b: &[f32], grad: &mut [f32]) -> f64 {
        let n = a.len();
        let (b, grad) = (&b[..n], &mut grad[..n]);
        let scale = (2.0 / n as f64) as f32;
        let mut acc = [0.0f64; LANES];
        let (chunks, tail) = whole(n);
        for k in 0..chunks {
            let (a, b, g) = (chunk(a, k), chunk(b, k), chunk_mut(grad, k));
            for l in 0..LANES {
                let d = a[l] - b[l];
                g[l] = scale * d;
                acc[l] += (d as f64) * (d as f64);
            }
        }
        for i in tail..n {
            let d = a[i] - b[i];
            grad[i] = scale * d;
            acc[0] += (d as f64) * (d as f64);
        }
        acc.iter().sum::<f64>() / n as f64
    }
}

/// The L2 norm of the difference of `a` and `b` (f64 accumulation) and its gradient with
/// respect to `a` (f32), like `torch.linalg.vector_norm(b - a)` (a zero gradient where the
/// norm is 0, as torch's).
pub(crate) fn l2_with_grad(a: &[f32], b: &[f32]) -> (f64, Pooled<f32>) {
    let mut grad = pool::take(a.len());
    let norm = l2_into(a, b, &mut grad);
    let inv = if norm > 0.0 { (1.0 / norm) as f32 } else { 0.0 };
    for g in grad.iter_mut() {
        *g *= inv;
    }
    (norm, grad)
}

avx_dispatch! {
    /// The L2 norm of `a - b`, writing `a - b` into `grad`.
    fn l2_into<>(a: &[f32], b: &[f32], grad: &mut [f32]) -> f64 {
        let n = a.len();
        let (b, grad) = (&b[..n], &mut grad[..n]);
        let mut acc = [0.0f64; LANES];
        let (chunks, tail) = whole(n);
        for k in 0..chunks {
            let (a, b, g) = (chunk(a, k), chunk(b, k), chunk_mut(grad, k));
            for l in 0..LANES {
                let d = a[l] - b[l];
                g[l] = d;
                acc[l] += (d as f64) * (d as f64);
            }
        }
        for i in tail..n {
            let d = a[i] - b[i];
            grad[i] = d;
            acc[0] += (d as f64) * (d as f64);
        }
        acc.iter().sum::<f64>().sqrt()
    }
}

/// The distance of `v` outside `[lo, hi]` (0 inside, and for NaN).
#[inline(always)]
fn outside(v: f32, lo: f32, hi: f32) -> f32 {
    (v - lo).min(0.0) + (v - hi).max(0.0)
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
    let lohi = [range.0 as f32, range.1 as f32];
    let k2 = (2.0 * lambda) as f32;
    match grad {
        Some(g) => penalty::<true>(x, lohi, k2, g),
        None => penalty::<false>(x, lohi, k2, &mut []),
    }
}

avx_dispatch! {
    /// [`range_penalty`] for pixels `x` and range `lohi`, adding `k2` times the distance
    /// outside the range to `g` when `GRAD`.
    fn penalty<const GRAD: bool>(x: &[f32], lohi: [f32; 2], k2: f32, g: &mut [f32]) -> f64 {
        let [lo, hi] = lohi;
        let n = x.len();
        let mut acc = [0.0f64; LANES];
        let (chunks, tail) = whole(n);
        let mut unused = [0.0f32; LANES];
        let g = if GRAD { &mut g[..n] } else { &mut [][..] };
        for k in 0..chunks {
            let x = chunk(x, k);
            let gk = if GRAD { chunk_mut(g, k) } else { &mut unused };
            for l in 0..LANES {
                let d = outside(x[l], lo, hi);
                if GRAD {
                    gk[l] += k2 * d;
                }
                acc[l] += (d as f64) * (d as f64);
            }
        }
        for i in tail..n {
            let d = outside(x[i], lo, hi);
            if GRAD {
                g[i] += k2 * d;
            }
            acc[0] += (d as f64) * (d as f64);
        }
        acc.iter().sum()
    }
}

/// The squared L2 norm of `g` (f64 accumulation).
pub(crate) fn squared_norm(g: &[f32]) -> f64 {
    let mut acc = [0.0f64; LANES];
    let (chunks, tail) = whole(g.len());
    for k in 0..chunks {
        let c = chunk(g, k);
        for l in 0..LANES {
            acc[l] += (c[l] as f64) * (c[l] as f64);
        }
    }
    for v in &g[tail..] {
        acc[0] += (*v as f64) * (*v as f64);
    }
    acc.iter().sum()
}

/// The CPU's [`super::ObjectiveKernel`] (left out under the `portable-cpu` test feature).
#[cfg(not(feature = "portable-cpu"))]
mod kernel {
    use super::super::Evaluated;
    use super::{l2_with_grad, mse_with_grad, range_penalty, squared_norm};
    use crate::device::Cpu;
    use crate::error::Result;
    use crate::ops::pool::Pooled;
    use crate::ops::tape::read;
    use crate::synthesize::autodiff::{backward_with, pooled_grad_of};
    use crate::synthesize::loss::LossFunction;
    use crate::tensor::dims;
    use crate::tensor::Image;

    impl super::super::ObjectiveKernel for Cpu {
        type Target = Vec<f32>;

        fn load_target(&self, t: &Image<f32>) -> Result<Vec<f32>> {
            Ok(t.as_vec())
        }

        fn objective(
            &self,
            rep: crate::synthesize::device::Taped4<Cpu>,
            x: &Image<f32>,
            target: &Vec<f32>,
            range: (f64, f64),
            lambda: f64,
            loss: &LossFunction,
        ) -> Result<Evaluated<Pooled<f32>>> {
            let (mse, mut grad) = match loss {
                LossFunction::Custom { f, .. } => {
                    let shape = dims(&rep);
                    let t = crate::tensor::image_from_vec(target.clone(), &shape)?;
                    let (rep, out) = read(rep, |r| f(r, shape, &t));
                    let (v, g_rep) = out?;
                    let mut grads = backward_with(rep, g_rep)?;
                    (v, pooled_grad_of(&mut grads, x)?)
                }
                LossFunction::L2Norm => {
                    let (rep, (l2, g_rep)) = read(rep, |r| l2_with_grad(r, target));
                    let mut grads = backward_with(rep, g_rep.into_vec())?;
                    (l2, pooled_grad_of(&mut grads, x)?)
                }
                LossFunction::Mse => {
                    let (rep, (mse, g_rep)) = read(rep, |r| mse_with_grad(r, target));
                    let mut grads = backward_with(rep, g_rep.into_vec())?;
                    let grad = pooled_grad_of(&mut grads, x)?;
                    drop(grads);
                    (mse, grad)
                }
            };
            let (_, pen) = read(x.clone(), |xv| {
                range_penalty(xv, range, lambda, Some(&mut grad))
            });
            let gradient_norm = squared_norm(&grad).sqrt();
            Ok(Evaluated {
                loss: mse + lambda * pen,
                grad,
                gradient_norm,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalty_and_gradient() {
        let x = [-0.5f32, 0.5, 1.25];
        let mut g = vec![0.0f32; 3];
        let p = range_penalty(&x, (0.0, 1.0), 0.1, Some(&mut g));
        assert!((p - 0.3125).abs() < 1e-7);
        assert!((g[0] + 0.1).abs() < 1e-7 && g[1] == 0.0 && (g[2] - 0.05).abs() < 1e-7);
        assert_eq!(range_penalty(&x, (0.0, 1.0), 0.0, None), p);
    }

    #[test]
    fn l2_norm_and_gradient() {
        // 19 elements: two whole chunks and a tail
        let a: Vec<f32> = (0..19).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..19).map(|i| (i as f32 * 0.11).cos()).collect();
        let want: f64 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| ((x - y) as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        let (norm, g) = l2_with_grad(&a, &b);
        assert!((norm - want).abs() < 1e-12 * want.max(1.0));
        for i in 0..19 {
            let d = ((a[i] - b[i]) as f64 / want) as f32;
            assert!((g[i] - d).abs() < 1e-6, "{i}: {} against {d}", g[i]);
        }
        let (zero, g0) = l2_with_grad(&a, &a);
        assert_eq!(zero, 0.0);
        assert!(g0.iter().all(|v| *v == 0.0));
    }
}
