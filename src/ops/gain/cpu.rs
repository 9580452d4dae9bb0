//! The CPU's gain steps: each one fused element-wise op (value and derivative in one
//! pass), compiled per step type.

use super::{scalar_for, Activation, Gain};
use crate::error::Result;
use crate::ops::pointwise::{map2_cpu, map2_halves_cpu, map_cpu};
use crate::ops::softplus;
use crate::tensor::{dims, Float, Image, Tape};

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
fn fused2<S: Step, E: Float, T: Tape<E>>(
    num: Image<E, T>,
    den: Image<E, T>,
    sc: impl Fn(usize) -> E,
    act: Activation,
) -> Result<Image<E, T>> {
    match act {
        // the common case gets its own closure, which the compiler vectorises
        Activation::Softplus => map2_cpu(num, den, move |p, q, c| {
            let (u, dp, dq) = S::eval(p, q, sc(c));
            let (y, dy) = softplus(u);
            (y, dy * dp, dy * dq)
        }),
        other => map2_cpu(num, den, move |p, q, c| {
            let (u, dp, dq) = S::eval(p, q, sc(c));
            let (y, dy) = other.eval(u);
            (y, dy * dp, dy * dq)
        }),
    }
}

/// [`fused2`] on the two halves of the channels of `x`.
fn fused_halves<S: Step, E: Float, T: Tape<E>>(
    x: Image<E, T>,
    sc: impl Fn(usize) -> E,
    act: Activation,
) -> Result<Image<E, T>> {
    match act {
        Activation::Softplus => map2_halves_cpu(x, move |p, q, c| {
            let (u, dp, dq) = S::eval(p, q, sc(c));
            let (y, dy) = softplus(u);
            (y, dy * dp, dy * dq)
        }),
        other => map2_halves_cpu(x, move |p, q, c| {
            let (u, dp, dq) = S::eval(p, q, sc(c));
            let (y, dy) = other.eval(u);
            (y, dy * dp, dy * dq)
        }),
    }
}

/// Calls `$run::<Step>` for `$gain` with a scalar lookup that is a constant when every
/// channel has the same scalar (indexing a vector inside the loop stops it vectorising:
/// 0.84 against 1.59 ms for LuminanceGainControl's forward and backward).
macro_rules! dispatch {
    ($run:ident, $gain:expr, $s:expr, ($($arg:expr),*), $act:expr) => {{
        let s = $s;
        let s0 = s[0];
        // up to 4 channels: a copied array, indexed without a bounds check (c < 4)
        let mut a4 = [s0; 4];
        a4.iter_mut().zip(&s).for_each(|(a, v)| *a = *v);
        match ($gain, s.iter().all(|&v| v == s0), s.len() <= 4) {
            (Gain::Luminance, true, _) => $run::<Luminance, _, _>($($arg,)* move |_| s0, $act),
            (Gain::Luminance, false, true) => {
                $run::<Luminance, _, _>($($arg,)* move |c| a4[c & 3], $act)
            }
            (Gain::Luminance, false, false) => $run::<Luminance, _, _>($($arg,)* |c| s[c], $act),
            (Gain::Contrast, true, _) => $run::<Contrast, _, _>($($arg,)* move |_| s0, $act),
            (Gain::Contrast, false, true) => {
                $run::<Contrast, _, _>($($arg,)* move |c| a4[c & 3], $act)
            }
            (Gain::Contrast, false, false) => $run::<Contrast, _, _>($($arg,)* |c| s[c], $act),
        }
    }};
}

/// `act(gain(num, den))` with `scalars[channel]`, fused on the CPU.
pub(crate) fn gain<E: Float, T: Tape<E>>(
    num: Image<E, T>,
    den: Image<E, T>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Image<E, T>> {
    let s: Vec<E> = per_channel(scalars, dims(&num)[1])?;
    dispatch!(fused2, gain, s, (num, den), act)
}

/// [`gain()`] with `num` the first half of the channels and `den` the second.
pub(crate) fn gain_halves<E: Float, T: Tape<E>>(
    x: Image<E, T>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Image<E, T>> {
    let half = crate::ops::checks::halves(dims(&x)[1])?;
    let s: Vec<E> = per_channel(scalars, half)?;
    dispatch!(fused_halves, gain, s, (x), act)
}

/// `act(x)`, fused on the CPU.
pub(crate) fn activate<E: Float, T: Tape<E>>(x: Image<E, T>, act: Activation) -> Image<E, T> {
    match act {
        Activation::Identity => x,
        Activation::Softplus => map_cpu(x, |v, _| softplus(v)),
        other => map_cpu(x, move |v, _| other.eval(v)),
    }
}

/// `x * x`, fused on the CPU.
pub(crate) fn square<E: Float, T: Tape<E>>(x: Image<E, T>) -> Image<E, T> {
    map_cpu(x, |v, _| (v * v, v + v))
}
