//! The CPU kernels' tape helpers: reading an op's input values, and recording an op whose
//! output was computed on the host, with its adjoint, on dfdx's tape (through its public
//! API: `split_tape`, `ghost`, `Tape::add_backward_op`, `Gradients::get_or_alloc_mut`,
//! `put_tape`).

use dfdx::prelude::{Cpu, HasShape, PutTape, ReshapeTo, SplitTape, Tensor};
use dfdx::shapes::Shape;
use dfdx::tensor::{CpuError, Gradients};

use crate::ops::pool::{self, Pooled};
use crate::tensor::{ByFloat, Float, PerFloat, Shape4, Tape};

/// An adjoint: adds an input's gradient (second argument) for the output's gradient
/// (first argument).
type Adjoint<E> = Box<dyn FnOnce(&[E], &mut [E])>;

/// A recorded op's backward step, as dfdx's tape runs it.
type Backward<E> = Box<dyn FnOnce(&mut Gradients<E, Cpu>) -> Result<(), CpuError>>;

/// A tape-less CPU image.
type Plain<E> = Tensor<Shape4, E, Cpu>;

/// Builds the backward step of a one-input op from its input, its output and its adjoint.
type Backward1<E> = fn(&Plain<E>, &Plain<E>, Adjoint<E>) -> Backward<E>;

/// Builds the backward step of a two-input op from its inputs and output and their
/// adjoints.
type Backward2<E> = fn([&Plain<E>; 3], Adjoint<E>, Adjoint<E>) -> Backward<E>;

/// The tape helpers' work on tape-less tensors of one element type: reading values,
/// building outputs, the backward steps' gradient bookkeeping. Compiled here for f32 and
/// f64 and reached through [`HOST`], so that a crate calling an op (each evcxr notebook
/// cell is one) compiles only the tape's split and merge, not dfdx's allocation cache and
/// gradient map.
struct Host<E: Float> {
    values: fn(&Plain<E>) -> Pooled<E>,
    output: fn(Pooled<E>, Shape4) -> Plain<E>,
    backward1: Backward1<E>,
    backward2: Backward2<E>,
}

struct HostFamily;
impl PerFloat for HostFamily {
    type Of<E: Float> = Host<E>;
}

static HOST: ByFloat<HostFamily> = ByFloat {
    single: Host {
        values: host_values::<f32>,
        output: pool::output::<f32>,
        backward1: host_backward1::<f32>,
        backward2: host_backward2::<f32>,
    },
    double: Host {
        values: host_values::<f64>,
        output: pool::output::<f64>,
        backward1: host_backward1::<f64>,
        backward2: host_backward2::<f64>,
    },
};

/// The values of a contiguous tensor, copied into a pooled buffer.
fn host_values<E: Float>(x: &Tensor<Shape4, E, Cpu>) -> Pooled<E> {
    let mut v = pool::take(x.shape().num_elements());
    x.copy_into(&mut v);
    v
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

fn host_backward1<E: Float>(
    x: &Tensor<Shape4, E, Cpu>,
    out: &Tensor<Shape4, E, Cpu>,
    adjoint: Adjoint<E>,
) -> Backward<E> {
    let (xg, og) = (x.ghost(), out.ghost());
    Box::new(move |grads| {
        let gy = take_grad!(grads, &og);
        adjoint(&gy, grads.get_or_alloc_mut(&xg)?);
        put_grad!(grads, &og, gy);
        Ok(())
    })
}

fn host_backward2<E: Float>(
    [a, b, out]: [&Tensor<Shape4, E, Cpu>; 3],
    adjoint_a: Adjoint<E>,
    adjoint_b: Adjoint<E>,
) -> Backward<E> {
    let (ag, bg, og) = (a.ghost(), b.ghost(), out.ghost());
    Box::new(move |grads| {
        let gy = take_grad!(grads, &og);
        // one at a time: a and b may be the same tensor
        adjoint_a(&gy, grads.get_or_alloc_mut(&ag)?);
        adjoint_b(&gy, grads.get_or_alloc_mut(&bg)?);
        put_grad!(grads, &og, gy);
        Ok(())
    })
}

/// The values of `x` (row-major), read with one copy into a pooled buffer; `x` is handed
/// back (made contiguous first if it was a strided view, which records a copy on its tape).
pub(crate) fn values<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
) -> (Tensor<Shape4, E, Cpu, T>, Pooled<E>) {
    let (x, tape) = x.contiguous().split_tape();
    let v = (E::pick(&HOST).values)(&x);
    (x.put_tape(tape), v)
}

/// Calls `f` with the values of `x` (row-major), copied into a reused per-thread buffer
/// ([`Float::with_scratch`]: no allocation outside a synthesis loop either); `x` is handed
/// back (made contiguous first if needed, as [`values`]).
pub(crate) fn read<E: Float, T: Tape<E>, R>(
    x: Tensor<Shape4, E, Cpu, T>,
    f: impl FnOnce(&[E]) -> R,
) -> (Tensor<Shape4, E, Cpu, T>, R) {
    let x = x.contiguous();
    let n = x.shape().num_elements();
    let r = E::with_scratch(|buf| {
        buf.resize(n, E::zero());
        x.copy_into(buf);
        f(buf)
    });
    (x, r)
}

