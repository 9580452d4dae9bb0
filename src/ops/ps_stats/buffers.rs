//! Buffers for the statistics' intermediates (in the element type; the image in f64),
//! reused from call to call while a synthesis loop runs: each statistics op keeps about
//! a hundred image-sized vectors from its forward for its adjoint, and taking them fresh
//! each iteration costs page faults.
//! Like [`crate::ops::pool`]'s buffers they are kept only while a
//! [`ReuseTensors`](crate::ops::pool::ReuseTensors) guard lives (at most [`KEEP`] per
//! thread and type), and freed when the thread's last guard drops ([`clear`]); outside
//! synthesis loops a dropped buffer is freed at once. The statistics' parallel sections
//! lend the calling thread's kept buffers to their tasks ([`lend`]), whichever threads
//! run them.

use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::thread::LocalKey;

use crate::ops::pool::{reusing, write_whole};
use crate::tensor::Float;

/// Buffers kept per thread and type; more are freed.
const KEEP: usize = 256;

/// Buffers lent by a thread to the tasks of a parallel section.
type Shared<S> = Arc<Mutex<Vec<Vec<S>>>>;

/// A type the statistics keep buffers of (f32 and f64): its thread-local lists.
pub(crate) trait Kept: Float {
    /// This thread's kept buffers.
    fn free() -> &'static LocalKey<RefCell<Vec<Vec<Self>>>>;
    /// The lent buffers of the section whose task this thread runs, if any.
    fn lent() -> &'static LocalKey<RefCell<Option<Shared<Self>>>>;
}

macro_rules! kept {
    ($t:ty) => {
        impl Kept for $t {
            fn free() -> &'static LocalKey<RefCell<Vec<Vec<$t>>>> {
                thread_local! {
                    static FREE: RefCell<Vec<Vec<$t>>> = const { RefCell::new(Vec::new()) };
                }
                &FREE
            }
            fn lent() -> &'static LocalKey<RefCell<Option<Shared<$t>>>> {
                thread_local! {
                    static LENT: RefCell<Option<Shared<$t>>> = const { RefCell::new(None) };
                }
                &LENT
            }
        }
    };
}
kept!(f32);
kept!(f64);

/// The calling thread's kept buffers of type `S`, lent to the tasks of a parallel
/// section: a task run through [`Lent::run`] takes and gives back buffers there, on
/// whatever thread it runs. Dropped (on the calling thread), the buffers return to that
/// thread's free list. Outside synthesis loops nothing is kept, and nothing is lent.
pub(crate) struct Lent<S: Kept>(Option<Shared<S>>);

/// Lends this thread's kept buffers of type `S` (see [`Lent`]).
pub(crate) fn lend<S: Kept>() -> Lent<S> {
    if !reusing() {
        return Lent(None);
    }
    let v = S::free()
        .try_with(|f| std::mem::take(&mut *f.borrow_mut()))
        .unwrap_or_default();
    Lent(Some(Arc::new(Mutex::new(v))))
}

impl<S: Kept> Lent<S> {
    /// `f()` taking and giving back buffers from the lent ones.
    pub(crate) fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.0.is_none() {
            return f();
        }
        let prev = S::lent().with(|l| l.replace(self.0.clone()));
        let r = f();
        S::lent().with(|l| *l.borrow_mut() = prev);
        r
    }
}

impl<S: Kept> Drop for Lent<S> {
    fn drop(&mut self) {
        let Some(shared) = self.0.take() else { return };
        let v = std::mem::take(&mut *shared.lock().unwrap_or_else(|e| e.into_inner()));
        let _ = S::free().try_with(|f| {
            let mut f = f.borrow_mut();
            let room = KEEP.saturating_sub(f.len());
            f.extend(v.into_iter().take(room));
        });
    }
}

/// The lent buffers of the section this thread works for, if any.
fn lent<S: Kept>() -> Option<Shared<S>> {
    S::lent().try_with(|l| l.borrow().clone()).ok().flatten()
}

/// A buffer given back to this thread's free list when dropped.
#[derive(Debug, Default)]
pub(crate) struct Buf<S: Kept>(Vec<S>);

/// Frees this thread's kept buffers (the end of its synthesis loops).
pub(crate) fn clear() {
    let _ = f32::free().try_with(|f| *f.borrow_mut() = Vec::new());
    let _ = f64::free().try_with(|f| *f.borrow_mut() = Vec::new());
}

/// The smallest kept buffer with room for `n` values, if any (its old values in place).
fn reused<S: Kept>(n: usize) -> Option<Vec<S>> {
    let pick = |f: &mut Vec<Vec<S>>| {
        let best = f
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= n)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i);
        best.map(|i| f.swap_remove(i))
    };
    if let Some(shared) = lent::<S>() {
        return pick(&mut shared.lock().unwrap_or_else(|e| e.into_inner()));
    }
    S::free()
        .try_with(|f| pick(&mut f.borrow_mut()))
        .ok()
        .flatten()
}

/// An empty buffer with room for `n` values.
pub(crate) fn with_capacity<S: Kept>(n: usize) -> Buf<S> {
    match reused(n) {
        Some(mut v) => {
            v.clear();
            Buf(v)
        }
        None => Buf(Vec::with_capacity(n)),
    }
}

