//! The portable padding: 0/1 row and column matrices applied with dfdx matmuls.

use dfdx::prelude::{ReshapeTo, Tape, Tensor};
use dfdx::tensor_ops::Device;

use super::PadMode;
use crate::error::Result;
use crate::ops::backend::backend;
use crate::ops::checks::pads_fit;
use crate::ops::separable::{gather_rows, Linear, Term};
use crate::tensor::{dims, Float, Shape4};

/// [`PadKernel`] by the portable functions of this file (the GPU's, and the CPU's under
/// the `portable-cpu` feature).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::PadKernel<$e> for $dev {
            fn pad<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                pads: [usize; 4],
                mode: crate::ops::PadMode,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                pad(x, pads, mode)
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);

/// Pads the last two dimensions by `[top, bottom, left, right]` in `mode`, as
/// [`crate::ops::pad`], with 0/1 matrices (plus a bias image for a constant fill `!= 0`).
///
/// # Errors
/// [`Error::PaddingTooLarge`] as [`crate::ops::pad`]; [`Error::Backend`].
pub(crate) fn pad<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    pads: [usize; 4],
    mode: PadMode,
) -> Result<Tensor<Shape4, E, D, T>> {
    let [b, c, h, w] = dims(&x);
    let [top, bottom, left, right] = pads;
    pads_fit(mode, pads, h, w)?;
    let (ph, pw) = (h + top + bottom, w + left + right);
    let rows = |i| mode.source(i, top, h);
    let cols = |j| mode.source(j, left, w);
    let bias = match mode {
        PadMode::Constant(v) if v != 0.0 => Some(
            (0..ph * pw)
                .map(|k| {
                    let inside = rows(k / pw).is_some() && cols(k % pw).is_some();
                    if inside {
                        0.0
                    } else {
                        v
                    }
                })
                .collect(),
        ),
        _ => None,
    };
    let map = Linear {
        cin: 1,
        cout: 1,
        ho: ph,
        wo: pw,
        terms: vec![Term {
            input: 0,
            output: 0,
            a: gather_rows(ph, rows),
            b: gather_rows(pw, cols),
        }],
        bias,
    };
    let x = x
        .try_reshape_like(&(b * c, 1, h, w))
        .map_err(backend("pad"))?;
    map.apply(x)?
        .try_reshape_like(&(b, c, ph, pw))
        .map_err(backend("pad"))
}
