//! Element-wise maps with their derivatives, fused into one tape entry each.

use dfdx::prelude::Tensor;

use super::{read, record1, record2, values};
use crate::device::Device;
use crate::error::Result;
use crate::tensor::{dims, Dev, Float, Image, Shape4, Tape};

/// Applies `f` to every element. `f(value, channel)` returns the output and its derivative
/// with respect to the input; the channel index lets a map use per-channel parameters.
///
/// ```
/// use plenoptic::ops::map;
/// let x = plenoptic::image_from_vec(vec![1.0f64, 2.0], &[1, 1, 1, 2]).unwrap();
/// let y = map(x, |v, _| (v * v, 2.0 * v)).unwrap();
/// assert_eq!(y.as_vec(), vec![1.0, 4.0]);
/// ```
///
/// On the GPU, `f` runs on the host: the values come to the CPU and the results go back
/// (value and derivative), which costs two copies.
///
/// # Errors
/// [`Error::Backend`] when the GPU fails (never on the CPU).
pub fn map<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    f: impl Fn(E, usize) -> (E, E),
) -> Result<Image<E, T, D>> {
    D::map(x, f)
}

/// The CPU implementation of [`map`].
pub(crate) fn map_cpu<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    f: impl Fn(E, usize) -> (E, E),
) -> Tensor<Shape4, E, Dev, T> {
    let [b, c, h, w] = dims(&x);
    let plane = h * w;
    let (x, mut out) = values(x);
    let mut der = vec![E::zero(); if T::OWNS_TAPE { out.len() } else { 0 }];
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

/// Combines two images of the same shape element by element. `f(a, b, channel)` returns
/// the output and its derivatives with respect to `a` and `b`.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ.
pub fn map2<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
    f: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Image<E, T, D>> {
    D::map2(a, b, f)
}

/// The CPU implementation of [`map2`].
pub(crate) fn map2_cpu<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Dev, T>,
    b: Tensor<Shape4, E, Dev, T>,
    f: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Tensor<Shape4, E, Dev, T>> {
    let (da, db) = (dims(&a), dims(&b));
    super::checks::same_shape("element-wise op on", da, db)?;
    let [_, c, h, w] = da;
    let plane = h * w;
    let (a, mut out) = values(a);
    let (b, (d1, d2)) = read(b, |bv| {
        let n = out.len();
        let cap = if T::OWNS_TAPE { n } else { 0 };
        let (mut d1, mut d2) = (vec![E::zero(); cap], vec![E::zero(); cap]);
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
pub fn map2_halves<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    f: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Image<E, T, D>> {
    D::map2_halves(x, f)
}

/// The CPU implementation of [`map2_halves`].
pub(crate) fn map2_halves_cpu<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    f: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Tensor<Shape4, E, Dev, T>> {
    let [b, c2, h, w] = dims(&x);
    super::checks::halves(c2)?;
    let (k, plane) = (c2 / 2, h * w);
    let (x, (out, d1, d2)) = read(x, |xv| {
        let mut out = vec![E::zero(); b * k * plane];
        let cap = if T::OWNS_TAPE { b * k * plane } else { 0 };
        let (mut d1, mut d2) = (vec![E::zero(); cap], vec![E::zero(); cap]);
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

/// torch's `softplus` (beta 1, threshold 20): `ln(1 + e^x)`, and `x` itself above 20.
/// Returns the value and its derivative (the logistic function).
///
/// In f64 it uses the standard library's `exp` and `ln_1p`. In f32 it evaluates
/// `max(x, 0) + ln(1 + e^-|x|)` with branch-free polynomials (within a few units in the
/// last place of the exact value, checked in the tests), which the compiler can vectorise:
/// several times faster than the library calls, and the models' main cost after the
/// convolutions.
///
/// ```
/// let (v, d) = plenoptic::ops::softplus(0.0f64);
/// assert!((v - 2f64.ln()).abs() < 1e-15 && (d - 0.5).abs() < 1e-15);
/// let (v, d) = plenoptic::ops::softplus(0.0f32);
/// assert!((v - 2f32.ln()).abs() < 1e-7 && (d - 0.5).abs() < 1e-7);
/// ```
#[inline(always)]
pub fn softplus<E: Float>(x: E) -> (E, E) {
    if std::mem::size_of::<E>() == 4 {
        let (v, d) = softplus_f32(x.as_f64() as f32);
        return (E::of_f64(v as f64), E::of_f64(d as f64));
    }
    let t = E::of_f64(20.0);
    if x > t {
        (x, E::one())
    } else {
        let e = x.exp();
        (e.ln_1p(), e / (E::one() + e))
    }
}

/// `e^-a` for `0 <= a <= 87`: Cody-Waite reduction to `r` in [-ln2/2, ln2/2], a
/// degree-7 Taylor polynomial (relative error below 1e-8), and the power of two from
/// the exponent bits.
#[inline(always)]
fn exp_neg_f32(a: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    const ROUND: f32 = 12_582_912.0; // 1.5 * 2^23: adding it rounds to an integer
    let y = -a;
    let k = (y * LOG2E + ROUND) - ROUND;
    let r = (y - k * LN2_HI) - k * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    let scale = f32::from_bits(((k as i32 + 127) as u32) << 23);
    p * scale
}

/// `if c { a } else { b }` on the bits, which the compiler keeps branch-free (so loops
/// around it vectorise).
#[inline(always)]
fn select(c: bool, a: f32, b: f32) -> f32 {
    let m = (c as u32).wrapping_neg();
    f32::from_bits((a.to_bits() & m) | (b.to_bits() & !m))
}

/// Branch-free f32 softplus and its derivative (see [`softplus`]). Above 20 the value
/// rounds to `x` and the derivative to 1, as torch's threshold gives; below -87 the value
/// is under 2e-38.
#[inline(always)]
fn softplus_f32(x: f32) -> (f32, f32) {
    let t = exp_neg_f32(x.abs().min(87.0)); // e^-|x| in (0, 1]
                                            // ln(1 + t) = 2 atanh(s) with s = t / (2 + t) in (0, 1/3]: an odd series in s whose
                                            // terms shrink by at least 9 each
                                            // one division for both s and 1 / (1 + t)
    let r = 1.0 / ((2.0 + t) * (1.0 + t));
    let s = t * (1.0 + t) * r;
    let s2 = s * s;
    let series = 1.0
        + s2 * (1.0 / 3.0
            + s2 * (1.0 / 5.0
                + s2 * (1.0 / 7.0
                    + s2 * (1.0 / 9.0
                        + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 * (1.0 / 15.0)))))));
    let log1p = 2.0 * s * series;
    let inv = (2.0 + t) * r;
    let value = select(x.is_nan(), x, x.max(0.0) + log1p);
    let deriv = select(x >= 0.0, inv, t * inv);
    (value, deriv)
}