/// Records a one-input op: `out` (already computed) depends on `x` through `adjoint`, which
/// adds the input's gradient contribution (second argument) for the output's gradient
/// (first argument).
pub(crate) fn record1<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    out: Pooled<E>,
    out_shape: Shape4,
    adjoint: impl FnOnce(&[E], &mut [E]) + 'static,
) -> Tensor<Shape4, E, Cpu, T> {
    let host = E::pick(&HOST);
    let (x, mut tape) = x.split_tape();
    let out = (host.output)(out, out_shape);
    if T::OWNS_TAPE {
        tape.add_backward_op((host.backward1)(&x, &out, Box::new(adjoint)));
    }
    out.put_tape(tape)
}

/// Records a two-input op (inputs of any shapes): `adjoint_a` and `adjoint_b` add the
/// gradient contributions of `a` and `b` for the output's gradient.
pub(crate) fn record2<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Cpu, T>,
    b: Tensor<Shape4, E, Cpu, T>,
    out: Pooled<E>,
    out_shape: Shape4,
    adjoint_a: impl FnOnce(&[E], &mut [E]) + 'static,
    adjoint_b: impl FnOnce(&[E], &mut [E]) + 'static,
) -> Tensor<Shape4, E, Cpu, T> {
    let host = E::pick(&HOST);
    let (a, ta) = a.split_tape();
    let (b, tb) = b.split_tape();
    let mut tape = dfdx::tensor::Merge::merge(ta, tb);
    let out = (host.output)(out, out_shape);
    if T::OWNS_TAPE {
        tape.add_backward_op((host.backward2)(
            [&a, &b, &out],
            Box::new(adjoint_a),
            Box::new(adjoint_b),
        ));
    }
    out.put_tape(tape)
}

/// The host half of a one-input CPU op for one element type: its output shape, its values
/// and its adjoint. Ops build it with a constructor compiled in this crate for f32 and f64
/// (a `static ByFloat` of `fn` pointers, [`crate::tensor::Float::pick`]) and record it with
/// [`run1`], so a crate that calls the op (each evcxr notebook cell is one) compiles only
/// [`run1`]'s tape wiring, not the op's loops and FFTs.
pub(crate) trait HostOp1<E: Float>: 'static {
    /// The output's shape.
    fn out_shape(&self) -> Shape4;
    /// The output's values for the input's values `x` (a buffer the op may reuse for its
    /// output); `grad` says whether the adjoint will be needed (what it needs is kept in
    /// `self`).
    ///
    /// # Errors
    /// What the op refuses in the values (non-finite input, ...).
    fn forward(&mut self, x: Pooled<E>, grad: bool) -> crate::error::Result<Pooled<E>>;
    /// Adds the input's gradient for the output's gradient `gy` into `gx`. Runs at most
    /// once, after [`Self::forward`]: it may use up what the forward kept.
    fn adjoint(&mut self, gy: &[E], gx: &mut [E]);
}

/// Computes `op` on `x`'s values and records its adjoint on `x`'s tape.
///
/// # Errors
/// What [`HostOp1::forward`] refuses.
pub(crate) fn run1<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    mut op: Box<dyn HostOp1<E>>,
) -> crate::error::Result<Tensor<Shape4, E, Cpu, T>> {
    let (x, xv) = values(x);
    let out = op.forward(xv, T::OWNS_TAPE)?;
    Ok(record1(x, out, op.out_shape(), move |gy, gx| {
        op.adjoint(gy, gx)
    }))
}

/// The host half of a two-input CPU op of two inputs of one shape, as [`HostOp1`].
pub(crate) trait HostOp2<E: Float>: 'static {
    /// The output's shape.
    fn out_shape(&self) -> Shape4;
    /// The output's values for the inputs' values, computed in `a`'s buffer (which it
    /// returns); `grad` as in [`HostOp1::forward`].
    ///
    /// # Errors
    /// What the op refuses in the values.
    fn forward(&mut self, a: Pooled<E>, b: &[E], grad: bool) -> crate::error::Result<Pooled<E>>;
    /// Adds the first input's gradient for the output's gradient `gy` into `ga`.
    fn adjoint_a(&self, gy: &[E], ga: &mut [E]);
    /// Adds the second input's gradient for the output's gradient `gy` into `gb`.
    fn adjoint_b(&self, gy: &[E], gb: &mut [E]);
}

/// Computes `op` on the values of `a` and `b` and records its adjoints on their tapes.
///
/// # Errors
/// What [`HostOp2::forward`] refuses.
pub(crate) fn run2<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Cpu, T>,
    b: Tensor<Shape4, E, Cpu, T>,
    mut op: Box<dyn HostOp2<E>>,
) -> crate::error::Result<Tensor<Shape4, E, Cpu, T>> {
    let (a, av) = values(a);
    let (b, out) = read(b, |bv| op.forward(av, bv, T::OWNS_TAPE));
    let shape = op.out_shape();
    let op: std::sync::Arc<dyn HostOp2<E>> = std::sync::Arc::from(op);
    let op_b = op.clone();
    Ok(record2(
        a,
        b,
        out?,
        shape,
        move |gy, ga| op.adjoint_a(gy, ga),
        move |gy, gb| op_b.adjoint_b(gy, gb),
    ))
}
