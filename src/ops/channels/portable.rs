//! The portable channel selection (a one-hot matmul on the channel axis) and masks (a
//! broadcast product).

use std::ops::Range;

use dfdx::prelude::{
    Axes2, Axes3, BroadcastTo, PermuteTo, ReshapeTo, Tape, Tensor, TryMatMul, TryMul,
};
use dfdx::tensor_ops::Device;

use crate::error::Result;
use crate::ops::backend::{backend, upload};
use crate::ops::checks::channel_range;
use crate::tensor::{dims, Float, Shape4};

/// [`ChannelsKernel`] by the portable functions of this file (the GPU's, and the CPU's under
/// the `portable-cpu` feature).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::ChannelsKernel<$e> for $dev {
            fn select_channels<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                range: Range<usize>,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                select_channels(x, range)
            }
            fn mask<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                mask: &[f64],
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                self::mask(x, mask)
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);

/// The channels `range` of `x`, as [`crate::ops::select_channels`]: the channel axis is
/// multiplied by a one-hot `(c, k)` matrix (the gradient flows back into those channels).
///
/// # Errors
/// [`Error::InvalidArgument`] for an empty range or one past the last channel;
/// [`Error::Backend`].
pub(crate) fn select_channels<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    range: Range<usize>,
) -> Result<Tensor<Shape4, E, D, T>> {
    let [b, c, h, w] = dims(&x);
    channel_range(&range, c)?;
    let k = range.end - range.start;
    let mut sel = vec![0.0f64; c * k];
    for (j, ch) in range.enumerate() {
        sel[ch * k + j] = 1.0;
    }
    let sel = upload::<E, D, _>(&x.device().clone(), &sel, (c, k))?;
    // (b, c, hw) viewed as (b, hw, c), times (c, k): (b, hw, k); back to (b, k, hw)
    x.try_reshape_like(&(b, c, h * w))
        .and_then(|x| x.try_permute::<(usize, usize, usize), Axes3<0, 2, 1>>())
        .and_then(|x| x.try_matmul(sel))
        .and_then(|y| y.try_permute::<(usize, usize, usize), Axes3<0, 2, 1>>())
        .and_then(|y| y.try_reshape_like(&(b, k, h, w)))
        .map_err(backend("select_channels"))
}

/// Multiplies every (height, width) plane of `x` by `mask` (row-major, `h * w` values), as
/// [`crate::ops::mask`], by a broadcast element-wise product.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `mask` does not have `h * w` values; [`Error::Backend`].
pub(crate) fn mask<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    mask: &[f64],
) -> Result<Tensor<Shape4, E, D, T>> {
    let [b, c, h, w] = dims(&x);
    crate::ops::checks::mask_fits(mask, h, w)?;
    let m = upload::<E, D, _>(&x.device().clone(), mask, (h, w))?
        .try_broadcast_like::<Shape4, Axes2<0, 1>>(&(b, c, h, w))
        .map_err(backend("mask"))?;
    x.try_mul(m).map_err(backend("mask"))
}
