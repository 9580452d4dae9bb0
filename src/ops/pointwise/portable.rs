//! Element-wise maps, reductions and a seeded backward pass on any dfdx device.
//!
//! Maps given as host closures (value and derivative) read the input back, evaluate on
//! the host, upload the values `y` and derivatives `dy`, and return `(x - x0) * dy + y`
//! where `x0` is a tape-less copy of `x`: the value is `y` exactly (the first term is
//! zero for finite inputs) and the gradient is `dy` times the output's gradient.

use dfdx::prelude::{
    Axis, ChooseFrom, HasShape, PutTape, ReshapeTo, SplitTape, SumTo, Tape, Tensor, TryAdd, TryGt,
    TryMul, TrySub, WithEmptyTape,
};
use dfdx::tensor_ops::Device;

use crate::error::Result;
use crate::ops::backend::{backend, upload_e};
use crate::tensor::{dims, Float, Shape4};

/// [`PointwiseKernel`] by the portable functions of this file (the GPU's, and the CPU's under
/// the `portable-cpu` feature).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::PointwiseKernel<$e> for $dev {
            fn map<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                f: impl Fn($e, usize) -> ($e, $e) + Sync,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                map(x, f)
            }
            fn map2<T: crate::Tape<$e, $dev>>(
                a: crate::Image<$e, T, $dev>,
                b: crate::Image<$e, T, $dev>,
                f: impl Fn($e, $e, usize) -> ($e, $e, $e) + Sync,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                map2(a, b, f)
            }
            fn map2_halves<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                f: impl Fn($e, $e, usize) -> ($e, $e, $e) + Sync,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                map2_halves(x, f)
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);

/// torch's `softplus` (beta 1, threshold 20) of every element, from dfdx built-ins:
/// `x > 20 ? x : ln(1 + exp(min(x, 20)))` (a `choose` on the comparison; the `min` keeps
/// the unused branch finite). Above 20 the value is `x` exactly and the derivative 1; at
/// or below 20 the derivative is the logistic function (at exactly 20 too, as torch).
///
/// # Errors
/// [`Error::Backend`] only.
pub(crate) fn softplus<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
) -> Result<Tensor<Shape4, E, D, T>> {
    let t = E::of_f64(20.0);
    let above = x.try_gt(t).map_err(backend("softplus"))?;
    let same = x.with_empty_tape();
    let low = x
        .try_clamp(f64::NEG_INFINITY, 20.0)
        .and_then(|v| v.try_exp())
        .and_then(|v| v.try_add(E::one()))
        .and_then(|v| v.try_ln())
        .map_err(backend("softplus"))?;
    above.try_choose(same, low).map_err(backend("softplus"))
}

/// A 4-D image tensor on device `D` with tape `T`.
type Img<E, D, T> = Tensor<Shape4, E, D, T>;

/// `x`'s values (row-major, contiguous) on the host, and `x` back (made contiguous first
/// if it was a strided view, which records a copy on its tape).
fn host<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
) -> Result<(Img<E, D, T>, Vec<E>)> {
    let x = x.try_contiguous().map_err(backend("read back"))?;
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
    x.try_sub(x0)
        .and_then(|z| z.try_mul(d))
        .map_err(backend("map"))
}

/// Applies `f` to every element, as [`crate::ops::map`]: `f(value, channel)` returns the
/// output and its derivative, evaluated on the host.
///
/// # Errors
/// [`Error::Backend`] only.
pub(crate) fn map<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    f: impl Fn(E, usize) -> (E, E) + Sync,
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
        .map_err(backend("map"))
}

/// Combines two images of the same shape element by element, as [`crate::ops::map2`]:
/// `f(a, b, channel)` returns the output and its derivatives with respect to `a` and `b`.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ; [`Error::Backend`].
pub(crate) fn map2<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Tensor<Shape4, E, D, T>,
    b: Tensor<Shape4, E, D, T>,
    f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
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
    za.try_add(zb)
        .and_then(|z| z.try_add(y))
        .map_err(backend("map2"))
}

/// Combines the first and second half of the channels element by element, as
/// [`crate::ops::map2_halves`]: output channel `c < k` is `f(x[c], x[k + c], c)`.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the number of channels is odd; [`Error::Backend`].
pub(crate) fn map2_halves<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
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
        .map_err(backend("map2_halves"))
}
