//! What plenoptic's early-visual-system ("frontend") models share: the output
//! nonlinearity, the pretrained-size check and the randomly initialised gain scalars.

use crate::device::Device;
use crate::error::{Error, Result};
use crate::ops::{map, map2, map2_halves, softplus};
use crate::tensor::{dims, Float, Image, Tape};
use crate::tools::seed::with_rng;

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
            Activation::Softplus => crate::ops::softplus(x),
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

/// `activation(g(x))` element by element, where `g` returns its value and derivative.
/// Softplus gets its own loop (the common case, which the compiler vectorises); the other
/// activations share one.
pub(crate) fn map_act<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    act: Activation,
    g: impl Fn(E, usize) -> (E, E),
) -> Image<E, T, D> {
    match act {
        Activation::Softplus => map(x, move |v, c| {
            let (u, du) = g(v, c);
            let (y, dy) = softplus(u);
            (y, dy * du)
        }),
        other => map(x, move |v, c| {
            let (u, du) = g(v, c);
            let (y, dy) = other.eval(u);
            (y, dy * du)
        }),
    }
}

/// `activation(g(a, b))` element by element over two images (see [`map_act`]).
pub(crate) fn map2_act<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
    act: Activation,
    g: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Image<E, T, D>> {
    match act {
        Activation::Softplus => map2(a, b, move |p, q, c| {
            let (u, dp, dq) = g(p, q, c);
            let (y, dy) = softplus(u);
            (y, dy * dp, dy * dq)
        }),
        other => map2(a, b, move |p, q, c| {
            let (u, dp, dq) = g(p, q, c);
            let (y, dy) = other.eval(u);
            (y, dy * dp, dy * dq)
        }),
    }
}

/// `activation(g(first half, second half))` over the channels (see [`map_act`] and
/// [`map2_halves`]).
pub(crate) fn map2_halves_act<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    act: Activation,
    g: impl Fn(E, E, usize) -> (E, E, E),
) -> Result<Image<E, T, D>> {
    match act {
        Activation::Softplus => map2_halves(x, move |p, q, c| {
            let (u, dp, dq) = g(p, q, c);
            let (y, dy) = softplus(u);
            (y, dy * dp, dy * dq)
        }),
        other => map2_halves(x, move |p, q, c| {
            let (u, dp, dq) = g(p, q, c);
            let (y, dy) = other.eval(u);
            (y, dy * dp, dy * dq)
        }),
    }
}

/// `lin / (1 + s * lum)` and its derivatives (one division).
#[inline(always)]
pub(crate) fn luminance_step<E: Float>(lin: E, lum: E, s: E) -> (E, E, E) {
    let inv = E::one() / (E::one() + s * lum);
    let v = lin * inv;
    (v, inv, -v * s * inv)
}

/// `a / (1 + s * (sqrt(b) + 1e-6))` and its derivatives. `b` is a blurred square,
/// non-negative up to rounding: it is clamped at 0, where the square root's derivative is
/// taken as 0 (a subgradient; the exact one is infinite).
#[inline(always)]
pub(crate) fn contrast_step<E: Float>(a: E, b: E, s: E) -> (E, E, E) {
    let root = b.max(E::zero()).sqrt();
    let inv = E::one() / (E::one() + s * (root + E::of_f64(1e-6)));
    let v = a * inv;
    // d sqrt(b) / db = 1 / (2 sqrt(b)), as 0 where b <= 0
    let droot = if b > E::zero() {
        E::of_f64(0.5) / root
    } else {
        E::zero()
    };
    (v, inv, -v * s * droot * inv)
}

/// The kernel size the pretrained parameters were fit with.
pub(crate) const PRETRAINED_SIZE: (usize, usize) = (31, 31);

/// Refuses `pretrained` with any kernel size but (31, 31), as plenoptic.
pub(crate) fn check_pretrained(model: &str, kernel_size: (usize, usize)) -> Result<()> {
    if kernel_size != PRETRAINED_SIZE {
        return Err(Error::invalid(
            "kernel_size",
            format!(
                "the pretrained {model} has kernel_size (31, 31), got {kernel_size:?}; \
                 use kernel_size (31, 31) or pretrained(false)"
            ),
        ));
    }
    Ok(())
}

/// The amplitude ratio to use: pretrained models have 1.25 (and refuse another explicit
/// value); otherwise the explicit value or the default 1.25.
pub(crate) fn amplitude_ratio(model: &str, pretrained: bool, explicit: Option<f64>) -> Result<f64> {
    match (pretrained, explicit) {
        (true, Some(r)) if r != 1.25 => Err(Error::invalid(
            "amplitude_ratio",
            format!("the pretrained {model} has amplitude_ratio 1.25, got {r}"),
        )),
        (_, Some(r)) => Ok(r),
        (_, None) => Ok(1.25),
    }
}

/// A pretrained value as plenoptic stores it (a float32 tensor), widened to f64.
pub(crate) fn f32_value(v: f32) -> f64 {
    v as f64
}

/// `n` gain scalars drawn like plenoptic's `torch.rand(n) * 10`, from the crate's seeded
/// generator.
pub(crate) fn random_scalars(n: usize) -> Vec<f64> {
    use rand::Rng;
    with_rng(|r| (0..n).map(|_| r.gen::<f64>() * 10.0).collect())
}

/// Refuses images with more than one channel (plenoptic's frontend models filter one
/// grey channel).
pub(crate) fn check_one_channel<E: Float, D: Device<E>, T: Tape<E, D>>(
    model: &str,
    x: &Image<E, T, D>,
) -> Result<()> {
    let d = dims(x);
    if d[1] != 1 {
        return Err(Error::ShapeMismatch(format!(
            "{model} takes images with 1 channel, got shape {d:?}"
        )));
    }
    Ok(())
}

/// Titles for a bank of filters: `name` for one channel, `name 0`, `name 1`, ... (or the
/// given suffixes) for several.
pub(crate) fn titles(name: &str, n: usize, suffixes: Option<&[&str]>) -> Vec<String> {
    match (n, suffixes) {
        (1, _) => vec![name.to_string()],
        (_, Some(s)) => s.iter().map(|s| format!("{name} {s}")).collect(),
        _ => (0..n).map(|i| format!("{name} {i}")).collect(),
    }
}
