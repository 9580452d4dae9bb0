//! The objective on the CPU: host arithmetic on the representation's values, f64
//! accumulation, the gradient seeded into the model's backward pass. Under the
//! `portable-cpu` test feature the CPU runs the portable kernel instead.

#![cfg_attr(feature = "portable-cpu", allow(dead_code))]

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
    mut grad: Option<&mut [f32]>,
) -> f64 {
    let (lo, hi) = (range.0 as f32, range.1 as f32);
    let k = (2.0 * lambda) as f32;
    let mut s = 0.0f64;
    for (i, v) in x.iter().enumerate() {
        let d = if *v < lo {
            *v - lo
        } else if *v > hi {
            *v - hi
        } else {
            continue;
        };
        s += (d as f64) * (d as f64);
        if let Some(g) = grad.as_deref_mut() {
            g[i] += k * d;
        }
    }
    s
}

/// The CPU's [`super::ObjectiveKernel`] (left out under the `portable-cpu` test feature).
#[cfg(not(feature = "portable-cpu"))]
mod kernel {
    use super::super::Evaluated;
    use super::{mse_with_grad, range_penalty};
    use crate::device::Cpu;
    use crate::error::Result;
    use crate::synthesize::autodiff::{backward_with, grad_of};
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
        ) -> Result<Evaluated<Vec<f32>>> {
            let (mse, g_rep) = mse_with_grad(&rep.as_vec(), target);
            let mut grads = backward_with(rep, g_rep)?;
            let mut grad = grad_of(&mut grads, x)?;
            let pen = range_penalty(&x.as_vec(), range, lambda, Some(&mut grad));
            let gradient_norm = grad
                .iter()
                .map(|g| (*g as f64) * (*g as f64))
                .sum::<f64>()
                .sqrt();
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
}
