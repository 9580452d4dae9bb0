//! The portable roll: permutation matrices applied with dfdx matmuls.

use dfdx::prelude::{ReshapeTo, Tape, Tensor};
use dfdx::tensor_ops::Device;

use crate::error::Result;
use crate::ops::backend::backend;
use crate::ops::separable::{gather_rows, Linear, Term};
use crate::tensor::{dims, Float, Shape4};

/// [`RollKernel`] by the portable functions of this file (the GPU's, and the CPU's under
/// the `portable-cpu` feature).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::RollKernel<$e> for $dev {
            fn roll<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                shift: (isize, isize),
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                roll(x, shift)
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);

/// Rolls the image by `shift = (rows, cols)` with wrap-around, as [`crate::ops::roll`]
/// (torch's `x.roll((rows, cols), (-2, -1))`), with permutation matrices.
///
/// # Errors
/// [`Error::Backend`] only.
pub(crate) fn roll<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    shift: (isize, isize),
) -> Result<Tensor<Shape4, E, D, T>> {
    let [b, c, h, w] = dims(&x);
    let map = Linear {
        cin: 1,
        cout: 1,
        ho: h,
        wo: w,
        terms: vec![Term {
            input: 0,
            output: 0,
            a: gather_rows(h, |i| {
                Some((i as isize - shift.0).rem_euclid(h as isize) as usize)
            }),
            b: gather_rows(w, |j| {
                Some((j as isize - shift.1).rem_euclid(w as isize) as usize)
            }),
        }],
        bias: None,
    };
    let x = x
        .try_reshape_like(&(b * c, 1, h, w))
        .map_err(backend("roll"))?;
    map.apply(x)?
        .try_reshape_like(&(b, c, h, w))
        .map_err(backend("roll"))
}
