//! Runs the CPU through the GPU's code path, for tests: with [`set_gpu_path_on_cpu`], the
//! CPU's [`super::Device`] methods call the device-portable ops (`ops::portable`,
//! `ops::gain::*_builtin`) that the GPU runs, instead of the CPU's fused ops. So models,
//! metamers and eigendistortions can be checked end to end, on a machine without a GPU,
//! through exactly the code the GPU executes (only dfdx's CUDA kernels differ).
//!
//! The CPU's methods are generic over the element type and tape, and the portable ops
//! need dfdx's kernel bounds, which only concrete types satisfy; so a rerouted call finds
//! its concrete type (f32 or f64, with or without a tape) by `Any` and calls the portable
//! op on it.

use std::any::Any;
use std::cell::Cell;

use dfdx::prelude::{Cpu, OwnedTape};

use crate::tensor::{Float, Image, Tape};

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
}

/// Makes this thread's CPU ops take the GPU's code path (`true`) or their own (`false`,
/// the default). For tests of the GPU path on machines without a GPU.
#[doc(hidden)]
pub fn set_gpu_path_on_cpu(on: bool) {
    ON.with(|c| c.set(on));
}

/// Whether this thread's CPU ops take the GPU's code path.
pub(crate) fn on() -> bool {
    ON.with(|c| c.get())
}

/// An image of one of the four concrete types a CPU op can see.
pub(crate) enum Concrete {
    F32(Image<f32>),
    F32Taped(Image<f32, OwnedTape<f32, Cpu>>),
    F64(Image<f64>),
    F64Taped(Image<f64, OwnedTape<f64, Cpu>>),
}

/// Moves `x` out of its generic type into its concrete one.
pub(crate) fn concrete<E: Float, T: Tape<E>>(x: Image<E, T>) -> Concrete {
    let mut slot = Some(x);
    let any: &mut dyn Any = &mut slot;
    if let Some(s) = any.downcast_mut::<Option<Image<f32>>>() {
        return Concrete::F32(s.take().expect("just filled"));
    }
    if let Some(s) = any.downcast_mut::<Option<Image<f32, OwnedTape<f32, Cpu>>>>() {
        return Concrete::F32Taped(s.take().expect("just filled"));
    }
    if let Some(s) = any.downcast_mut::<Option<Image<f64>>>() {
        return Concrete::F64(s.take().expect("just filled"));
    }
    if let Some(s) = any.downcast_mut::<Option<Image<f64, OwnedTape<f64, Cpu>>>>() {
        return Concrete::F64Taped(s.take().expect("just filled"));
    }
    unreachable!("Float is f32 or f64 and a CPU tape is NoneTape or OwnedTape")
}

/// Moves a value of a concrete type back into the generic type `G` it was made from.
pub(crate) fn generic<G: 'static, C: 'static>(c: C) -> G {
    let mut slot = Some(c);
    let any: &mut dyn Any = &mut slot;
    any.downcast_mut::<Option<G>>()
        .and_then(Option::take)
        .expect("a rerouted op returns the type it was given")
}

/// Converts an element between a generic and a concrete float type (the same type at run
/// time, so exact).
pub(crate) fn cvt<A: Float, B: Float>(v: A) -> B {
    B::of_f64(v.as_f64())
}

/// Runs `$body` with `$x` bound to the concrete type of the image `$x`, and converts the
/// `Result<image>` it returns back to the generic type `$ret`.
macro_rules! reroute1 {
    ($ret:ty, $x:ident => $body:expr) => {{
        use $crate::device::reroute::{concrete, generic, Concrete};
        match concrete($x) {
            Concrete::F32($x) => $body.map(generic::<$ret, _>),
            Concrete::F32Taped($x) => $body.map(generic::<$ret, _>),
            Concrete::F64($x) => $body.map(generic::<$ret, _>),
            Concrete::F64Taped($x) => $body.map(generic::<$ret, _>),
        }
    }};
}

/// [`reroute1`] for two images of one type.
macro_rules! reroute2 {
    ($ret:ty, $a:ident, $b:ident => $body:expr) => {{
        use $crate::device::reroute::{concrete, generic, Concrete};
        match (concrete($a), concrete($b)) {
            (Concrete::F32($a), Concrete::F32($b)) => $body.map(generic::<$ret, _>),
            (Concrete::F32Taped($a), Concrete::F32Taped($b)) => $body.map(generic::<$ret, _>),
            (Concrete::F64($a), Concrete::F64($b)) => $body.map(generic::<$ret, _>),
            (Concrete::F64Taped($a), Concrete::F64Taped($b)) => $body.map(generic::<$ret, _>),
            _ => unreachable!("both images have the same type"),
        }
    }};
}

pub(crate) use {reroute1, reroute2};
