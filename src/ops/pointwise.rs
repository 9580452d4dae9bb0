//! Element-wise maps with their derivatives, fused into one tape entry each.

use dfdx::prelude::Tensor;

use super::{record1, record2};
use crate::error::{Error, Result};
use crate::tensor::{dims, Dev, Float, Shape4, Tape};

/// Applies `f` to every element. `f(value, channel)` returns the output and its derivative
/// with respect to the input; the channel index lets a map use per-channel parameters.
///
/// ```
/// use plenoptic::ops::map;
/// let x = plenoptic::image_from_vec(vec![1.0f64, 2.0], &[1, 1, 1, 2]).unwrap();
/// let y = map(x, |v, _| (v * v, 2.0 * v));
/// assert_eq!(y.as_vec(), vec![1.0, 4.0]);
/// ```
pub fn map<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    f: impl Fn(E, usize) -> (E, E),
) -> Tensor<Shape4, E, Dev, T> {
    let [b, c, h, w] = dims(&x);
    let plane = h * w;
    let xv = x.as_vec();
    let mut out = Vec::with_capacity(xv.len());
    let mut der = Vec::with_capacity(if T::OWNS_TAPE { xv.len() } else { 0 });
    for (i, v) in xv.into_iter().enumerate() {
        let (y, d) = f(v, (i / plane) % c);
        out.push(y);
        if T::OWNS_TAPE {
            der.push(d);
        }
    }
    record1(x, out, (b, c, h, w), move |gy| {
        gy.iter().zip(&der).map(|(g, d)| *g * *d).collect()
    })
}

/// Combines two images of the same shape element by element. `f(a, b, channel)` returns
/// the output and its derivatives with respect to `a` and `b`.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ.
pub fn map2<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Dev, T>,
    b: Tensor<Shape4, E, Dev, T>,
    f: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Tensor<Shape4, E, Dev, T>> {
    let (da, db) = (dims(&a), dims(&b));
    if da != db {
        return Err(Error::ShapeMismatch(format!(
            "element-wise op on shapes {da:?} and {db:?}"
        )));
    }
    let [_, c, h, w] = da;
    let plane = h * w;
    let (av, bv) = (a.as_vec(), b.as_vec());
    let n = av.len();
    let mut out = Vec::with_capacity(n);
    let cap = if T::OWNS_TAPE { n } else { 0 };
    let (mut d1, mut d2) = (Vec::with_capacity(cap), Vec::with_capacity(cap));
    for (i, (x, y)) in av.into_iter().zip(bv).enumerate() {
        let (v, p, q) = f(x, y, (i / plane) % c);
        out.push(v);
        if T::OWNS_TAPE {
            d1.push(p);
            d2.push(q);
        }
    }
    let shape = (da[0], c, h, w);
    Ok(record2(a, b, out, shape, move |gy| {
        (
            gy.iter().zip(&d1).map(|(g, d)| *g * *d).collect(),
            gy.iter().zip(&d2).map(|(g, d)| *g * *d).collect(),
        )
    }))
}

/// torch's `softplus` (beta 1, threshold 20): `ln(1 + e^x)`, and `x` itself above 20.
/// Returns the value and its derivative.
pub fn softplus<E: Float>(x: E) -> (E, E) {
    let t = E::of_f64(20.0);
    if x > t {
        (x, E::one())
    } else {
        let e = x.exp();
        (e.ln_1p(), e / (E::one() + e))
    }
}
