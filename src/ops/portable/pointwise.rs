//! Element-wise maps, reductions and a seeded backward pass on any dfdx device.
//!
//! Maps given as host closures (value and derivative) read the input back, evaluate on
//! the host, upload the values `y` and derivatives `dy`, and return `(x - x0) * dy + y`
//! where `x0` is a tape-less copy of `x`: the value is `y` exactly (the first term is
//! zero for finite inputs) and the gradient is `dy` times the output's gradient.

use dfdx::prelude::{
    Axis, ChooseFrom, Gradients, HasShape, OwnedTape, PutTape, ReshapeTo, SplitTape, SumTo, Tape,
    Tensor, TryAdd, TryDiv, TryGt, TryMul, TrySub, WithEmptyTape,
};
use dfdx::shapes::Rank0;
use dfdx::tensor_ops::{Backward, Device};

use super::{backend, upload_e};
use crate::error::{Error, Result};
use crate::tensor::dims;
use crate::tensor::{Float, Shape4};

/// torch's `softplus` (beta 1, threshold 20) of every element, from dfdx built-ins:
/// `x > 20 ? x : ln(1 + exp(min(x, 20)))` (a `choose` on the comparison; the `min` keeps
/// the unused branch finite). Above 20 the value is `x` exactly and the derivative 1; at
/// or below 20 the derivative is the logistic function (at exactly 20 too, as torch).
///
/// # Errors
/// [`Error::Backend`] only.
pub fn softplus<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
) -> Result<Tensor<Shape4, E, D, T>> {
    let t = E::of_f64(20.0);
    let above = x.try_gt(t).map_err(backend)?;
    let same = x.with_empty_tape();
    let low = x
        .try_clamp(f64::NEG_INFINITY, 20.0)
        .and_then(|v| v.try_exp())
        .and_then(|v| v.try_add(E::one()))
        .and_then(|v| v.try_ln())
        .map_err(backend)?;
    above.try_choose(same, low).map_err(backend)
}

/// A 4-D image tensor on device `D` with tape `T`.
type Img<E, D, T> = Tensor<Shape4, E, D, T>;

/// `x`'s values (row-major, contiguous) on the host, and `x` back (made contiguous first
/// if it was a strided view, which records a copy on its tape).
fn host<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
) -> Result<(Img<E, D, T>, Vec<E>)> {
    let x = x.try_contiguous().map_err(backend)?;
    let v = x.as_vec();
    Ok((x, v))
}

/// `(x - x0) * d`, with `x0` the tape-less copy of `x` uploaded from `xv` (zero, with
/// gradient `d`).
fn linearised<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    xv: Vec<E>,
    d: Vec<E>,
) -> Result<Tensor<Shape4, E, D, T>> {
    let shape = *x.shape();
    let dev = x.device().clone();
    let x0 = upload_e(&dev, xv, shape)?;
    let d = upload_e(&dev, d, shape)?;
    x.try_sub(x0).and_then(|z| z.try_mul(d)).map_err(backend)
}

/// Applies `f` to every element, as [`crate::ops::map`]: `f(value, channel)` returns the
/// output and its derivative, evaluated on the host.
///
/// # Errors
/// [`Error::Backend`] only.
pub fn map<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    f: impl Fn(E, usize) -> (E, E),
) -> Result<Tensor<Shape4, E, D, T>> {
    let [_, c, h, w] = dims(&x);
    let shape = *x.shape();
    let (x, xv) = host(x)?;
    let plane = (h * w).max(1);
    let (mut y, mut dy) = (Vec::with_capacity(xv.len()), Vec::with_capacity(xv.len()));
    for (i, v) in xv.iter().enumerate() {
        let (a, b) = f(*v, (i / plane) % c);
        y.push(a);
        dy.push(b);
    }
    let dev = x.device().clone();
    let (x, tape) = x.split_tape();
    let y = upload_e(&dev, y, shape)?;
    if !T::OWNS_TAPE {
        return Ok(y.put_tape(tape));
    }
    linearised(x.put_tape(tape), xv, dy)?
        .try_add(y)
        .map_err(backend)
}

