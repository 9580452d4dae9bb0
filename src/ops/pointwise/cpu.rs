//! The CPU's element-wise maps: one pass computes values and derivatives, in loops the
//! compiler vectorises.

use dfdx::prelude::{Cpu, Tensor};

use crate::error::Result;
use crate::ops::pool;
use crate::ops::tape::{read, record1, record2, values};
use crate::tensor::{dims, Float, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::PointwiseKernel<E> for Cpu {
    fn map<T: Tape<E>>(
        x: crate::Image<E, T>,
        f: impl Fn(E, usize) -> (E, E),
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(map(x, f))
    }
    fn map2<T: Tape<E>>(
        a: crate::Image<E, T>,
        b: crate::Image<E, T>,
        f: impl Fn(E, E, usize) -> (E, E, E),
    ) -> crate::Result<crate::Image<E, T>> {
        map2(a, b, f)
    }
    fn map2_halves<T: Tape<E>>(
        x: crate::Image<E, T>,
        f: impl Fn(E, E, usize) -> (E, E, E),
    ) -> crate::Result<crate::Image<E, T>> {
        map2_halves(x, f)
    }
}

/// [`super::map`] on the CPU.
pub(crate) fn map<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    f: impl Fn(E, usize) -> (E, E),
) -> Tensor<Shape4, E, Cpu, T> {
    let [b, c, h, w] = dims(&x);
    let plane = h * w;
    let (x, mut out) = values(x);
    let mut der = pool::take(if T::OWNS_TAPE { out.len() } else { 0 });
    for (p, chunk) in out.chunks_mut(plane).enumerate() {
        let ch = p % c;
        if T::OWNS_TAPE {
            // indexed loops over slices of one length vectorise; long zips do not
            let n = chunk.len();
            fill2(chunk, &mut der[p * plane..][..n], |v| f(v, ch));
        } else {
            for v in chunk {
                *v = f(*v, ch).0;
            }
        }
    }
    record1(x, out, (b, c, h, w), move |gy, gx| {
        for ((a, g), d) in gx.iter_mut().zip(gy).zip(&der) {
            *a += *g * *d;
        }
    })
}

/// [`super::map2`] on the CPU.
pub(crate) fn map2<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Cpu, T>,
    b: Tensor<Shape4, E, Cpu, T>,
    f: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let (da, db) = (dims(&a), dims(&b));
    crate::ops::checks::same_shape("element-wise op on", da, db)?;
    let [_, c, h, w] = da;
    let plane = h * w;
    let (a, mut out) = values(a);
    let (b, (d1, d2)) = read(b, |bv| {
        let n = out.len();
        let cap = if T::OWNS_TAPE { n } else { 0 };
        let (mut d1, mut d2) = (pool::take(cap), pool::take(cap));
        for (p, (oc, bc)) in out.chunks_mut(plane).zip(bv.chunks(plane)).enumerate() {
            let ch = p % c;
            if T::OWNS_TAPE {
                let n = oc.len();
                let r = p * plane..p * plane + n;
                fill3(oc, bc, &mut d1[r.clone()], &mut d2[r], |a, b| f(a, b, ch));
            } else {
                for (o, y) in oc.iter_mut().zip(bc) {
                    *o = f(*o, *y, ch).0;
                }
            }
        }
        (d1, d2)
    });
    let shape = (da[0], c, h, w);
    Ok(record2(
        a,
        b,
        out,
        shape,
        move |gy, ga| {
            for ((x, g), d) in ga.iter_mut().zip(gy).zip(&d1) {
                *x += *g * *d;
            }
        },
        move |gy, gb| {
            for ((x, g), d) in gb.iter_mut().zip(gy).zip(&d2) {
                *x += *g * *d;
            }
        },
    ))
}

/// [`super::map2_halves`] on the CPU.
pub(crate) fn map2_halves<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    f: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let [b, c2, h, w] = dims(&x);
    crate::ops::checks::halves(c2)?;
    let (k, plane) = (c2 / 2, h * w);
    let (x, (out, d1, d2)) = read(x, |xv| {
        let mut out = pool::take(b * k * plane);
        let cap = if T::OWNS_TAPE { b * k * plane } else { 0 };
        let (mut d1, mut d2) = (pool::take(cap), pool::take(cap));
        for bi in 0..b {
            for ch in 0..k {
                let first = &xv[(bi * c2 + ch) * plane..][..plane];
                let second = &xv[(bi * c2 + k + ch) * plane..][..plane];
                let r = (bi * k + ch) * plane..(bi * k + ch + 1) * plane;
                let dst = &mut out[r.clone()];
                if T::OWNS_TAPE {
                    dst.copy_from_slice(first);
                    fill3(dst, second, &mut d1[r.clone()], &mut d2[r], |a, b| {
                        f(a, b, ch)
                    });
                } else {
                    for ((o, p), q) in dst.iter_mut().zip(first).zip(second) {
                        *o = f(*p, *q, ch).0;
                    }
                }
            }
        }
        (out, d1, d2)
    });
    Ok(record1(x, out, (b, k, h, w), move |gy, gx| {
        for bi in 0..b {
            for ch in 0..k {
                let o = (bi * k + ch) * plane;
                let (g, p, q) = (&gy[o..o + plane], &d1[o..o + plane], &d2[o..o + plane]);
                let first = (bi * c2 + ch) * plane;
                for (dst, (g, d)) in gx[first..first + plane].iter_mut().zip(g.iter().zip(p)) {
                    *dst += *g * *d;
                }
                let second = (bi * c2 + k + ch) * plane;
                for (dst, (g, d)) in gx[second..second + plane].iter_mut().zip(g.iter().zip(q)) {
                    *dst += *g * *d;
                }
            }
        }
    }))
}

/// `(x[i], d[i]) = f(x[i])`. Separate slices as arguments tell the compiler they do not
/// overlap, so the loop vectorises.
#[inline(always)]
fn fill2<E: Float>(x: &mut [E], d: &mut [E], f: impl Fn(E) -> (E, E)) {
    let n = x.len();
    let d = &mut d[..n];
    for i in 0..n {
        (x[i], d[i]) = f(x[i]);
    }
}

/// `(a[i], d1[i], d2[i]) = f(a[i], b[i])`, vectorisable as [`fill2`].
#[inline(always)]
fn fill3<E: Float>(
    a: &mut [E],
    b: &[E],
    d1: &mut [E],
    d2: &mut [E],
    f: impl Fn(E, E) -> (E, E, E),
) {
    let n = a.len();
    let (b, d1, d2) = (&b[..n], &mut d1[..n], &mut d2[..n]);
    for i in 0..n {
        (a[i], d1[i], d2[i]) = f(a[i], b[i]);
    }
}
