//! Element-wise maps with their derivatives, fused into one tape entry each.

use dfdx::prelude::Tensor;

use super::{record1, record2, values};
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
    let (x, mut out) = values(x);
    let mut der = Vec::with_capacity(if T::OWNS_TAPE { out.len() } else { 0 });
    for (p, chunk) in out.chunks_mut(plane).enumerate() {
        let ch = p % c;
        for v in chunk {
            let (y, d) = f(*v, ch);
            *v = y;
            if T::OWNS_TAPE {
                der.push(d);
            }
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
    let (a, mut out) = values(a);
    let (b, bv) = values(b);
    let n = out.len();
    let cap = if T::OWNS_TAPE { n } else { 0 };
    let (mut d1, mut d2) = (Vec::with_capacity(cap), Vec::with_capacity(cap));
    for (p, (oc, bc)) in out.chunks_mut(plane).zip(bv.chunks(plane)).enumerate() {
        let ch = p % c;
        for (o, y) in oc.iter_mut().zip(bc) {
            let (v, p, q) = f(*o, *y, ch);
            *o = v;
            if T::OWNS_TAPE {
                d1.push(p);
                d2.push(q);
            }
        }
    }
    drop(bv);
    let shape = (da[0], c, h, w);
    Ok(record2(a, b, out, shape, move |gy| {
        (
            gy.iter().zip(&d1).map(|(g, d)| *g * *d).collect(),
            gy.iter().zip(&d2).map(|(g, d)| *g * *d).collect(),
        )
    }))
}

/// Combines the first and the second half of the channels element by element: for an
/// image of `2k` channels, output channel `c < k` is `f(x[c], x[k + c], c)`, where `f`
/// returns the output and its derivatives with respect to both arguments. Models use it to
/// combine two filter outputs computed by one convolution (for example a centre-surround
/// response and the local luminance that divides it).
///
/// ```
/// use plenoptic::ops::map2_halves;
/// let x = plenoptic::image_from_vec(vec![6.0f64, 8.0, 2.0, 4.0], &[1, 2, 1, 2]).unwrap();
/// let y = map2_halves(x, |a, b, _| (a / b, 1.0 / b, -a / (b * b))).unwrap();
/// assert_eq!(y.as_vec(), vec![3.0, 2.0]);
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`] when the number of channels is odd.
pub fn map2_halves<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    f: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Tensor<Shape4, E, Dev, T>> {
    let [b, c2, h, w] = dims(&x);
    if c2 % 2 != 0 {
        return Err(Error::ShapeMismatch(format!(
            "cannot split {c2} channels into two halves"
        )));
    }
    let (k, plane) = (c2 / 2, h * w);
    let (x, xv) = values(x);
    let mut out = vec![E::zero(); b * k * plane];
    let cap = if T::OWNS_TAPE { b * k * plane } else { 0 };
    let (mut d1, mut d2) = (Vec::with_capacity(cap), Vec::with_capacity(cap));
    for bi in 0..b {
        for ch in 0..k {
            let first = &xv[(bi * c2 + ch) * plane..][..plane];
            let second = &xv[(bi * c2 + k + ch) * plane..][..plane];
            let dst = &mut out[(bi * k + ch) * plane..][..plane];
            for ((o, p), q) in dst.iter_mut().zip(first).zip(second) {
                let (v, da, db) = f(*p, *q, ch);
                *o = v;
                if T::OWNS_TAPE {
                    d1.push(da);
                    d2.push(db);
                }
            }
        }
    }
    drop(xv);
    Ok(record1(x, out, (b, k, h, w), move |gy| {
        let mut gx = vec![E::zero(); b * c2 * plane];
        for bi in 0..b {
            for ch in 0..k {
                let o = (bi * k + ch) * plane;
                let (g, p, q) = (&gy[o..o + plane], &d1[o..o + plane], &d2[o..o + plane]);
                let first = (bi * c2 + ch) * plane;
                for (dst, (g, d)) in gx[first..first + plane].iter_mut().zip(g.iter().zip(p)) {
                    *dst = *g * *d;
                }
                let second = (bi * c2 + k + ch) * plane;
                for (dst, (g, d)) in gx[second..second + plane].iter_mut().zip(g.iter().zip(q)) {
                    *dst = *g * *d;
                }
            }
        }
        gx
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
