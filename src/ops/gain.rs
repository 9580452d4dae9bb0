//! The element-wise steps of plenoptic's frontend models: luminance and contrast gain
//! control, the output nonlinearity, and squaring. On the CPU each step is one fused
//! element-wise op (value and derivative in one pass); on other devices the same formula
//! is built from dfdx's own tensor operations ([`gain_builtin`] and friends), which the
//! tests check against the fused version on the CPU.

use dfdx::prelude::{HasShape, PutTape, SplitTape, Tensor};

use crate::device::Device;
use dfdx::shapes::Axes3;
use dfdx::tensor_ops::BroadcastTo;

use super::pointwise::{map2_cpu, map2_halves_cpu, map_cpu, softplus};
use super::portable::backend;
use crate::error::{Error, Result};
use crate::tensor::{dims, Float, Image, Shape4, Tape};

/// The nonlinearity at the end of a frontend model (plenoptic's `activation` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Activation {
    /// torch's `softplus`, `ln(1 + e^x)` (plenoptic's default).
    #[default]
    Softplus,
    /// `max(x, 0)` (derivative 0 at 0, as torch).
    Relu,
    /// No nonlinearity.
    Identity,
}

impl Activation {
    /// The activation's value at `x` and its derivative.
    pub fn eval<E: Float>(self, x: E) -> (E, E) {
        match self {
            Activation::Softplus => softplus(x),
            Activation::Relu => {
                if x > E::zero() {
                    (x, E::one())
                } else {
                    (E::zero(), E::zero())
                }
            }
            Activation::Identity => (x, E::one()),
        }
    }
}

/// Which normalisation divides the numerator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gain {
    /// `num / (1 + s * den)`, `den` a local luminance.
    Luminance,
    /// `num / (1 + s * (sqrt(max(den, 0)) + 1e-6))`, `den` a blurred square.
    Contrast,
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

/// Checks that there is one scalar per channel (or a single one for all).
fn scalar_for(scalars: &[f64], channels: usize) -> Result<()> {
    if scalars.len() == 1 || scalars.len() == channels {
        Ok(())
    } else {
        Err(Error::shape_mismatch(
            "gain scalars (one, or one per channel)",
            [channels],
            [scalars.len()],
        ))
    }
}

/// `act(gain(num, den))`, with `scalars[channel]` (or one scalar for every channel) as
/// the gain's weight, on `num`'s device.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ or the scalars do not fit the channels.
pub(crate) fn gain<E: Float, D: Device<E>, T: Tape<E, D>>(
    num: Image<E, T, D>,
    den: Image<E, T, D>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Image<E, T, D>> {
    D::gain(num, den, gain, scalars, act)
}

/// [`gain()`] with `num` the first half of the channels of `x` and `den` the second.
///
/// # Errors
/// [`Error::ShapeMismatch`] for an odd number of channels or scalars that do not fit.
pub(crate) fn gain_halves<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Image<E, T, D>> {
    D::gain_halves(x, gain, scalars, act)
}

/// `act(x)` on `x`'s device.
pub(crate) fn activate<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    act: Activation,
) -> Result<Image<E, T, D>> {
    D::activate(x, act)
}

/// `x * x` on `x`'s device.
pub(crate) fn square<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
) -> Result<Image<E, T, D>> {
    D::square(x)
}

