//! Differentiable operations that dfdx lacks. Each public function dispatches on the
//! tensor's device ([`crate::Device`]). On the CPU each op is registered on dfdx's tape
//! through its public API (`split_tape`, `ghost`, `Tape::add_backward_op`,
//! `Gradients::get_or_alloc_mut`, `put_tape`), forward and adjoint side by side in each
//! file; the tests check both the adjoint identity and finite-difference gradients. On the
//! GPU (`portable`) the same ops are built from dfdx's own tensor operations (matrix
//! products for convolution, padding and shifts), tested on the CPU against the first.
//!
//! Nothing here uses dfdx's `slice`, whose CPU backward assigns instead of accumulating.

pub(crate) mod channels;
pub(crate) mod checks;
pub(crate) mod conv;
pub(crate) mod fft;
pub(crate) mod gain;
pub(crate) mod pad;
pub(crate) mod pointwise;
#[doc(hidden)]
pub mod portable;
pub(crate) mod reduce;
pub(crate) mod roll;
#[cfg(test)]
pub(crate) mod test_util;

pub use channels::{mask, select_channels};
pub use conv::{conv2d, conv2d_same, Filter};
pub use gain::Activation;
#[doc(hidden)]
pub use gain::Gain;
pub use pad::{pad, PadMode};
pub use pointwise::{map, map2, map2_halves, softplus};
pub use reduce::{mse, sum_squares};
pub use roll::roll;

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;

use dfdx::prelude::{HasShape, PutTape, ReshapeTo, SplitTape, Tensor, TensorFromVec};
use dfdx::shapes::Shape;

use crate::tensor::{device, Dev, Float, Shape4, Tape};

/// The values of `x` (row-major), read with one copy into a new buffer; `x` is handed
/// back (made contiguous first if it was a strided view, which records a copy on its tape).
pub(crate) fn values<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
) -> (Tensor<Shape4, E, Dev, T>, Vec<E>) {
    let x = x.contiguous();
    let mut v = vec![E::zero(); x.shape().num_elements()];
    x.copy_into(&mut v);
    (x, v)
}

thread_local! {
    /// One reusable read buffer per element type, so reading an op's input allocates (and
    /// page-faults) only when it grows.
    static SCRATCH: RefCell<HashMap<TypeId, Box<dyn Any>>> = RefCell::new(HashMap::new());
}

/// Calls `f` with the values of `x` (row-major), copied into a reused per-thread buffer;
/// `x` is handed back (made contiguous first if needed, as [`values`]).
pub(crate) fn read<E: Float, T: Tape<E>, R>(
    x: Tensor<Shape4, E, Dev, T>,
    f: impl FnOnce(&[E]) -> R,
) -> (Tensor<Shape4, E, Dev, T>, R) {
    let x = x.contiguous();
    let n = x.shape().num_elements();
    // take the buffer out, so a nested read (none today) would just allocate its own
    let mut buf: Vec<E> = SCRATCH
        .with(|s| s.borrow_mut().remove(&TypeId::of::<E>()))
        .and_then(|b| b.downcast::<Vec<E>>().ok())
        .map(|b| *b)
        .unwrap_or_default();
    buf.resize(n, E::zero());
    x.copy_into(&mut buf);
    let r = f(&buf);
    SCRATCH.with(|s| s.borrow_mut().insert(TypeId::of::<E>(), Box::new(buf)));
    (x, r)
}

/// Moves the gradient of the ghost `$t` out of `$grads` (an adjoint reads it while it adds
/// into another gradient, without a copy); `put_grad!` puts it back.
macro_rules! take_grad {
    ($grads:expr, $t:expr) => {
        std::mem::take(&mut **$grads.get_or_alloc_mut($t)?)
    };
}

macro_rules! put_grad {
    ($grads:expr, $t:expr, $g:expr) => {
        **$grads.get_or_alloc_mut($t)? = $g
    };
}

/// Records a one-input op: `out` (already computed) depends on `x` through `adjoint`, which
/// adds the input's gradient contribution (second argument) for the output's gradient
/// (first argument).
pub(crate) fn record1<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    out: Vec<E>,
    out_shape: Shape4,
    adjoint: impl FnOnce(&[E], &mut [E]) + 'static,
) -> Tensor<Shape4, E, Dev, T> {
    let (x, mut tape) = x.split_tape();
    let out = device().tensor_from_vec(out, out_shape);
    if T::OWNS_TAPE {
        let (xg, og) = (x.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            let gy = take_grad!(grads, &og);
            adjoint(&gy, grads.get_or_alloc_mut(&xg)?);
            put_grad!(grads, &og, gy);
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// Records a two-input op (inputs of any shapes): `adjoint_a` and `adjoint_b` add the
/// gradient contributions of `a` and `b` for the output's gradient.
pub(crate) fn record2<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Dev, T>,
    b: Tensor<Shape4, E, Dev, T>,
    out: Vec<E>,
    out_shape: Shape4,
    adjoint_a: impl FnOnce(&[E], &mut [E]) + 'static,
    adjoint_b: impl FnOnce(&[E], &mut [E]) + 'static,
) -> Tensor<Shape4, E, Dev, T> {
    let (a, ta) = a.split_tape();
    let (b, tb) = b.split_tape();
    let mut tape = dfdx::tensor::Merge::merge(ta, tb);
    let out = device().tensor_from_vec(out, out_shape);
    if T::OWNS_TAPE {
        let (ag, bg, og) = (a.ghost(), b.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            let gy = take_grad!(grads, &og);
            // one at a time: a and b may be the same tensor
            adjoint_a(&gy, grads.get_or_alloc_mut(&ag)?);
            adjoint_b(&gy, grads.get_or_alloc_mut(&bg)?);
            put_grad!(grads, &og, gy);
            Ok(())
        });
    }
    out.put_tape(tape)
}
