//! The CPU's element-wise maps: one pass computes values and derivatives, in loops the
//! compiler vectorises.

use dfdx::prelude::{Cpu, Tensor};

use crate::error::Result;
use crate::ops::par;
use crate::ops::pool::{self, Pooled};
use crate::ops::simd;
use crate::ops::tape::{read, record1, record2, values};
use crate::tensor::{dims, ByFloat, Float, PerFloat, Shape4, Tape};

/// A map's function of one image: `f(value, channel)` gives the output and its derivative.
type MapFn<'a, E> = dyn Fn(E, usize) -> (E, E) + Sync + 'a;
/// A map's function of two images: the output and its derivatives with respect to both.
type Map2Fn<'a, E> = dyn Fn(E, E, usize) -> (E, E, E) + Sync + 'a;

/// The loops of [`map`], [`map2`] and [`map2_halves`] and of their adjoints for one
/// element type, taking the function as a trait object.
#[allow(clippy::type_complexity)]
pub(crate) struct Loops<E: Float> {
    map: fn(&mut [E], usize, usize, bool, &MapFn<'_, E>) -> Pooled<E>,
    map2: fn(&mut [E], &[E], usize, usize, bool, &Map2Fn<'_, E>) -> (Pooled<E>, Pooled<E>),
    halves:
        fn(&[E], usize, usize, usize, bool, &Map2Fn<'_, E>) -> (Pooled<E>, Pooled<E>, Pooled<E>),
    /// [`mul_add`], the adjoints' loop.
    mul_add: fn(&mut [E], &[E], &[E]),
    /// [`halves_adjoint`].
    halves_adjoint: fn(&[E], &mut [E], &[E], &[E], usize, usize, usize),
}

/// [`Loops`] by element type.
struct LoopsOf;
impl PerFloat for LoopsOf {
    type Of<E: Float> = Loops<E>;
}

// The loops are compiled here, once per element type, and reached through these function
// pointers: a crate that maps with its own closure (an evcxr notebook cell, compiled with
// little optimisation) compiles only the thin tape wiring, and its closure runs inside
// this crate's optimised loop. Were the loops generic over the closure, each cell would
// compile them at its own optimisation level (at opt-level 0, 2.6 times slower).
static LOOPS: ByFloat<LoopsOf> = ByFloat {
    single: loops::<f32>(),
    double: loops::<f64>(),
};

/// [`Loops`] for `E` (the closures only fix the trait objects' lifetimes).
const fn loops<E: Float>() -> Loops<E> {
    Loops {
        map: |out, c, plane, grad, f| map_values(out, c, plane, grad, f),
        map2: |out, bv, c, plane, grad, f| map2_values(out, bv, c, plane, grad, f),
        halves: |xv, b, c2, plane, grad, f| halves_values(xv, b, c2, plane, grad, f),
        mul_add: mul_add::<E>,
        halves_adjoint: halves_adjoint::<E>,
    }
}

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::PointwiseKernel<E> for Cpu {
    fn map<T: Tape<E>>(
        x: crate::Image<E, T>,
        f: impl Fn(E, usize) -> (E, E) + Sync,
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(map(x, f))
    }
    fn map2<T: Tape<E>>(
        a: crate::Image<E, T>,
        b: crate::Image<E, T>,
        f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
    ) -> crate::Result<crate::Image<E, T>> {
        map2(a, b, f)
    }
    fn map2_halves<T: Tape<E>>(
        x: crate::Image<E, T>,
        f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
    ) -> crate::Result<crate::Image<E, T>> {
        map2_halves(x, f)
    }
    fn map_inlined<T: Tape<E>>(
        x: crate::Image<E, T>,
        f: impl Fn(E, usize) -> (E, E) + Sync,
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(map_with(x, |out, c, plane, grad| {
            map_values(out, c, plane, grad, &f)
        }))
    }
    fn map2_inlined<T: Tape<E>>(
        a: crate::Image<E, T>,
        b: crate::Image<E, T>,
        f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
    ) -> crate::Result<crate::Image<E, T>> {
        map2_with(a, b, |out, bv, c, plane, grad| {
            map2_values(out, bv, c, plane, grad, &f)
        })
    }
}

/// [`super::map`] on the CPU.
pub(crate) fn map<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    f: impl Fn(E, usize) -> (E, E) + Sync,
) -> Tensor<Shape4, E, Cpu, T> {
    let map = E::pick(&LOOPS).map;
    map_with(x, |out, c, plane, grad| map(out, c, plane, grad, &f))
}

/// [`super::map`] on the CPU, its values and derivatives computed in place by
/// `values_of(out, c, plane, grad)` (`out` holds `x`'s values).
fn map_with<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    values_of: impl FnOnce(&mut [E], usize, usize, bool) -> Pooled<E>,
) -> Tensor<Shape4, E, Cpu, T> {
    let [b, c, h, w] = dims(&x);
    let (x, mut out) = values(x);
    let der = values_of(&mut out, c, h * w, T::OWNS_TAPE);
    let mul_add = E::pick(&LOOPS).mul_add;
    record1(x, out, (b, c, h, w), move |gy, gx| mul_add(gx, gy, &der))
}

/// [`super::map2`] on the CPU.
pub(crate) fn map2<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Cpu, T>,
    b: Tensor<Shape4, E, Cpu, T>,
    f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let map2 = E::pick(&LOOPS).map2;
    map2_with(a, b, |out, bv, c, plane, grad| {
        map2(out, bv, c, plane, grad, &f)
    })
}

