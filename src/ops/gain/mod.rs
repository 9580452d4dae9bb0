//! The element-wise steps of plenoptic's frontend models: luminance and contrast gain
//! control, the output nonlinearity, and squaring. On the CPU each step is one fused
//! element-wise op (value and derivative in one pass); on other devices the same formula
//! is built from dfdx's own tensor operations (`ops/gain/portable.rs`), which the
//! tests check against the fused version on the CPU.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;
#[cfg(test)]
mod tests;

use crate::error::{Error, Result};
use crate::ops::softplus;
use crate::tensor::{Float, Image, Tape};
use crate::Device;

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

/// The frontend models' element-wise kernels of a device: [`gain()`], [`gain_halves`],
/// [`activate`] and [`square`] (crate-internal: the models call the functions).
#[doc(hidden)]
pub trait GainKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`gain()`] on this device.
    fn gain<T: Tape<E, Self>>(
        num: Image<E, T, Self>,
        den: Image<E, T, Self>,
        gain: Gain,
        scalars: &[f64],
        act: Activation,
    ) -> Result<Image<E, T, Self>>;
    /// [`gain_halves`] on this device.
    fn gain_halves<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        gain: Gain,
        scalars: &[f64],
        act: Activation,
    ) -> Result<Image<E, T, Self>>;
    /// [`activate`] on this device.
    fn activate<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        act: Activation,
    ) -> Result<Image<E, T, Self>>;
    /// [`square`] on this device.
    fn square<T: Tape<E, Self>>(x: Image<E, T, Self>) -> Result<Image<E, T, Self>>;
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
