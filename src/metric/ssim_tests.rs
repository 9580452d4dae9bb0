//! The CPU's fused SSIM kernel against the composition the portable devices use (values
//! and gradients with respect to both images), and its gradient by finite differences.

use dfdx::prelude::{HasShape, SumTo, TensorFromVec, Trace, TryMul, WithEmptyTape};
use dfdx::tensor_ops::Backward;

use super::pair::{mul, plane_mean};
use super::ssim::{ssim_parts, window, Carrier};
use crate::device::{cpu, Cpu};
use crate::ops::ssim::ssim_mean;
use crate::ops::test_util::{rand_vec, rel_err};
use crate::ops::{map2, Fused, PadMode};
use crate::tensor::{Float, Image};

fn image<E: Float>(shape: [usize; 4], seed: u64) -> Image<E> {
    let n = shape.iter().product();
    let v = rand_vec(n, seed)
        .into_iter()
        .map(|v| E::of_f64(0.5 + 0.4 * v))
        .collect();
    crate::image_from_vec(v, &shape).unwrap()
}

use crate::ops::test_util::Taped;

/// The SSIM means by the fused kernel (`fused`) or by the composition.
fn ssim_of<E: Float>(
    a: Taped<E>,
    b: Taped<E>,
    pad: Option<PadMode>,
    weighted: bool,
    fused: bool,
) -> Taped<E>
where
    Cpu: crate::Device<E> + dfdx::tensor_ops::Device<E>,
{
    let [_, _, h, w] = crate::dims(&a);
    let win = window(h, w, pad);
    if fused {
        match ssim_mean(a, b, &win, weighted).unwrap() {
            Fused::Done(m) => m,
            Fused::Declined(..) => panic!("the CPU has a fused kernel"),
        }
    } else {
        let parts = ssim_parts(a, b, &win, Carrier::Map).unwrap();
        if weighted {
            let num = plane_mean(mul(parts.map, parts.weight.with_empty_tape()).unwrap()).unwrap();
            let den = plane_mean(parts.weight).unwrap();
            map2(num, den, |n, d, _| (n / d, d.recip(), -n / (d * d))).unwrap()
        } else {
            plane_mean(parts.map).unwrap()
        }
    }
}

/// The values, and the gradients of `sum(r * ssim)` with respect to both images.
fn run<E: Float>(
    a: &Image<E>,
    b: &Image<E>,
    pad: Option<PadMode>,
    weighted: bool,
    fused: bool,
) -> [Vec<E>; 3]
where
    Cpu: crate::Device<E> + dfdx::tensor_ops::Device<E>,
{
    let y = ssim_of(a.leaky_trace(), b.leaky_trace(), pad, weighted, fused);
    let v = y.as_vec();
    let r: Vec<E> = rand_vec(v.len(), 9)
        .into_iter()
        .map(|r| E::of_f64(1.0 + r))
        .collect();
    let r = cpu().tensor_from_vec(r, *y.shape());
    let grads = y.try_mul(r).unwrap().sum::<(), _>().backward();
    [v, grads.get(a).as_vec(), grads.get(b).as_vec()]
}

fn cases() -> Vec<(Option<PadMode>, [usize; 4])> {
    let mut v = Vec::new();
    for pad in [
        None,
        Some(PadMode::Reflect),
        Some(PadMode::Constant(0.0)),
        Some(PadMode::Circular),
        Some(PadMode::Replicate),
    ] {
        v.push((pad, [2, 1, 24, 26]));
    }
    // a window smaller than 11 (9 taps), two channels
    v.push((None, [1, 2, 9, 12]));
    v.push((Some(PadMode::Reflect), [1, 2, 9, 12]));
    v
}

/// f64: the fused kernel equals the composition to rounding.
#[test]
fn fused_ssim_matches_composition_f64() {
    let mut worst = 0.0f64;
    for (pad, shape) in cases() {
        let (a, b) = (image::<f64>(shape, 1), image::<f64>(shape, 2));
        for weighted in [false, true] {
            let f = run(&a, &b, pad, weighted, true);
            let c = run(&a, &b, pad, weighted, false);
            for k in 0..3 {
                let e = rel_err(&f[k], &c[k]);
                worst = worst.max(e);
                assert!(
                    e < 1e-12,
                    "{pad:?} {shape:?} weighted {weighted} output {k}: {e:e}"
                );
            }
        }
    }
    eprintln!("fused SSIM against the composition, f64: worst relative error {worst:.2e}");
}

/// f32: the fused kernel is as close to the f64 values and gradients as the composition
/// (both round differently; the cancellation in `σ² = E[x²] - μ²` dominates).
#[test]
fn fused_ssim_matches_composition_f32() {
    let mut worst = 0.0f64;
    for (pad, shape) in cases() {
        let (a, b) = (image::<f32>(shape, 1), image::<f32>(shape, 2));
        let (a64, b64) = (
            crate::cast::<f32, f64, _>(&a),
            crate::cast::<f32, f64, _>(&b),
        );
        for weighted in [false, true] {
            let f = run(&a, &b, pad, weighted, true);
            let c = run(&a, &b, pad, weighted, false);
            let t = run(&a64, &b64, pad, weighted, true);
            for k in 0..3 {
                let up = |v: &[f32]| v.iter().map(|v| f64::from(*v)).collect::<Vec<_>>();
                let (ef, ec) = (rel_err(&up(&f[k]), &t[k]), rel_err(&up(&c[k]), &t[k]));
                worst = worst.max(ef);
                assert!(
                    ef <= 2.0 * ec + 1e-6,
                    "{pad:?} {shape:?} weighted {weighted} output {k}: fused {ef:e}, composed {ec:e}"
                );
            }
        }
    }
    eprintln!("fused SSIM f32 against f64: worst relative error {worst:.2e}");
}

/// Central differences in f64 of `sum(r * ssim)` at a few pixels of each image.
#[test]
fn fused_ssim_gradient_by_finite_differences() {
    for (pad, weighted) in [
        (None, false),
        (Some(PadMode::Reflect), true),
        (Some(PadMode::Constant(0.0)), true),
    ] {
        let shape = [2, 1, 13, 14];
        let (a, b) = (image::<f64>(shape, 3), image::<f64>(shape, 4));
        let [_, ga, gb] = run(&a, &b, pad, weighted, true);
        let loss = |a: &Image<f64>, b: &Image<f64>| -> f64 {
            let y = ssim_of(a.leaky_trace(), b.leaky_trace(), pad, weighted, true).as_vec();
            let r = rand_vec(y.len(), 9);
            y.iter().zip(r).map(|(y, r)| y * (1.0 + r)).sum()
        };
        let h = 1e-6;
        let mut worst = 0.0f64;
        for i in [0usize, 7, 30, 100, 181, 200, 363] {
            for (which, g) in [(0, &ga), (1, &gb)] {
                let shift = |d: f64| {
                    let mut v = if which == 0 { a.as_vec() } else { b.as_vec() };
                    v[i] += d;
                    let x = crate::image_from_vec(v, &shape).unwrap();
                    if which == 0 {
                        loss(&x, &b)
                    } else {
                        loss(&a, &x)
                    }
                };
                let fd = (shift(h) - shift(-h)) / (2.0 * h);
                let scale = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let e = (fd - g[i]).abs() / scale;
                worst = worst.max(e);
                assert!(
                    e < 1e-6,
                    "{pad:?} weighted {weighted} image {which} pixel {i}: {fd} vs {}",
                    g[i]
                );
            }
        }
        eprintln!("fused SSIM finite differences ({pad:?}, weighted {weighted}): {worst:.2e}");
    }
}
