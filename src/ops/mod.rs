//! Differentiable operations that dfdx lacks, each registered on dfdx's tape through its
//! public API (`split_tape`, `ghost`, `Tape::add_backward_op`, `Gradients::get_or_alloc_mut`,
//! `put_tape`). Forward and adjoint live side by side in each file, and the tests check
//! both the adjoint identity and finite-difference gradients.
//!
//! Nothing here uses dfdx's `slice`, whose CPU backward assigns instead of accumulating.

mod channels;
mod conv;
pub(crate) mod fft;
mod pad;
mod pointwise;
mod reduce;
mod roll;

pub use channels::{mask, select_channels};
pub use conv::{conv2d, conv2d_same, Filter};
pub use pad::{pad, PadMode};
pub use pointwise::{map, map2, map2_halves, softplus};
pub use reduce::{mse, sum_squares};
pub use roll::roll;

use dfdx::prelude::{HasShape, PutTape, ReshapeTo, SplitTape, Tensor, TensorFromVec};
use dfdx::shapes::Shape;

use crate::tensor::{device, Dev, Float, Shape4, Tape};

/// The values of `x` (row-major), read with one copy; `x` is handed back (made contiguous
/// first if it was a strided view, which records a copy on its tape).
pub(crate) fn values<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
) -> (Tensor<Shape4, E, Dev, T>, Vec<E>) {
    let x = x.contiguous();
    let mut v = vec![E::zero(); x.shape().num_elements()];
    x.copy_into(&mut v);
    (x, v)
}

/// Records a one-input op: `out` (already computed) depends on `x` through `adjoint`, which
/// maps the output's gradient to the input's gradient contribution.
pub(crate) fn record1<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    out: Vec<E>,
    out_shape: Shape4,
    adjoint: impl FnOnce(&[E]) -> Vec<E> + 'static,
) -> Tensor<Shape4, E, Dev, T> {
    let (x, mut tape) = x.split_tape();
    let out = device().tensor_from_vec(out, out_shape);
    let (xg, og) = (x.ghost(), out.ghost());
    tape.add_backward_op(move |grads| {
        let g_in = adjoint(grads.get_or_alloc_mut(&og)?);
        let gx = grads.get_or_alloc_mut(&xg)?;
        for (a, b) in gx.iter_mut().zip(g_in) {
            *a += b;
        }
        Ok(())
    });
    out.put_tape(tape)
}

/// Records a two-input op (inputs of any shapes): `adjoint` maps the output's gradient to
/// the gradient contributions of `a` and `b`.
pub(crate) fn record2<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Dev, T>,
    b: Tensor<Shape4, E, Dev, T>,
    out: Vec<E>,
    out_shape: Shape4,
    adjoint: impl FnOnce(&[E]) -> (Vec<E>, Vec<E>) + 'static,
) -> Tensor<Shape4, E, Dev, T> {
    let (a, ta) = a.split_tape();
    let (b, tb) = b.split_tape();
    let mut tape = dfdx::tensor::Merge::merge(ta, tb);
    let out = device().tensor_from_vec(out, out_shape);
    let (ag, bg, og) = (a.ghost(), b.ghost(), out.ghost());
    tape.add_backward_op(move |grads| {
        let (ga, gb) = adjoint(grads.get_or_alloc_mut(&og)?);
        for (x, y) in grads.get_or_alloc_mut(&ag)?.iter_mut().zip(ga) {
            *x += y;
        }
        for (x, y) in grads.get_or_alloc_mut(&bg)?.iter_mut().zip(gb) {
            *x += y;
        }
        Ok(())
    });
    out.put_tape(tape)
}

