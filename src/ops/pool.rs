//! Reused host buffers for the CPU kernels, so that a synthesis loop allocates no
//! image-sized memory per iteration once it runs.
//!
//! Two kinds of buffers churn in a loop: the kernels' own (op outputs while computed,
//! saved derivatives, seeds, gradients read back), and dfdx's tensor storage (op outputs
//! as tensors, gradients). The first kind comes from this thread's pool ([`take`]) and
//! goes back to it when dropped ([`Pooled`]). The second is dfdx's: while a
//! [`ReuseTensors`] guard lives, dfdx's own allocation cache is on for this thread's loop
//! device ([`loop_cpu`]). A kernel's output buffer becomes its output tensor as it is (no
//! copy); freed, it lands in dfdx's cache, where [`take`] finds it again when the pool has
//! no buffer that fits, so every buffer and tensor of the loop is a freed one reused. Without the guard there is no pool, and
//! output buffers are handed to dfdx as they are.

use std::cell::Cell;
use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};

use dfdx::prelude::{Cpu, Tensor, TensorFromVec, ZerosTensor};
use dfdx::tensor::{Cache, Storage};

use crate::device::cpu;
use crate::tensor::{Float, Shape4};

/// Buffers kept per thread and element type; more are freed.
const KEEP: usize = 32;

/// A buffer from this thread's pool, given back when dropped.
#[derive(Debug, Default)]
pub(crate) struct Pooled<E: Float>(Vec<E>);

/// A buffer of `n` elements from this thread's pool (the smallest one that fits, or a
/// new one); its contents are unspecified. Outside a synthesis loop (no [`ReuseTensors`])
/// there is no pool: a new zeroed buffer, freed when dropped, as a plain `Vec`.
///
/// A pooled buffer more than twice as large as `n` is left for a larger request: cut to
/// `n` it would come back short, and the next request of its full size would fill the
/// rest with zeros (a Portilla-Simoncelli op's bands: 6 MB each iteration).
pub(crate) fn take<E: Float>(n: usize) -> Pooled<E> {
    let mut v = room::<E>(n).unwrap_or_else(|| vec![E::zero(); n]);
    if v.len() > n {
        v.truncate(n);
    } else {
        v.resize(n, E::zero());
    }
    Pooled(v)
}

/// A buffer of `n` elements, every one written by `fill`: [`take`] for a caller that
/// writes all values before it reads any, without zeroing a new buffer first. `fill`
/// gets the buffer's `n` values as memory to write and returns the same memory, written
/// (anything else panics), with a result of its own.
pub(crate) fn take_filled<E: Float, R>(
    n: usize,
    fill: impl for<'a> FnOnce(&'a mut [MaybeUninit<E>]) -> (&'a mut [E], R),
) -> (Pooled<E>, R) {
    let mut v = room::<E>(n).unwrap_or_else(|| Vec::with_capacity(n));
    let r = write_whole(&mut [&mut v], n, |mut mem| {
        let (written, r) = fill(mem.pop().expect("one buffer"));
        (vec![written], r)
    });
    (Pooled(v), r)
}

/// The vectors `vs` (each with room for `n` values) made `n` values long, every value
/// written by `fill`: it gets their first `n` values' memory (not yet holding values) and
/// returns the same memory written, in order (anything else panics), with a result of
/// its own. The one way the kernels fill buffers without zeroing them first
/// ([`take_filled`], the statistics' `buffers::filled`).
#[inline(always)]
pub(crate) fn write_whole<E, R>(
    vs: &mut [&mut Vec<E>],
    n: usize,
    fill: impl for<'a> FnOnce(Vec<&'a mut [MaybeUninit<E>]>) -> (Vec<&'a mut [E]>, R),
) -> R {
    let mem: Vec<&mut [MaybeUninit<E>]> = vs
        .iter_mut()
        .map(|v| {
            v.clear();
            &mut v.spare_capacity_mut()[..n]
        })
        .collect();
    let at: Vec<*const E> = mem.iter().map(|m| m.as_ptr().cast()).collect();
    let (written, r) = fill(mem);
    assert!(
        written.len() == at.len()
            && written
                .iter()
                .zip(&at)
                .all(|(w, &a)| std::ptr::eq(w.as_ptr(), a) && w.len() == n),
        "write_whole: fill returns the memory it was given"
    );
    drop(written);
    for v in vs.iter_mut() {
        // SAFETY: `fill` returned a `&mut [E]` over exactly the first `n` values of
        // this vector's spare capacity: they hold values
        unsafe { v.set_len(n) };
    }
    r
}