/// `k` buffers of `n` values, every value written by `fill`: it gets their memory (not
/// yet holding values) and returns the same memory written, in order (anything else
/// panics). For callers that write all values before they read any, without zeroing
/// new buffers first.
#[inline(always)]
pub(crate) fn filled<S: Kept>(
    k: usize,
    n: usize,
    fill: impl for<'a> FnOnce(Vec<&'a mut [MaybeUninit<S>]>) -> Vec<&'a mut [S]>,
) -> Vec<Buf<S>> {
    let mut bufs: Vec<Buf<S>> = (0..k).map(|_| with_capacity(n)).collect();
    let mut vs: Vec<&mut Vec<S>> = bufs.iter_mut().map(|b| &mut b.0).collect();
    write_whole(&mut vs, n, |mem| (fill(mem), ()));
    bufs
}

/// One buffer of `n` values, every value written by `fill`: [`filled`] for one buffer
/// (as [`crate::ops::pool::take_filled`] is for the ops' buffers).
#[inline(always)]
pub(crate) fn filled_one<S: Kept>(
    n: usize,
    fill: impl for<'a> FnOnce(&'a mut [MaybeUninit<S>]) -> &'a mut [S],
) -> Buf<S> {
    let mut b = filled(1, n, |mut mem| vec![fill(mem.pop().expect("one buffer"))]);
    b.pop().expect("one buffer")
}

/// A buffer of `n` zeros.
pub(crate) fn zeros<S: Kept>(n: usize) -> Buf<S> {
    let mut b = with_capacity(n);
    b.0.resize(n, S::zero());
    b
}

/// A buffer holding `f(v)` for each value `v` of `x` (a plain loop over the values and
/// the buffer's memory, which vectorises where `f` does).
#[inline(always)]
pub(crate) fn mapped<S: Kept, T: Copy>(x: &[T], f: impl Fn(T) -> S) -> Buf<S> {
    filled_one(x.len(), |out| {
        for (o, &v) in out.iter_mut().zip(x) {
            o.write(f(v));
        }
        // SAFETY: every value was written (one per value of `x`, as many as `out` has)
        unsafe { &mut *(out as *mut [MaybeUninit<S>] as *mut [S]) }
    })
}

impl<S: Kept> Deref for Buf<S> {
    type Target = Vec<S>;
    fn deref(&self) -> &Vec<S> {
        &self.0
    }
}

impl<S: Kept> DerefMut for Buf<S> {
    fn deref_mut(&mut self) -> &mut Vec<S> {
        &mut self.0
    }
}

impl<S: Kept> Drop for Buf<S> {
    fn drop(&mut self) {
        if self.0.capacity() == 0 {
            return;
        }
        if let Some(shared) = lent::<S>() {
            let mut f = shared.lock().unwrap_or_else(|e| e.into_inner());
            if f.len() < KEEP {
                f.push(std::mem::take(&mut self.0));
            }
            return;
        }
        if !reusing() {
            return;
        }
        let v = std::mem::take(&mut self.0);
        let _ = S::free().try_with(|f| {
            let mut f = f.borrow_mut();
            if f.len() < KEEP {
                f.push(v);
            }
        });
    }
}

impl<'a, S: Kept> IntoIterator for &'a Buf<S> {
    type Item = &'a S;
    type IntoIter = std::slice::Iter<'a, S>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

// (the statistics have no portable kernel: under `portable-cpu` they are unavailable)
#[cfg(all(test, not(feature = "portable-cpu")))]
mod tests {
    use dfdx::prelude::*;

    use super::*;
    use crate::ops::pool::reuse_tensors;
    use crate::simulate::{Model, PortillaSimoncelli};

    /// The number of buffers this thread keeps (of both types).
    fn kept() -> usize {
        f32::free().with(|f| f.borrow().len()) + f64::free().with(|f| f.borrow().len())
    }

    /// The statistics' forward and backward on a 32x32 image, as a synthesis step runs it.
    fn step() {
        let ps = PortillaSimoncelli::builder((32, 32))
            .n_scales(2)
            .spatial_corr_width(5)
            .build()
            .unwrap();
        let v = (0..32 * 32)
            .map(|i| ((i * 7 % 13) as f64 / 13.0) as f32)
            .collect();
        let x = crate::tensor::image_from_vec(v, &[1, 1, 32, 32]).unwrap();
        let rep = ps.forward(x.leaky_trace()).unwrap();
        let _ = rep.sum::<(), _>().backward().get(&x);
    }

    /// (on one thread: on two, a step takes one more buffer whenever two of its parallel
    /// tasks happen to need one at the same moment)
    #[test]
    fn buffers_are_kept_only_inside_synthesis_loops() {
        crate::ops::test_util::on_threads(1, || {
            step();
            assert_eq!(kept(), 0, "kept after a call outside a loop");
            let guard = reuse_tensors();
            step();
            let n = kept();
            assert!(n > 10, "{n} kept inside a loop");
            step();
            assert_eq!(kept(), n, "the second step reuses the first one's buffers");
            drop(guard);
            assert_eq!(kept(), 0, "kept after the loop");
        });
    }
}
