//! Helpers shared by the ops' unit tests: deterministic data, relative errors, and the
//! value and gradient of an op on the CPU.

use dfdx::prelude::{Cpu, HasShape, OwnedTape, SumTo, Tensor, TensorFromVec, Trace, TryMul};
use dfdx::tensor_ops::{Backward, Device};

use crate::device::cpu;
use crate::error::Result;
use crate::tensor::{Float, Image, Shape4};

/// A taped CPU image.
pub(crate) type Taped<E> = Tensor<Shape4, E, Cpu, OwnedTape<E, Cpu>>;

/// Deterministic values in [-1, 1) (a linear congruential generator).
pub(crate) fn rand_vec(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

/// `f()` on a pool of `threads` threads of its own (the kernels share their work out
/// over the pool they run on).
pub(crate) fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

/// Largest error of `a` against `b`, relative to the largest magnitude of `b`.
pub(crate) fn rel_err<E: Float>(a: &[E], b: &[E]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.as_f64().abs()));
    let d = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (p, q)| m.max((p.as_f64() - q.as_f64()).abs()));
    if scale > 0.0 {
        d / scale
    } else {
        d
    }
}

/// The value of `f(x)` and the gradient of `sum(f(x) * r)` with respect to `x` (`r`
/// random, seeded by `seed`).
pub(crate) fn value_and_grad<E: Float>(
    x: &Image<E>,
    seed: u64,
    f: impl FnOnce(Taped<E>) -> Result<Taped<E>>,
) -> (Vec<E>, Vec<E>)
where
    Cpu: Device<E>,
{
    let y = f(x.leaky_trace()).unwrap();
    let value = y.as_vec();
    let r: Vec<E> = rand_vec(value.len(), seed)
        .into_iter()
        .map(E::of_f64)
        .collect();
    let r = cpu().tensor_from_vec(r, *y.shape());
    let grads = y.try_mul(r).unwrap().sum::<(), _>().backward();
    (value, grads.get(x).as_vec())
}