/// A buffer with room for `n` elements from this thread's pool or the loop's freed
/// tensors (any length, contents unspecified); none outside a synthesis loop or when
/// nothing fits.
fn room<E: Float>(n: usize) -> Option<Vec<E>> {
    if !reusing() {
        return None;
    }
    let found = E::with_pool(|pool| {
        let best = pool
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= n && v.capacity() <= n.saturating_mul(2).max(64))
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i);
        best.map(|i| pool.swap_remove(i))
    });
    // else one of the loop's freed tensors (op outputs become tensors without a copy,
    // see `output`, and go to dfdx's cache when dropped)
    found.flatten().or_else(|| {
        loop_cpu()
            .try_alloc_len(n)
            .ok()
            .map(|mut cached| std::mem::take(&mut *cached))
    })
}

impl<E: Float> Pooled<E> {
    /// The buffer, no longer given back.
    pub(crate) fn into_vec(mut self) -> Vec<E> {
        std::mem::take(&mut self.0)
    }
}

impl<E: Float> From<Vec<E>> for Pooled<E> {
    /// Adopts `v`: it goes to the pool when dropped.
    fn from(v: Vec<E>) -> Self {
        Pooled(v)
    }
}

impl<E: Float> Deref for Pooled<E> {
    type Target = Vec<E>;
    fn deref(&self) -> &Vec<E> {
        &self.0
    }
}

impl<E: Float> DerefMut for Pooled<E> {
    fn deref_mut(&mut self) -> &mut Vec<E> {
        &mut self.0
    }
}

impl<'a, E: Float> IntoIterator for &'a Pooled<E> {
    type Item = &'a E;
    type IntoIter = std::slice::Iter<'a, E>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<E: Float> Drop for Pooled<E> {
    fn drop(&mut self) {
        // (outside a synthesis loop buffers are freed: kept ones would only make the
        // allocator take fresh pages for everything else)
        if self.0.capacity() == 0 || !reusing() {
            return;
        }
        let v = std::mem::take(&mut self.0);
        // (after the thread's pool is gone, `v` is simply freed)
        E::with_pool(|pool| {
            if pool.len() < KEEP {
                pool.push(v);
            }
        });
    }
}

thread_local! {
    /// Live [`ReuseTensors`] guards of this thread.
    static REUSING: Cell<usize> = const { Cell::new(0) };
    /// This thread's CPU device for synthesis loops, with its own allocation cache (dfdx's
    /// cache checks and pops in two steps, so two threads popping one cache can panic:
    /// each thread's loop allocates from its own).
    static LOOP_CPU: Cpu = Cpu::default();
}

/// Whether this thread is inside a synthesis loop (false while the thread exits).
pub(crate) fn reusing() -> bool {
    REUSING.try_with(|r| r.get() > 0).unwrap_or(false)
}

/// This thread's CPU device for synthesis loops: tensors made on it (and everything
/// computed from them) reuse its freed storage while a [`ReuseTensors`] guard lives.
pub(crate) fn loop_cpu() -> Cpu {
    LOOP_CPU.with(Cpu::clone)
}

/// While alive, tensors on this thread's [`loop_cpu`] reuse freed storage (dfdx's cache)
/// and the kernels allocate their output tensors from it. Dropping the thread's last
/// guard turns the cache off and frees what it holds.
#[must_use = "tensors are reused only while the guard lives"]
pub(crate) struct ReuseTensors(std::marker::PhantomData<*const ()>);

/// Starts reusing the CPU device's tensor storage (see [`ReuseTensors`]).
pub(crate) fn reuse_tensors() -> ReuseTensors {
    if REUSING.with(|r| r.replace(r.get() + 1)) == 0 {
        loop_cpu().enable_cache();
    }
    ReuseTensors(std::marker::PhantomData)
}

