//! The CPU's gain steps: each one fused element-wise op (value and derivative in one
//! pass), compiled per step type.

use super::{scalar_for, Activation, Gain};
use crate::error::Result;
use crate::ops::pointwise::cpu::{halves_adjoint, halves_values, map2_values, map_values, mul_add};
use crate::ops::pool::Pooled;
use crate::ops::softplus;
use crate::ops::tape::{run1, run2, HostOp1, HostOp2};
use crate::tensor::{dims, ByFloat, Float, Image, PerFloat, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::GainKernel<E> for dfdx::prelude::Cpu {
    fn gain<T: Tape<E>>(
        num: crate::Image<E, T>,
        den: crate::Image<E, T>,
        gain: super::Gain,
        scalars: &[f64],
        act: super::Activation,
    ) -> crate::Result<crate::Image<E, T>> {
        self::gain(num, den, gain, scalars, act)
    }
    fn gain_halves<T: Tape<E>>(
        x: crate::Image<E, T>,
        gain: super::Gain,
        scalars: &[f64],
        act: super::Activation,
    ) -> crate::Result<crate::Image<E, T>> {
        self::gain_halves(x, gain, scalars, act)
    }
    fn activate<T: Tape<E>>(
        x: crate::Image<E, T>,
        act: super::Activation,
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(self::activate(x, act))
    }
    fn square<T: Tape<E>>(x: crate::Image<E, T>) -> crate::Result<crate::Image<E, T>> {
        Ok(self::square(x))
    }
}

/// One gain step as a type, so that each fused loop is compiled for one step (a branch
/// on [`Gain`] inside the loop keeps the compiler from vectorising it). `eval` returns
/// the step's value and its derivatives with respect to `num` and `den`.
trait Step {
    fn eval<E: Float>(num: E, den: E, s: E) -> (E, E, E);
}

/// [`Gain::Luminance`].
struct Luminance;

impl Step for Luminance {
    #[inline(always)]
    fn eval<E: Float>(num: E, den: E, s: E) -> (E, E, E) {
        let inv = E::one() / (E::one() + s * den);
        let v = num * inv;
        (v, inv, -v * s * inv)
    }
}

/// [`Gain::Contrast`].
struct Contrast;

impl Step for Contrast {
    #[inline(always)]
    fn eval<E: Float>(num: E, den: E, s: E) -> (E, E, E) {
        let root = den.max(E::zero()).sqrt();
        let inv = E::one() / (E::one() + s * (root + E::of_f64(1e-6)));
        let v = num * inv;
        // d sqrt(b) / db = 1 / (2 sqrt(b)), taken as 0 where b <= 0 (a subgradient)
        let droot = if den > E::zero() {
            E::of_f64(0.5) / root
        } else {
            E::zero()
        };
        (v, inv, -v * s * droot * inv)
    }
}

/// The scalar of each of `channels` channels (one given for all, or one per channel).
fn per_channel<E: Float>(scalars: &[f64], channels: usize) -> Result<Vec<E>> {
    scalar_for(scalars, channels)?;
    Ok((0..channels)
        .map(|c| E::of_f64(scalars[if scalars.len() == 1 { 0 } else { c }]))
        .collect())
}

/// `act(S(num, den))` fused, for one step type; `sc(channel)` gives the scalar.
fn fused2<S: Step, E: Float>(
    shape: [usize; 4],
    sc: impl Fn(usize) -> E + Sync + 'static,
    act: Activation,
) -> Box<dyn HostOp2<E>> {
    match act {
        // the common case gets its own closure, which the compiler vectorises
        Activation::Softplus => Fused2::boxed(shape, move |p, q, c| {
            let (u, dp, dq) = S::eval(p, q, sc(c));
            let (y, dy) = softplus(u);
            (y, dy * dp, dy * dq)
        }),
        other => Fused2::boxed(shape, move |p, q, c| {
            let (u, dp, dq) = S::eval(p, q, sc(c));
            let (y, dy) = other.eval(u);
            (y, dy * dp, dy * dq)
        }),
    }
}

/// [`fused2`] on the two halves of the channels of an input of shape `shape`.
fn fused_halves<S: Step, E: Float>(
    shape: [usize; 4],
    sc: impl Fn(usize) -> E + Sync + 'static,
    act: Activation,
) -> Box<dyn HostOp1<E>> {
    match act {
        Activation::Softplus => Halves::boxed(shape, move |p, q, c| {
            let (u, dp, dq) = S::eval(p, q, sc(c));
            let (y, dy) = softplus(u);
            (y, dy * dp, dy * dq)
        }),
        other => Halves::boxed(shape, move |p, q, c| {
            let (u, dp, dq) = S::eval(p, q, sc(c));
            let (y, dy) = other.eval(u);
            (y, dy * dp, dy * dq)
        }),
    }
}

/// Calls `$run::<Step, E>` for `$gain` with a scalar lookup that is a constant when every
/// channel has the same scalar (indexing a vector inside the loop stops it vectorising:
/// 0.84 against 1.59 ms for LuminanceGainControl's forward and backward).
macro_rules! dispatch {
    ($run:ident, $gain:expr, $s:expr, $shape:expr, $act:expr) => {{
        let s = $s;
        let s0 = s[0];
        // up to 4 channels: a copied array, indexed without a bounds check (c < 4)
        let mut a4 = [s0; 4];
        a4.iter_mut().zip(&s).for_each(|(a, v)| *a = *v);
        match ($gain, s.iter().all(|&v| v == s0), s.len() <= 4) {
            (Gain::Luminance, true, _) => $run::<Luminance, _>($shape, move |_| s0, $act),
            (Gain::Luminance, false, true) => {
                $run::<Luminance, _>($shape, move |c| a4[c & 3], $act)
            }
            (Gain::Luminance, false, false) => $run::<Luminance, _>($shape, move |c| s[c], $act),
            (Gain::Contrast, true, _) => $run::<Contrast, _>($shape, move |_| s0, $act),
            (Gain::Contrast, false, true) => $run::<Contrast, _>($shape, move |c| a4[c & 3], $act),
            (Gain::Contrast, false, false) => $run::<Contrast, _>($shape, move |c| s[c], $act),
        }
    }};
}

/// The gain steps' constructors for each element type, compiled here (see
/// [`HostOp1`]): two inputs, halves of one input, an activation, a square.
struct GainMaker;
impl PerFloat for GainMaker {
    type Of<E: Float> =
        for<'a> fn([usize; 4], Gain, &'a [f64], Activation) -> Result<Box<dyn HostOp2<E>>>;
}
struct HalvesMaker;
impl PerFloat for HalvesMaker {
    type Of<E: Float> =
        for<'a> fn([usize; 4], Gain, &'a [f64], Activation) -> Result<Box<dyn HostOp1<E>>>;
}
struct ActMaker;
impl PerFloat for ActMaker {
    type Of<E: Float> = fn([usize; 4], Option<Activation>) -> Box<dyn HostOp1<E>>;
}

