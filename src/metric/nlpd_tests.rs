//! The CPU's fused NLPD kernel against the composition the portable devices use (values
//! and gradients with respect to both images), and its gradient by finite differences.
//! Needs the NLPD parameters (`bash kernel-setup/fetch-data.sh`).

use dfdx::prelude::{HasShape, SumTo, TensorFromVec, Trace, TryMul};
use dfdx::tensor_ops::Backward;

use super::nlpd::{composed, plan};
use crate::device::{cpu, Cpu};
use crate::ops::nlpd::nlpd;
use crate::ops::test_util::{rand_vec, rel_err, Taped};
use crate::ops::Fused;
use crate::tensor::{Float, Image};

fn image<E: Float>(shape: [usize; 4], seed: u64) -> Image<E> {
    let n = shape.iter().product();
    let v = rand_vec(n, seed)
        .into_iter()
        .map(|v| E::of_f64(0.5 + 0.4 * v))
        .collect();
    crate::image_from_vec(v, &shape).unwrap()
}

/// NLPD by the fused kernel (`fused`) or by the composition.
fn nlpd_of<E: Float>(a: Taped<E>, b: Taped<E>, fused: bool) -> Taped<E>
where
    Cpu: crate::Device<E> + dfdx::tensor_ops::Device<E>,
{
    if fused {
        let [_, _, h, w] = crate::dims(&a);
        match nlpd(a, b, &plan(h, w).unwrap()).unwrap() {
            Fused::Done(m) => m,
            Fused::Declined(..) => panic!("the CPU has a fused kernel"),
        }
    } else {
        composed(a, b).unwrap()
    }
}

/// The values, and the gradients of `sum(r * nlpd)` with respect to both images.
fn run<E: Float>(a: &Image<E>, b: &Image<E>, fused: bool) -> [Vec<E>; 3]
where
    Cpu: crate::Device<E> + dfdx::tensor_ops::Device<E>,
{
    let y = nlpd_of(a.leaky_trace(), b.leaky_trace(), fused);
    let v = y.as_vec();
    let r: Vec<E> = rand_vec(v.len(), 9)
        .into_iter()
        .map(|r| E::of_f64(1.0 + r))
        .collect();
    let r = cpu().tensor_from_vec(r, *y.shape());
    let grads = y.try_mul(r).unwrap().sum::<(), _>().backward();
    [v, grads.get(a).as_vec(), grads.get(b).as_vec()]
}

/// Square and not, even and odd sizes (odd levels up-sample to odd sizes), planes.
const SHAPES: [[usize; 4]; 4] = [
    [1, 1, 256, 256],
    [1, 1, 64, 64],
    [1, 1, 48, 70],
    [2, 3, 37, 45],
];

/// f64: the fused kernel equals the composition to rounding.
#[test]
fn fused_nlpd_matches_composition_f64() {
    let mut worst = 0.0f64;
    for shape in SHAPES {
        let (a, b) = (image::<f64>(shape, 1), image::<f64>(shape, 2));
        let f = run(&a, &b, true);
        let c = run(&a, &b, false);
        for k in 0..3 {
            let e = rel_err(&f[k], &c[k]);
            worst = worst.max(e);
            assert!(e < 1e-12, "{shape:?} output {k}: {e:e}");
        }
    }
    eprintln!("fused NLPD against the composition, f64: worst relative error {worst:.2e}");
}

/// f32: the fused kernel is at least as close to the f64 values and gradients as the
/// composition.
#[test]
fn fused_nlpd_matches_composition_f32() {
    let mut worst = 0.0f64;
    for shape in SHAPES {
        let (a, b) = (image::<f32>(shape, 1), image::<f32>(shape, 2));
        let (a64, b64) = (
            crate::cast::<f32, f64, _>(&a),
            crate::cast::<f32, f64, _>(&b),
        );
        let f = run(&a, &b, true);
        let c = run(&a, &b, false);
        let t = run(&a64, &b64, true);
        for k in 0..3 {
            let up = |v: &[f32]| v.iter().map(|v| f64::from(*v)).collect::<Vec<_>>();
            let (ef, ec) = (rel_err(&up(&f[k]), &t[k]), rel_err(&up(&c[k]), &t[k]));
            worst = worst.max(ef);
            eprintln!("{shape:?} output {k}: fused {ef:.2e}, composed {ec:.2e}");
            assert!(
                ef <= 1.25 * ec,
                "{shape:?} output {k}: fused {ef:e}, composed {ec:e}"
            );
        }
    }
    eprintln!("fused NLPD f32 against f64: worst relative error {worst:.2e}");
}

/// Central differences in f64 of `sum(r * nlpd)` at a few pixels of each image.
#[test]
fn fused_nlpd_gradient_by_finite_differences() {
    let shape = [2, 1, 37, 34];
    let (a, b) = (image::<f64>(shape, 3), image::<f64>(shape, 4));
    let [_, ga, gb] = run(&a, &b, true);
    let loss = |a: &Image<f64>, b: &Image<f64>| -> f64 {
        let y = nlpd_of(a.leaky_trace(), b.leaky_trace(), true).as_vec();
        let r = rand_vec(y.len(), 9);
        y.iter().zip(r).map(|(y, r)| y * (1.0 + r)).sum()
    };
    let h = 1e-6;
    let mut worst = 0.0f64;
    for i in [0usize, 7, 36, 100, 630, 1257, 1300, 2515] {
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
            assert!(e < 1e-6, "image {which} pixel {i}: {fd} vs {}", g[i]);
        }
    }
    eprintln!("fused NLPD finite differences: {worst:.2e}");
}

/// NaN input is refused with a typed error, as the composition's convolution refuses it.
#[test]
fn fused_nlpd_refuses_nan() {
    let shape = [1, 1, 64, 64];
    let a = image::<f64>(shape, 5);
    let mut v = a.as_vec();
    v[3] = f64::NAN;
    let b = crate::image_from_vec(v, &shape).unwrap();
    let r = nlpd(a.clone(), b, &plan(64, 64).unwrap());
    assert!(matches!(r, Err(crate::Error::NonFinite { count: 1, .. })));
}