/// [`super::map2`] on the CPU, its values and derivatives computed by `values(out, b, c,
/// plane, grad)` (`out` holds `a`'s values).
fn map2_with<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Cpu, T>,
    b: Tensor<Shape4, E, Cpu, T>,
    values_of: impl FnOnce(&mut [E], &[E], usize, usize, bool) -> (Pooled<E>, Pooled<E>),
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let (da, db) = (dims(&a), dims(&b));
    crate::ops::checks::same_shape("element-wise op on", da, db)?;
    let [_, c, h, w] = da;
    let (a, mut out) = values(a);
    let (b, (d1, d2)) = read(b, |bv| values_of(&mut out, bv, c, h * w, T::OWNS_TAPE));
    let mul_add = E::pick(&LOOPS).mul_add;
    Ok(record2(
        a,
        b,
        out,
        (da[0], c, h, w),
        move |gy, ga| mul_add(ga, gy, &d1),
        move |gy, gb| mul_add(gb, gy, &d2),
    ))
}

/// [`super::map2_halves`] on the CPU.
pub(crate) fn map2_halves<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    f: impl Fn(E, E, usize) -> (E, E, E) + Sync,
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let [b, c2, h, w] = dims(&x);
    crate::ops::checks::halves(c2)?;
    let halves = E::pick(&LOOPS).halves;
    let (x, (out, d1, d2)) = read(x, |xv| halves(xv, b, c2, h * w, T::OWNS_TAPE, &f));
    let k = c2 / 2;
    let halves_adjoint = E::pick(&LOOPS).halves_adjoint;
    Ok(record1(x, out, (b, k, h, w), move |gy, gx| {
        halves_adjoint(gy, gx, &d1, &d2, b, c2, h * w)
    }))
}

/// `out[i] = f(out[i], channel).0` in place; returns the derivatives when `grad`.
#[inline(always)]
pub(crate) fn map_values<E: Float, F: Fn(E, usize) -> (E, E) + Sync + ?Sized>(
    out: &mut [E],
    c: usize,
    plane: usize,
    grad: bool,
    f: &F,
) -> Pooled<E> {
    let mut der = pool::take(if grad { out.len() } else { 0 });
    if grad {
        // indexed loops over slices of one length vectorise; long zips do not
        par::pieces2(out, &mut der, plane, |p, (x, d)| {
            fill2(x, d, |v| f(v, p % c))
        });
    } else {
        par::pieces(out, plane, |p, x| {
            x.iter_mut().for_each(|v| *v = f(*v, p % c).0)
        });
    }
    der
}

/// `out[i] = f(out[i], b[i], channel).0` in place; returns the derivatives with respect to
/// both inputs when `grad`.
#[inline(always)]
pub(crate) fn map2_values<E: Float, F: Fn(E, E, usize) -> (E, E, E) + Sync + ?Sized>(
    out: &mut [E],
    bv: &[E],
    c: usize,
    plane: usize,
    grad: bool,
    f: &F,
) -> (Pooled<E>, Pooled<E>) {
    let cap = if grad { out.len() } else { 0 };
    let (mut d1, mut d2) = (pool::take(cap), pool::take(cap));
    if grad {
        par::pieces3(out, &mut d1, &mut d2, plane, |p, (o, d1, d2)| {
            let b = &bv[p * plane..][..o.len()];
            fill3(o, b, d1, d2, |x, y| f(x, y, p % c));
        });
    } else {
        par::pieces(out, plane, |p, o| {
            for (o, y) in o.iter_mut().zip(&bv[p * plane..]) {
                *o = f(*o, *y, p % c).0;
            }
        });
    }
    (d1, d2)
}

