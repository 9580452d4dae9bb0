//! f64 buffers for the statistics' intermediates, reused from call to call: each
//! statistics op keeps about a hundred image-sized vectors from its forward for its
//! adjoint, and taking them fresh each call costs page faults. Unlike
//! [`crate::ops::pool`]'s buffers these are kept outside synthesis loops too (they are only
//! ever asked for again at the same sizes); at most [`KEEP`] per thread.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
/// Buffers kept per thread; more are freed.
const KEEP: usize = 256;

thread_local! {
    static FREE: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer given back to this thread's free list when dropped.
#[derive(Debug, Default)]
pub(crate) struct Buf(Vec<f64>);

/// An empty buffer with room for `n` values.
pub(crate) fn with_capacity(n: usize) -> Buf {
    {
        let found = FREE
            .try_with(|f| {
                let mut f = f.borrow_mut();
                let best = f
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.capacity() >= n)
                    .min_by_key(|(_, v)| v.capacity())
                    .map(|(i, _)| i);
                best.map(|i| f.swap_remove(i))
            })
            .ok()
            .flatten();
        if let Some(mut v) = found {
            v.clear();
            return Buf(v);
        }
    }
    Buf(Vec::with_capacity(n))
}

/// A buffer of `n` zeros.
pub(crate) fn zeros(n: usize) -> Buf {
    let mut b = with_capacity(n);
    b.0.resize(n, 0.0);
    b
}

/// A buffer holding the values of `it`.
pub(crate) fn collect(n: usize, it: impl Iterator<Item = f64>) -> Buf {
    let mut b = with_capacity(n);
    b.0.extend(it);
    b
}

impl Deref for Buf {
    type Target = Vec<f64>;
    fn deref(&self) -> &Vec<f64> {
        &self.0
    }
}

impl DerefMut for Buf {
    fn deref_mut(&mut self) -> &mut Vec<f64> {
        &mut self.0
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        if self.0.capacity() == 0 {
            return;
        }
        let v = std::mem::take(&mut self.0);
        let _ = FREE.try_with(|f| {
            let mut f = f.borrow_mut();
            if f.len() < KEEP {
                f.push(v);
            }
        });
    }
}

impl<'a> IntoIterator for &'a Buf {
    type Item = &'a f64;
    type IntoIter = std::slice::Iter<'a, f64>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
