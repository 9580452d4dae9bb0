//! SSIM's windowed statistics, map and plane mean as one op (plenoptic's `ssim`): the
//! five local moments (means, second moments, cross moment) under a separable window,
//! the SSIM map and its (optionally weighted) mean per plane. On the CPU it is one fused
//! host loop with its adjoint written out (`ssim/cpu.rs`); other devices decline it
//! ([`Fused::Declined`]) and the metric composes the same formula from
//! [`crate::ops::separable_map`] and element-wise ops (`metric/ssim.rs`), which the tests
//! check against the fused kernel on the CPU.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

use crate::error::{Error, Result};
use crate::ops::checks::{linear_fill, same_frame};
use crate::ops::PadMode;
use crate::tensor::{dims, Float, Image, Tape};
use crate::Device;

/// plenoptic's SSIM constants `C1 = 0.01²`, `C2 = 0.03²`.
pub(crate) const C1: f64 = 1e-4;
/// See [`C1`].
pub(crate) const C2: f64 = 9e-4;

/// SSIM's window: the separable taps (the same along rows and columns) and plenoptic's
/// `same_padding` mode before it (`None`: no padding, a valid correlation).
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq)]
pub struct SsimWindow {
    pub(crate) taps: Vec<f64>,
    pub(crate) pad: Option<PadMode>,
}

/// One axis of the window over an axis of `n` pixels: the source pixel of each index of
/// the (padded) frame, `out + taps - 1` of them (`None`: constant padding, zero).
pub(crate) struct Axis {
    pub(crate) out: usize,
    /// Padding before the first pixel.
    pub(crate) before: usize,
    pub(crate) src: Vec<Option<usize>>,
}

impl SsimWindow {
    /// The window with these taps after padding in `pad` mode.
    pub(crate) fn new(taps: Vec<f64>, pad: Option<PadMode>) -> Self {
        SsimWindow { taps, pad }
    }

    /// The window along an axis of `n` pixels.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no taps or a constant fill other than 0;
    /// [`Error::PaddingTooLarge`] when the mode cannot pad that much;
    /// [`Error::KernelTooLarge`] when the window does not fit a valid correlation.
    pub(crate) fn axis(&self, n: usize) -> Result<Axis> {
        let k = self.taps.len();
        if k == 0 {
            return Err(Error::invalid("SSIM window", "needs at least one tap"));
        }
        linear_fill(self.pad)?;
        let (before, src) = same_frame(n, k, self.pad)?;
        Ok(Axis {
            out: src.len() - k + 1,
            before,
            src,
        })
    }
}

/// What a device's fused kernel ([`SsimKernel`], [`NlpdKernel`](crate::ops::NlpdKernel)) did.
#[doc(hidden)]
pub enum Fused<E: Float, T, D: dfdx::tensor::Storage<E>> {
    /// The device computed the op (the SSIM means, NLPD).
    Done(Image<E, T, D>),
    /// The device has no fused kernel: the two images, handed back to be composed from
    /// other ops.
    Declined(Image<E, T, D>, Image<E, T, D>),
}

/// The fused SSIM kernel of a device: [`ssim_mean`]. Call the function, not this method.
#[doc(hidden)]
pub trait SsimKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`ssim_mean`] on this device, or the images back when it has no fused kernel.
    fn ssim_mean<T: Tape<E, Self>>(
        a: Image<E, T, Self>,
        b: Image<E, T, Self>,
        window: &SsimWindow,
        weighted: bool,
    ) -> Result<Fused<E, T, Self>>;
}

/// The mean of the SSIM map of `a` and `b` (of one shape) per plane, weighted by
/// `log((1 + σa²/C2)(1 + σb²/C2))` when `weighted`: shape (batch, channel, 1, 1), or the
/// images back when the device has no fused kernel.
///
/// # Errors
/// [`Error::ShapeMismatch`] for images of different shapes; the window's errors
/// ([`SsimWindow::axis`]).
pub(crate) fn ssim_mean<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
    window: &SsimWindow,
    weighted: bool,
) -> Result<Fused<E, T, D>> {
    let (da, db) = (dims(&a), dims(&b));
    if da != db {
        return Err(Error::shape_mismatch("the two images of SSIM", da, db));
    }
    D::ssim_mean(a, b, window, weighted)
}