/// `f(first half, second half, channel)` of `xv`'s `c2` channels: the values and, when
/// `grad`, the derivatives with respect to each half.
#[inline(always)]
pub(crate) fn halves_values<E: Float, F: Fn(E, E, usize) -> (E, E, E) + Sync + ?Sized>(
    xv: &[E],
    b: usize,
    c2: usize,
    plane: usize,
    grad: bool,
    f: &F,
) -> (Pooled<E>, Pooled<E>, Pooled<E>) {
    let k = c2 / 2;
    let mut out = pool::take(b * k * plane);
    let cap = if grad { b * k * plane } else { 0 };
    let (mut d1, mut d2) = (pool::take(cap), pool::take(cap));
    // output plane `p` is channel `ch` of batch item `bi`
    let halves = |p: usize| {
        let (bi, ch) = (p / k, p % k);
        let first = &xv[(bi * c2 + ch) * plane..][..plane];
        let second = &xv[(bi * c2 + k + ch) * plane..][..plane];
        (first, second, ch)
    };
    if grad {
        par::pieces3(&mut out, &mut d1, &mut d2, plane, |p, (dst, d1, d2)| {
            let (first, second, ch) = halves(p);
            dst.copy_from_slice(first);
            fill3(dst, second, d1, d2, |a, b| f(a, b, ch));
        });
    } else {
        par::pieces(&mut out, plane, |p, dst| {
            let (first, second, ch) = halves(p);
            for ((o, p), q) in dst.iter_mut().zip(first).zip(second) {
                *o = f(*p, *q, ch).0;
            }
        });
    }
    (out, d1, d2)
}

/// The adjoint of [`halves_values`]: `gy * d1` into the first half, `gy * d2` into the
/// second.
pub(crate) fn halves_adjoint<E: Float>(
    gy: &[E],
    gx: &mut [E],
    d1: &[E],
    d2: &[E],
    b: usize,
    c2: usize,
    plane: usize,
) {
    let k = c2 / 2;
    for bi in 0..b {
        for ch in 0..k {
            let o = (bi * k + ch) * plane;
            let (g, p, q) = (&gy[o..o + plane], &d1[o..o + plane], &d2[o..o + plane]);
            let first = (bi * c2 + ch) * plane;
            mul_add(&mut gx[first..first + plane], g, p);
            let second = (bi * c2 + k + ch) * plane;
            mul_add(&mut gx[second..second + plane], g, q);
        }
    }
}

/// `acc[i] += g[i] * d[i]`.
pub(crate) fn mul_add<E: Float>(acc: &mut [E], g: &[E], d: &[E]) {
    for ((a, g), d) in acc.iter_mut().zip(g).zip(d) {
        *a += *g * *d;
    }
}

/// `(x[i], d[i]) = f(x[i])`, compiled for AVX2 when the CPU has it ([`simd::avx2`]).
#[inline(always)]
fn fill2<E: Float>(x: &mut [E], d: &mut [E], f: impl Fn(E) -> (E, E)) {
    simd::avx2(
        #[inline(always)]
        || fill2_loop(x, d, f),
    )
}

/// [`fill2`]'s loop. Separate slices as arguments tell the compiler they do not overlap,
/// so the loop vectorises.
#[inline(always)]
fn fill2_loop<E: Float>(x: &mut [E], d: &mut [E], f: impl Fn(E) -> (E, E)) {
    let n = x.len();
    let d = &mut d[..n];
    for i in 0..n {
        (x[i], d[i]) = f(x[i]);
    }
}

/// `(a[i], d1[i], d2[i]) = f(a[i], b[i])`, for AVX2 or not as [`fill2`].
#[inline(always)]
fn fill3<E: Float>(
    a: &mut [E],
    b: &[E],
    d1: &mut [E],
    d2: &mut [E],
    f: impl Fn(E, E) -> (E, E, E),
) {
    simd::avx2(
        #[inline(always)]
        || fill3_loop(a, b, d1, d2, f),
    )
}

/// [`fill3`]'s loop, vectorisable as [`fill2_loop`]'s.
#[inline(always)]
fn fill3_loop<E: Float>(
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
