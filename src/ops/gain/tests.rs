//! The portable gain steps against the fused CPU ones, values and gradients.

use super::{cpu, portable, Activation, Gain};
use crate::error::Error;
use crate::ops::test_util::{rand_vec, rel_err, value_and_grad};
use crate::tensor::image_from_vec;
use crate::tensor::{Float, Image};
use dfdx::prelude::*;

/// Deterministic values in [lo, hi).
fn noise(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    rand_vec(n, seed)
        .into_iter()
        .map(|r| lo + (hi - lo) * (r + 1.0) / 2.0)
        .collect()
}

fn img<E: Float>(v: &[f64], shape: [usize; 4]) -> Image<E> {
    image_from_vec(v.iter().map(|&x| E::of_f64(x)).collect(), &shape).unwrap()
}

/// Value and gradients (of sum(u * f)) of a two-input op.
fn run2<E: Float>(
    a: &Image<E>,
    b: &Image<E>,
    u: &[f64],
    f: impl Fn(Image<E, OwnedTape<E, Cpu>>, Image<E, OwnedTape<E, Cpu>>) -> Image<E, OwnedTape<E, Cpu>>,
) -> (Vec<f64>, Vec<f64>, Vec<f64>)
where
    Cpu: dfdx::tensor_ops::Device<E>,
{
    let (at, bt) = (a.leaky_trace(), b.leaky_trace());
    // b shares the tape through a's: trace b separately and merge
    let (bt, tb) = bt.split_tape();
    let (at, ta) = at.split_tape();
    let tape = ta.merge(tb);
    let y = f(at.put_tape(tape), bt.put_tape(OwnedTape::default()));
    let yv: Vec<f64> = y.as_vec().iter().map(|v| v.as_f64()).collect();
    let ut =
        crate::device::cpu().tensor_from_vec(u.iter().map(|&x| E::of_f64(x)).collect(), *y.shape());
    let g = (y * ut).sum::<Rank0, _>().backward();
    let ga = g.get(a).as_vec().iter().map(|v| v.as_f64()).collect();
    let gb = g.get(b).as_vec().iter().map(|v| v.as_f64()).collect();
    (yv, ga, gb)
}

fn check_gain<E: Float>(gain: Gain, scalars: &[f64], act: Activation, tol: f64)
where
    Cpu: dfdx::tensor_ops::Device<E>,
{
    let shape = [2, 2, 5, 7];
    let n = shape.iter().product();
    let num = img::<E>(&noise(n, 1, -3.0, 3.0), shape);
    // contrast denominators are blurred squares: mostly positive, some exact zeros
    let mut dv = noise(n, 2, -0.5, 4.0);
    if gain == Gain::Contrast {
        dv.iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v = if i % 9 == 0 { 0.0 } else { v.abs() });
    }
    let den = img::<E>(&dv, shape);
    let u = noise(n, 3, -1.0, 1.0);
    let fused = run2(&num, &den, &u, |a, b| {
        cpu::gain(a, b, gain, scalars, act).unwrap()
    });
    let built = run2(&num, &den, &u, |a, b| {
        portable::gain(a, b, gain, scalars, act).unwrap()
    });
    for (what, x, y) in [
        ("value", &built.0, &fused.0),
        ("grad num", &built.1, &fused.1),
        ("grad den", &built.2, &fused.2),
    ] {
        let d = rel_err(x, y);
        assert!(d < tol, "{gain:?} {act:?} {scalars:?} {what}: {d:e}");
    }
}

#[test]
fn portable_gain_matches_the_fused_cpu_op() {
    for gain in [Gain::Luminance, Gain::Contrast] {
        for act in [Activation::Softplus, Activation::Relu, Activation::Identity] {
            for scalars in [&[2.94][..], &[1.5, 7.0][..]] {
                check_gain::<f64>(gain, scalars, act, 1e-12);
                check_gain::<f32>(gain, scalars, act, 1e-5);
            }
        }
    }
}

fn check_halves<E: Float>(gain: Gain, scalars: &[f64], act: Activation, tol: f64)
where
    Cpu: dfdx::tensor_ops::Device<E>,
{
    let shape = [2, 4, 6, 5];
    let n: usize = shape.iter().product();
    let mut v = noise(n, 4, -3.0, 3.0);
    // the second half (per batch image) holds the denominators
    for (i, x) in v.iter_mut().enumerate() {
        if (i / 30) % 4 >= 2 && gain == Gain::Contrast {
            *x = if i % 7 == 0 { 0.0 } else { x.abs() };
        }
    }
    let x = img::<E>(&v, shape);
    let fused = value_and_grad(&x, 5, |x| cpu::gain_halves(x, gain, scalars, act));
    let built = value_and_grad(&x, 5, |x| portable::gain_halves(x, gain, scalars, act));
    for (what, a, b) in [
        ("value", &built.0, &fused.0),
        ("gradient", &built.1, &fused.1),
    ] {
        let d = rel_err(a, b);
        assert!(d < tol, "halves {gain:?} {act:?} {scalars:?} {what}: {d:e}");
    }
}

#[test]
fn portable_gain_on_halves_matches_the_fused_cpu_op() {
    for gain in [Gain::Luminance, Gain::Contrast] {
        for act in [Activation::Softplus, Activation::Identity] {
            for scalars in [&[34.03][..], &[0.5, 3.0][..]] {
                check_halves::<f64>(gain, scalars, act, 1e-12);
                check_halves::<f32>(gain, scalars, act, 1e-5);
            }
        }
    }
}

#[test]
fn gain_refuses_mismatched_scalars() {
    let x = img::<f64>(&[1.0; 12], [1, 3, 2, 2]);
    let e = cpu::gain(
        x.clone(),
        x.clone(),
        Gain::Luminance,
        &[1.0, 2.0],
        Activation::Identity,
    );
    assert!(
        matches!(e, Err(Error::ShapeMismatch { expected, got, .. }) if expected == [3] && got == [2])
    );
    let e = portable::gain(
        x.clone(),
        x.clone(),
        Gain::Luminance,
        &[1.0, 2.0],
        Activation::Identity,
    );
    assert!(matches!(e, Err(Error::ShapeMismatch { .. })));
    let e = cpu::gain_halves(x, Gain::Luminance, &[1.0], Activation::Identity);
    assert!(matches!(e, Err(Error::ShapeMismatch { what, .. }) if what.contains("two halves")));
}
