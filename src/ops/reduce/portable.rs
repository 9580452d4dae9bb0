//! The portable reductions: dfdx sums.

use dfdx::prelude::{Axis, ReshapeTo, SumTo, Tape, Tensor, TryDiv, TrySub};
use dfdx::shapes::Rank0;
use dfdx::tensor_ops::Device;

use crate::error::Result;
use crate::ops::backend::backend;
use crate::tensor::{dims, Float, Shape4};

/// [`ReduceKernel`] by the portable functions of this file (the GPU's, and the CPU's under
/// the `portable-cpu` feature).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::ReduceKernel<$e> for $dev {
            fn sum_squares<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                sum_squares(x)
            }
            fn mse<T: crate::Tape<$e, $dev>>(
                a: crate::Image<$e, T, $dev>,
                b: crate::Image<$e, T, $dev>,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                mse(a, b)
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);

/// Sum over every element of a 4-D tensor, by rows first (shorter running sums than one
/// long one, for f32), as a (1, 1, 1, 1) tensor.
fn total<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
) -> Result<Tensor<Shape4, E, D, T>> {
    x.try_sum::<(usize, usize, usize), Axis<3>>()
        .and_then(|s| s.try_sum::<Rank0, _>())
        .and_then(|s| s.try_reshape_like(&(1usize, 1usize, 1usize, 1usize)))
        .map_err(backend("sum"))
}

/// Sum of squares of every element, as a (1, 1, 1, 1) tensor, as
/// [`crate::ops::sum_squares`].
///
/// # Errors
/// [`Error::Backend`] only.
pub(crate) fn sum_squares<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
) -> Result<Tensor<Shape4, E, D, T>> {
    total(x.try_square().map_err(backend("sum_squares"))?)
}

/// Mean squared error of two images of the same shape, as a (1, 1, 1, 1) tensor, as
/// [`crate::ops::mse`]. Differentiable with respect to both.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ; [`Error::Backend`].
pub(crate) fn mse<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Tensor<Shape4, E, D, T>,
    b: Tensor<Shape4, E, D, T>,
) -> Result<Tensor<Shape4, E, D, T>> {
    crate::ops::checks::same_shape("mse of", dims(&a), dims(&b))?;
    let n = E::of_f64(dims(&a).iter().product::<usize>() as f64);
    let sq = a
        .try_sub(b)
        .and_then(|d| d.try_square())
        .map_err(backend("mse"))?;
    total(sq)?.try_div(n).map_err(backend("mse"))
}
