//! The portable seeded backward pass: `sum(y * seed)`, differentiated by dfdx.

use dfdx::prelude::{Gradients, HasShape, OwnedTape, SumTo, Tensor, TryMul};
use dfdx::shapes::Rank0;
use dfdx::tensor_ops::{Backward, Device};

use crate::error::{Error, Result};
use crate::ops::backend::{backend, upload_e};
use crate::tensor::{dims, Float, Shape4};

/// [`BackwardKernel`] by the portable functions of this file (the GPU's, and the CPU's under
/// the `portable-cpu` feature).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::BackwardKernel<$e> for $dev {
            fn backward_with(
                y: crate::Image<$e, dfdx::prelude::OwnedTape<$e, $dev>, $dev>,
                seed: Vec<$e>,
            ) -> crate::Result<dfdx::prelude::Gradients<$e, $dev>> {
                backward_with(y, &seed)
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);

/// Runs the backward pass from `y` seeded with `seed` (dL/dy, row-major, one value per
/// element of `y`), as `sum(y * seed)`, and returns every gradient.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `seed` does not have one value per element;
/// [`Error::Backend`].
pub(crate) fn backward_with<E: Float, D: Device<E>>(
    y: Tensor<Shape4, E, D, OwnedTape<E, D>>,
    seed: &[E],
) -> Result<Gradients<E, D>> {
    let n: usize = dims(&y).iter().product();
    if seed.len() != n {
        return Err(Error::shape_mismatch(
            "backward seed against the output's size",
            [n],
            [seed.len()],
        ));
    }
    let s = upload_e(&y.device().clone(), seed.to_vec(), *y.shape())?;
    y.try_mul(s)
        .and_then(|p| p.try_sum::<Rank0, _>())
        .and_then(|l| l.try_backward())
        .map_err(backend("backward pass"))
}