impl ReuseTensors {
    /// Frees what the cache holds (tensors a model makes from new buffers in every call
    /// land there and are never reused: call this now and then to bound them).
    pub(crate) fn trim(&self) {
        loop_cpu().empty_cache();
    }
}

impl Drop for ReuseTensors {
    fn drop(&mut self) {
        if REUSING.with(|r| r.replace(r.get() - 1)) == 1 {
            loop_cpu().disable_cache();
            f32::with_pool(Vec::clear);
            f64::with_pool(Vec::clear);
            crate::ops::ps_stats::free_buffers();
        }
    }
}

/// An output tensor of `shape` holding `values`: `values` itself, on the loop's device
/// while tensors are reused (freed, it goes to dfdx's cache, where [`take`] finds it).
/// A buffer with spare capacity is copied instead (dfdx's cache would reallocate it).
pub(crate) fn output<E: Float>(values: Pooled<E>, shape: Shape4) -> Tensor<Shape4, E, Cpu> {
    if !reusing() {
        return cpu().tensor_from_vec(values.into_vec(), shape);
    }
    if values.capacity() == values.len() {
        return loop_cpu().tensor_from_vec(values.into_vec(), shape);
    }
    let mut t = loop_cpu().zeros_like(&shape);
    t.copy_from(&values);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_buffer_is_taken_again_while_reusing() {
        let guard = reuse_tensors();
        let mut a = take::<f32>(1000);
        a[999] = 7.0;
        let ptr = a.as_ptr();
        drop(a);
        let b = take::<f32>(900);
        assert_eq!((b.as_ptr(), b.len()), (ptr, 900));
        let c = take::<f32>(1000);
        assert_ne!(c.as_ptr(), ptr);
        assert_eq!(c.len(), 1000);
        // an adopted vector is pooled too; into_vec keeps it out
        let v = Pooled::from(vec![1.0f64; 10]).into_vec();
        assert_eq!(v, vec![1.0; 10]);
        drop((b, c, guard));
    }

    #[test]
    fn a_buffer_over_twice_the_size_asked_is_kept_for_a_larger_request() {
        let guard = reuse_tensors();
        let big = take::<f32>(10_000);
        let ptr = big.as_ptr();
        drop(big);
        let small = take::<f32>(1_000);
        assert_ne!(small.as_ptr(), ptr);
        let again = take::<f32>(10_000);
        assert_eq!(again.as_ptr(), ptr);
        drop((small, again, guard));
    }

    /// `take_filled` hands out a buffer's memory to write and keeps what was written,
    /// reusing a dropped buffer inside a loop; a `fill` that returns other memory panics.
    #[test]
    fn a_filled_buffer_holds_what_was_written() {
        fn fill(m: &mut [MaybeUninit<f64>]) -> (&mut [f64], i32) {
            for (i, v) in m.iter_mut().enumerate() {
                v.write(i as f64);
            }
            // SAFETY: every value was written just above
            (
                unsafe { &mut *(m as *mut [MaybeUninit<f64>] as *mut [f64]) },
                7,
            )
        }
        let (a, r) = take_filled(5, fill);
        assert_eq!((&a[..], r), (&[0.0, 1.0, 2.0, 3.0, 4.0][..], 7));
        let guard = reuse_tensors();
        let ptr = take_filled(100, fill).0.as_ptr();
        let (b, _) = take_filled(80, fill);
        assert_eq!((b.as_ptr(), b.len(), b[79]), (ptr, 80, 79.0));
        drop((b, guard));
        let other = std::panic::catch_unwind(|| {
            take_filled(3, |_: &mut [MaybeUninit<f64>]| {
                (Vec::leak(vec![0.0; 3]), ())
            })
        });
        assert!(other.is_err());
    }

    #[test]
    fn outputs_are_the_values_with_and_without_reuse() {
        let mut v = take::<f32>(6);
        v.copy_from_slice(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let plain = output(v, (1, 1, 2, 3));
        let guard = reuse_tensors();
        let mut w = take::<f32>(6);
        w.copy_from_slice(&plain.as_vec());
        let reused = output(w, (1, 1, 2, 3));
        guard.trim();
        drop(guard);
        assert_eq!(reused.as_vec(), plain.as_vec());
        assert!(!reusing());
    }
}