/// Combines two images of the same shape element by element, as [`crate::ops::map2`]:
/// `f(a, b, channel)` returns the output and its derivatives with respect to `a` and `b`.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ; [`Error::Backend`].
pub fn map2<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Tensor<Shape4, E, D, T>,
    b: Tensor<Shape4, E, D, T>,
    f: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Tensor<Shape4, E, D, T>> {
    let (da, db) = (dims(&a), dims(&b));
    crate::ops::checks::same_shape("element-wise op on", da, db)?;
    let [_, c, h, w] = da;
    let shape = *a.shape();
    let plane = (h * w).max(1);
    let (a, av) = host(a)?;
    let (b, bv) = host(b)?;
    let n = av.len();
    let (mut y, mut d1, mut d2) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (i, (p, q)) in av.iter().zip(&bv).enumerate() {
        let (v, g1, g2) = f(*p, *q, (i / plane) % c);
        y.push(v);
        d1.push(g1);
        d2.push(g2);
    }
    let dev = a.device().clone();
    let y = upload_e(&dev, y, shape)?;
    if !T::OWNS_TAPE {
        let (_, tape) = a.split_tape();
        return Ok(y.put_tape(tape));
    }
    let za = linearised(a, av, d1)?;
    let zb = linearised(b, bv, d2)?;
    za.try_add(zb).and_then(|z| z.try_add(y)).map_err(backend)
}

/// Combines the first and second half of the channels element by element, as
/// [`crate::ops::map2_halves`]: output channel `c < k` is `f(x[c], x[k + c], c)`.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the number of channels is odd; [`Error::Backend`].
pub fn map2_halves<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    f: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Tensor<Shape4, E, D, T>> {
    let [b, c2, h, w] = dims(&x);
    crate::ops::checks::halves(c2)?;
    let (k, plane) = (c2 / 2, h * w);
    let (x, xv) = host(x)?;
    let mut y = Vec::with_capacity(b * k * plane);
    // derivatives laid out like x: first half d/dfirst, second half d/dsecond
    let mut d = vec![E::zero(); xv.len()];
    for bi in 0..b {
        for ch in 0..k {
            let first = (bi * c2 + ch) * plane;
            let second = (bi * c2 + k + ch) * plane;
            for e in 0..plane {
                let (v, g1, g2) = f(xv[first + e], xv[second + e], ch);
                y.push(v);
                d[first + e] = g1;
                d[second + e] = g2;
            }
        }
    }
    let dev = x.device().clone();
    let y = upload_e(&dev, y, (b, k, h, w))?;
    if !T::OWNS_TAPE {
        let (_, tape) = x.split_tape();
        return Ok(y.put_tape(tape));
    }
    // (x - x0) * d has the gradient of both halves; adding the halves gives zero
    linearised(x, xv, d)?
        .try_reshape_like(&(b, 2, k, h, w))
        .and_then(|z| z.try_sum::<Shape4, Axis<1>>())
        .and_then(|z| z.try_add(y))
        .map_err(backend)
}

/// Sum over every element of a 4-D tensor, by rows first (shorter running sums than one
/// long one, for f32), as a (1, 1, 1, 1) tensor.
fn total<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
) -> Result<Tensor<Shape4, E, D, T>> {
    x.try_sum::<(usize, usize, usize), Axis<3>>()
        .and_then(|s| s.try_sum::<Rank0, _>())
        .and_then(|s| s.try_reshape_like(&(1usize, 1usize, 1usize, 1usize)))
        .map_err(backend)
}

/// Sum of squares of every element, as a (1, 1, 1, 1) tensor, as
/// [`crate::ops::sum_squares`].
///
/// # Errors
/// [`Error::Backend`] only.
pub fn sum_squares<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
) -> Result<Tensor<Shape4, E, D, T>> {
    total(x.try_square().map_err(backend)?)
}

/// Mean squared error of two images of the same shape, as a (1, 1, 1, 1) tensor, as
/// [`crate::ops::mse`]. Differentiable with respect to both.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ; [`Error::Backend`].
pub fn mse<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Tensor<Shape4, E, D, T>,
    b: Tensor<Shape4, E, D, T>,
) -> Result<Tensor<Shape4, E, D, T>> {
    crate::ops::checks::same_shape("mse of", dims(&a), dims(&b))?;
    let n = E::of_f64(dims(&a).iter().product::<usize>() as f64);
    let sq = a.try_sub(b).and_then(|d| d.try_square()).map_err(backend)?;
    total(sq)?.try_div(n).map_err(backend)
}

/// Runs the backward pass from `y` seeded with `seed` (dL/dy, row-major, one value per
/// element of `y`), as `sum(y * seed)`, and returns every gradient.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `seed` does not have one value per element;
/// [`Error::Backend`].
pub fn backward_with<E: Float, D: Device<E>>(
    y: Tensor<Shape4, E, D, OwnedTape<E, D>>,
    seed: &[E],
) -> Result<Gradients<E, D>> {
    let n: usize = dims(&y).iter().product();
    if seed.len() != n {
        return Err(Error::shape_mismatch(
            "backward seed against the output's size",
            [n],
            [seed.len()],
        ));
    }
    let s = upload_e(&y.device().clone(), seed.to_vec(), *y.shape())?;
    y.try_mul(s)
        .and_then(|p| p.try_sum::<Rank0, _>())
        .and_then(|l| l.try_backward())
        .map_err(backend)
}
