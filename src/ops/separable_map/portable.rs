//! The portable separable map: its row and column matrices applied with dfdx matmuls
//! (`ops/separable.rs`).

use dfdx::prelude::{ReshapeTo, Tape, Tensor};
use dfdx::tensor_ops::Device;

use super::SeparableMap;
use crate::error::Result;
use crate::ops::backend::backend;
use crate::ops::separable::{Linear, Term};
use crate::tensor::{dims, Float, Shape4};

/// [`SeparableMapKernel`] by the portable functions of this file (the GPU's, and the CPU's
/// under the `portable-cpu` feature).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::SeparableMapKernel<$e> for $dev {
            fn separable_map<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                map: &SeparableMap,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                separable_map(x, map)
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);

/// Applies `map` to every plane of `x`, as [`crate::ops::separable_map`], with matmuls.
///
/// # Errors
/// [`Error::Backend`] only (the input's size checked by the caller).
pub(crate) fn separable_map<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    map: &SeparableMap,
) -> Result<Tensor<Shape4, E, D, T>> {
    let [b, c, h, w] = dims(&x);
    let (ho, wo) = map.output_size();
    let lin = Linear {
        cin: 1,
        cout: 1,
        ho,
        wo,
        terms: vec![Term {
            input: 0,
            output: 0,
            a: map.rows().to_vec(),
            b: map.cols().to_vec(),
        }],
        bias: None,
    };
    let x = x
        .try_reshape_like(&(b * c, 1, h, w))
        .map_err(backend("separable map"))?;
    lin.apply(x)?
        .try_reshape_like(&(b, c, ho, wo))
        .map_err(backend("separable map"))
}