/// `act(gain(num, den))` with `scalars[channel]`, fused on the CPU.
pub(crate) fn gain_cpu<E: Float, T: Tape<E>>(
    num: Image<E, T>,
    den: Image<E, T>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Image<E, T>> {
    let s: Vec<E> = per_channel(scalars, dims(&num)[1])?;
    dispatch!(fused2, gain, s, (num, den), act)
}

/// [`gain_cpu`] with `num` the first half of the channels and `den` the second.
pub(crate) fn gain_halves_cpu<E: Float, T: Tape<E>>(
    x: Image<E, T>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Image<E, T>> {
    let half = super::checks::halves(dims(&x)[1])?;
    let s: Vec<E> = per_channel(scalars, half)?;
    dispatch!(fused_halves, gain, s, (x), act)
}

/// `act(x)`, fused on the CPU.
pub(crate) fn activate_cpu<E: Float, T: Tape<E>>(x: Image<E, T>, act: Activation) -> Image<E, T> {
    match act {
        Activation::Identity => x,
        Activation::Softplus => map_cpu(x, |v, _| softplus(v)),
        other => map_cpu(x, move |v, _| other.eval(v)),
    }
}

/// `x * x`, fused on the CPU.
pub(crate) fn square_cpu<E: Float, T: Tape<E>>(x: Image<E, T>) -> Image<E, T> {
    map_cpu(x, |v, _| (v * v, v + v))
}

// The `_builtin` versions run on the GPU (`cuda` feature); without it only the tests use
// them, on the CPU, against the fused versions.

/// A tensor of the crate's 4-D shape on any dfdx device.
type Any4<E, D, T> = Tensor<Shape4, E, D, T>;

/// `act(x)` from dfdx operations.
pub(crate) fn activate_builtin<E, D, T>(x: Any4<E, D, T>, act: Activation) -> Result<Any4<E, D, T>>
where
    E: Float,
    D: dfdx::tensor_ops::Device<E>,
    T: dfdx::tensor::Tape<E, D>,
{
    match act {
        Activation::Identity => Ok(x),
        Activation::Relu => x.try_relu().map_err(backend),
        Activation::Softplus => super::portable::softplus(x),
    }
}

/// `act(gain(num, den))` from dfdx operations (see [`gain_cpu`]).
pub(crate) fn gain_builtin<E, D, T>(
    num: Any4<E, D, T>,
    den: Any4<E, D, T>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Any4<E, D, T>>
where
    E: Float,
    D: dfdx::tensor_ops::Device<E>,
    T: dfdx::tensor::Tape<E, D>,
{
    let shape = *num.shape();
    super::checks::same_shape("element-wise op on", dims(&num), dims(&den))?;
    scalar_for(scalars, shape.1)?;
    let den = match gain {
        Gain::Luminance => den,
        Gain::Contrast => den.clamp(1e-30, 1e30).sqrt() + E::of_f64(1e-6),
    };
    let scaled = if scalars.len() == 1 || scalars.iter().all(|&v| v == scalars[0]) {
        den * E::of_f64(scalars[0])
    } else {
        let s: Vec<E> = scalars.iter().map(|&v| E::of_f64(v)).collect();
        let st = num.device().tensor_from_vec(s, (shape.1,));
        den * st.broadcast_like::<Shape4, Axes3<0, 2, 3>>(&shape)
    };
    activate_builtin(num / (scaled + E::one()), act)
}

/// [`gain_builtin`] with `num` the first half of the channels of `x` and `den` the second.
pub(crate) fn gain_halves_builtin<E, D, T>(
    x: Any4<E, D, T>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Any4<E, D, T>>
where
    E: Float,
    D: dfdx::tensor_ops::Device<E>,
    T: dfdx::tensor::Tape<E, D>,
{
    let c2 = dims(&x)[1];
    let half = super::checks::halves(c2)?;
    // x feeds both halves: the first carries the tape, the second gets an empty one that
    // the division merges back
    let (x, tape) = x.split_tape();
    let num = super::portable::select_channels(x.clone().put_tape(tape), 0..half)?;
    let (num, tape) = num.split_tape();
    let den = super::portable::select_channels(x.put_tape(tape), half..c2)?;
    let (den, tape) = den.split_tape();
    gain_builtin(
        num.put_tape(tape),
        den.put_tape(T::default()),
        gain,
        scalars,
        act,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::{rand_vec, rel_err, value_and_grad};
    use crate::tensor::{device, image_from_vec};
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
        f: impl Fn(
            Image<E, OwnedTape<E, Cpu>>,
            Image<E, OwnedTape<E, Cpu>>,
        ) -> Image<E, OwnedTape<E, Cpu>>,
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
        let ut = device().tensor_from_vec(u.iter().map(|&x| E::of_f64(x)).collect(), *y.shape());
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
            gain_cpu(a, b, gain, scalars, act).unwrap()
        });
        let built = run2(&num, &den, &u, |a, b| {
            gain_builtin(a, b, gain, scalars, act).unwrap()
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
    fn builtin_gain_matches_the_fused_cpu_op() {
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
        let fused = value_and_grad(&x, 5, |x| gain_halves_cpu(x, gain, scalars, act));
        let built = value_and_grad(&x, 5, |x| gain_halves_builtin(x, gain, scalars, act));
        for (what, a, b) in [
            ("value", &built.0, &fused.0),
            ("gradient", &built.1, &fused.1),
        ] {
            let d = rel_err(a, b);
            assert!(d < tol, "halves {gain:?} {act:?} {scalars:?} {what}: {d:e}");
        }
    }

    #[test]
    fn builtin_gain_on_halves_matches_the_fused_cpu_op() {
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
        let e = gain_cpu(
            x.clone(),
            x.clone(),
            Gain::Luminance,
            &[1.0, 2.0],
            Activation::Identity,
        );
        assert!(
            matches!(e, Err(Error::ShapeMismatch { expected, got, .. }) if expected == [3] && got == [2])
        );
        let e = gain_builtin(
            x.clone(),
            x.clone(),
            Gain::Luminance,
            &[1.0, 2.0],
            Activation::Identity,
        );
        assert!(matches!(e, Err(Error::ShapeMismatch { .. })));
        let e = gain_halves_cpu(x, Gain::Luminance, &[1.0], Activation::Identity);
        assert!(matches!(e, Err(Error::ShapeMismatch { what, .. }) if what.contains("two halves")));
    }
}