static MAKE_GAIN: ByFloat<GainMaker> = ByFloat {
    single: make_gain::<f32>,
    double: make_gain::<f64>,
};
static MAKE_HALVES: ByFloat<HalvesMaker> = ByFloat {
    single: make_halves::<f32>,
    double: make_halves::<f64>,
};
static MAKE_ACT: ByFloat<ActMaker> = ByFloat {
    single: make_act::<f32>,
    double: make_act::<f64>,
};

fn make_gain<E: Float>(
    shape: [usize; 4],
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Box<dyn HostOp2<E>>> {
    let s: Vec<E> = per_channel(scalars, shape[1])?;
    Ok(dispatch!(fused2, gain, s, shape, act))
}

fn make_halves<E: Float>(
    shape: [usize; 4],
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Box<dyn HostOp1<E>>> {
    let half = crate::ops::checks::halves(shape[1])?;
    let s: Vec<E> = per_channel(scalars, half)?;
    Ok(dispatch!(fused_halves, gain, s, shape, act))
}

/// `act(x)`, or `x * x` for `None`.
fn make_act<E: Float>(shape: [usize; 4], act: Option<Activation>) -> Box<dyn HostOp1<E>> {
    match act {
        None => Map1::boxed(shape, |v: E, _| (v * v, v + v)),
        Some(Activation::Softplus) => Map1::boxed(shape, |v, _| softplus(v)),
        Some(other) => Map1::boxed(shape, move |v, _| other.eval(v)),
    }
}

/// `act(gain(num, den))` with `scalars[channel]`, fused on the CPU.
pub(crate) fn gain<E: Float, T: Tape<E>>(
    num: Image<E, T>,
    den: Image<E, T>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Image<E, T>> {
    let (dn, dd) = (dims(&num), dims(&den));
    crate::ops::checks::same_shape("element-wise op on", dn, dd)?;
    let op = (E::pick(&MAKE_GAIN))(dn, gain, scalars, act)?;
    run2(num, den, op)
}

/// [`gain()`] with `num` the first half of the channels and `den` the second.
pub(crate) fn gain_halves<E: Float, T: Tape<E>>(
    x: Image<E, T>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Image<E, T>> {
    let op = (E::pick(&MAKE_HALVES))(dims(&x), gain, scalars, act)?;
    run1(x, op)
}

/// `act(x)`, fused on the CPU.
pub(crate) fn activate<E: Float, T: Tape<E>>(x: Image<E, T>, act: Activation) -> Image<E, T> {
    if act == Activation::Identity {
        return x;
    }
    let op = (E::pick(&MAKE_ACT))(dims(&x), Some(act));
    run1(x, op).expect("an activation refuses no values")
}

/// `x * x`, fused on the CPU.
pub(crate) fn square<E: Float, T: Tape<E>>(x: Image<E, T>) -> Image<E, T> {
    let op = (E::pick(&MAKE_ACT))(dims(&x), None);
    run1(x, op).expect("a square refuses no values")
}

/// A fused element-wise op of two inputs of one shape; the derivatives are kept for the
/// adjoint.
struct Fused2<E: Float, F> {
    f: F,
    shape: [usize; 4],
    d1: Pooled<E>,
    d2: Pooled<E>,
}

impl<E: Float, F: Fn(E, E, usize) -> (E, E, E) + Sync + 'static> Fused2<E, F> {
    fn boxed(shape: [usize; 4], f: F) -> Box<dyn HostOp2<E>> {
        Box::new(Fused2 {
            f,
            shape,
            d1: Vec::new().into(),
            d2: Vec::new().into(),
        })
    }
}

impl<E: Float, F: Fn(E, E, usize) -> (E, E, E) + Sync + 'static> HostOp2<E> for Fused2<E, F> {
    fn out_shape(&self) -> Shape4 {
        let [b, c, h, w] = self.shape;
        (b, c, h, w)
    }
    fn forward(&mut self, mut a: Pooled<E>, b: &[E], grad: bool) -> Result<Pooled<E>> {
        let [_, c, h, w] = self.shape;
        (self.d1, self.d2) = map2_values(&mut a, b, c, h * w, grad, &self.f);
        Ok(a)
    }
    fn adjoint_a(&self, gy: &[E], ga: &mut [E]) {
        mul_add(ga, gy, &self.d1)
    }
    fn adjoint_b(&self, gy: &[E], gb: &mut [E]) {
        mul_add(gb, gy, &self.d2)
    }
}

/// [`Fused2`] on the two halves of one input's channels.
struct Halves<E: Float, F> {
    f: F,
    shape: [usize; 4],
    d1: Pooled<E>,
    d2: Pooled<E>,
}

impl<E: Float, F: Fn(E, E, usize) -> (E, E, E) + Sync + 'static> Halves<E, F> {
    fn boxed(shape: [usize; 4], f: F) -> Box<dyn HostOp1<E>> {
        Box::new(Halves {
            f,
            shape,
            d1: Vec::new().into(),
            d2: Vec::new().into(),
        })
    }
}

impl<E: Float, F: Fn(E, E, usize) -> (E, E, E) + Sync + 'static> HostOp1<E> for Halves<E, F> {
    fn out_shape(&self) -> Shape4 {
        let [b, c2, h, w] = self.shape;
        (b, c2 / 2, h, w)
    }
    fn forward(&mut self, x: Pooled<E>, grad: bool) -> Result<Pooled<E>> {
        let [b, c2, h, w] = self.shape;
        let (out, d1, d2) = halves_values(&x, b, c2, h * w, grad, &self.f);
        (self.d1, self.d2) = (d1, d2);
        Ok(out)
    }
    fn adjoint(&mut self, gy: &[E], gx: &mut [E]) {
        let [b, c2, h, w] = self.shape;
        halves_adjoint(gy, gx, &self.d1, &self.d2, b, c2, h * w)
    }
}

/// A fused element-wise op of one input; the derivative is kept for the adjoint.
struct Map1<E: Float, F> {
    f: F,
    shape: [usize; 4],
    der: Pooled<E>,
}

impl<E: Float, F: Fn(E, usize) -> (E, E) + Sync + 'static> Map1<E, F> {
    fn boxed(shape: [usize; 4], f: F) -> Box<dyn HostOp1<E>> {
        Box::new(Map1 {
            f,
            shape,
            der: Vec::new().into(),
        })
    }
}

impl<E: Float, F: Fn(E, usize) -> (E, E) + Sync + 'static> HostOp1<E> for Map1<E, F> {
    fn out_shape(&self) -> Shape4 {
        let [b, c, h, w] = self.shape;
        (b, c, h, w)
    }
    fn forward(&mut self, mut x: Pooled<E>, grad: bool) -> Result<Pooled<E>> {
        let [_, c, h, w] = self.shape;
        self.der = map_values(&mut x, c, h * w, grad, &self.f);
        Ok(x)
    }
    fn adjoint(&mut self, gy: &[E], gx: &mut [E]) {
        mul_add(gx, gy, &self.der)
    }
}
