//! The portable expand: dfdx's broadcast (its backward sums), made contiguous.

use dfdx::prelude::{Axes2, Axis, BroadcastTo, ReshapeTo, Tape, Tensor};
use dfdx::tensor_ops::Device;

use crate::error::Result;
use crate::ops::backend::backend;
use crate::tensor::{dims, Float, Shape4};

/// [`ExpandKernel`] by the portable functions of this file (the GPU's, and the CPU's under
/// the `portable-cpu` feature).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::ExpandKernel<$e> for $dev {
            fn expand<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                batch: usize,
                channels: usize,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                expand(x, batch, channels)
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);

/// Broadcasts the size-1 batch and channel dimensions of `x`, as [`crate::ops::expand`].
///
/// # Errors
/// [`Error::Backend`] only (the target checked by the caller).
pub(crate) fn expand<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    batch: usize,
    channels: usize,
) -> Result<Tensor<Shape4, E, D, T>> {
    let [b, c, h, w] = dims(&x);
    let to = (batch, channels, h, w);
    let e = backend("expand");
    let y = match (b == batch, c == channels) {
        (true, true) => x,
        (false, false) => x
            .try_reshape_like(&(h, w))
            .and_then(|x| x.try_broadcast_like::<Shape4, Axes2<0, 1>>(&to))
            .map_err(e)?,
        (false, true) => x
            .try_reshape_like(&(c, h, w))
            .and_then(|x| x.try_broadcast_like::<Shape4, Axis<0>>(&to))
            .map_err(e)?,
        (true, false) => x
            .try_reshape_like(&(b, h, w))
            .and_then(|x| x.try_broadcast_like::<Shape4, Axis<1>>(&to))
            .map_err(e)?,
    };
    y.try_contiguous().map_err(backend("expand"))
}
