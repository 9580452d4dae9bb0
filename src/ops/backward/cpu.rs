//! The CPU's seeded backward pass: the seed is added straight into `y`'s gradient.

use dfdx::prelude::{Cpu, Gradients, OwnedTape, PutTape, SplitTape, ZerosTensor};
use dfdx::shapes::Rank0;
use dfdx::tensor::Tape as _;
use dfdx::tensor_ops::Backward;

use crate::device::cpu;
use crate::error::{Error, Result};
use crate::ops::pool::Pooled;
use crate::tensor::{Float, Image};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::BackwardKernel<E> for Cpu {
    fn backward_with(
        y: crate::Image<E, dfdx::prelude::OwnedTape<E, dfdx::prelude::Cpu>>,
        seed: Vec<E>,
    ) -> crate::Result<dfdx::prelude::Gradients<E, dfdx::prelude::Cpu>> {
        backward_with(y, seed)
    }
}

/// [`super::backward_with`] on the CPU.
pub(crate) fn backward_with<E: Float>(
    y: Image<E, OwnedTape<E, Cpu>>,
    seed: Vec<E>,
) -> Result<Gradients<E, Cpu>> {
    let (y, mut tape) = y.split_tape();
    let yg = y.ghost();
    tape.add_backward_op(move |grads| {
        let g = grads.get_or_alloc_mut(&yg)?;
        for (a, b) in g.iter_mut().zip(&seed) {
            *a += *b;
        }
        // the seed's buffer is reused by the next op that needs one
        drop(Pooled::from(seed));
        Ok(())
    });
    let root = cpu().zeros::<Rank0>().put_tape(tape);
    root.try_backward()
        .map_err(|e| Error::backend("backward pass", e))
}
