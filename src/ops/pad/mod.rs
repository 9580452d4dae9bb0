//! Padding of the last two dimensions in torch's `F.pad` modes.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

use crate::error::{Error, Result};
use crate::tensor::{Float, Image, Tape};
use crate::Device;

/// How to fill the border when padding, as torch's `F.pad` modes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum PadMode {
    /// Wrap around: the image tiles the plane (`circular`). Padding must not exceed the
    /// dimension.
    Circular,
    /// Mirror without repeating the edge pixel (`reflect`): `[a b c]` pads to `c b | a b c | b a`.
    /// Padding must be smaller than the dimension.
    #[default]
    Reflect,
    /// Repeat the edge pixel (`replicate`).
    Replicate,
    /// A constant value (`constant`).
    Constant(f64),
}

impl PadMode {
    /// The mode's name as torch and plenoptic spell it.
    pub fn name(&self) -> &'static str {
        match self {
            PadMode::Circular => "circular",
            PadMode::Reflect => "reflect",
            PadMode::Replicate => "replicate",
            PadMode::Constant(_) => "constant",
        }
    }

    /// Source index along a dimension of size `n` for padded index `i` shifted by `before`,
    /// or `None` for the constant fill.
    pub(crate) fn source(&self, i: usize, before: usize, n: usize) -> Option<usize> {
        let j = i as isize - before as isize;
        let n_i = n as isize;
        Some(match self {
            PadMode::Circular => j.rem_euclid(n_i) as usize,
            PadMode::Replicate => j.clamp(0, n_i - 1) as usize,
            PadMode::Constant(_) => {
                if (0..n_i).contains(&j) {
                    j as usize
                } else {
                    return None;
                }
            }
            PadMode::Reflect => {
                if n == 1 {
                    0
                } else {
                    let period = 2 * (n_i - 1);
                    let k = j.rem_euclid(period);
                    (if k < n_i { k } else { period - k }) as usize
                }
            }
        })
    }

    /// Checks that a pad of `pad` is possible on a dimension of size `n`.
    pub(crate) fn check(&self, pad: usize, n: usize) -> Result<()> {
        let needed = match self {
            PadMode::Circular => pad,
            PadMode::Reflect => pad + 1,
            _ => 1,
        };
        if n < needed {
            return Err(Error::PaddingTooLarge {
                mode: self.name(),
                pad,
                needed,
                size: n,
            });
        }
        Ok(())
    }
}

impl std::str::FromStr for PadMode {
    type Err = Error;
    /// Parses plenoptic's names: `circular`, `reflect`, `replicate`, `constant` (zero fill).
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "circular" => PadMode::Circular,
            "reflect" => PadMode::Reflect,
            "replicate" => PadMode::Replicate,
            "constant" => PadMode::Constant(0.0),
            _ => {
                return Err(Error::invalid(
                    "pad_mode",
                    format!("{s:?} is not one of circular, reflect, replicate, constant"),
                ))
            }
        })
    }
}

/// The padding kernel of a device: [`pad`]. Call the function, not this method.
pub trait PadKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`pad`] on this device.
    fn pad<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        pads: [usize; 4],
        mode: PadMode,
    ) -> Result<Image<E, T, Self>>;
}

/// Pads the last two dimensions by `[top, bottom, left, right]` in `mode` (torch's
/// `F.pad(x, [left, right, top, bottom], mode)`). Differentiable with respect to `x`.
///
/// # Errors
/// [`Error::PaddingTooLarge`] where the mode cannot pad that much (reflect needs
/// pad < size, circular pad <= size, as torch).
pub fn pad<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    pads: [usize; 4],
    mode: PadMode,
) -> Result<Image<E, T, D>> {
    D::pad(x, pads, mode)
}
