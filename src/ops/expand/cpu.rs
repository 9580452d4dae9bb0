//! The CPU's expand: copies of each plane; the adjoint adds the copies' gradients.

use dfdx::prelude::{Cpu, Tensor};

use crate::ops::pool;
use crate::ops::tape::{read, record1};
use crate::tensor::{dims, Float, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::ExpandKernel<E> for Cpu {
    fn expand<T: Tape<E>>(
        x: crate::Image<E, T>,
        batch: usize,
        channels: usize,
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(expand(x, batch, channels))
    }
}

/// [`super::expand`] on the CPU (the target checked by the caller).
pub(crate) fn expand<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    batch: usize,
    channels: usize,
) -> Tensor<Shape4, E, Cpu, T> {
    let [b, c, h, w] = dims(&x);
    let plane = h * w;
    // the input plane each output plane copies
    let src = move |p: usize| {
        let (bi, ci) = (p / channels, p % channels);
        (if b == 1 { 0 } else { bi }) * c + if c == 1 { 0 } else { ci }
    };
    let (x, out) = read(x, |xv| {
        let mut out = pool::take(batch * channels * plane);
        for p in 0..batch * channels {
            let s = src(p);
            out[p * plane..(p + 1) * plane].copy_from_slice(&xv[s * plane..(s + 1) * plane]);
        }
        out
    });
    record1(x, out, (batch, channels, h, w), move |gy, gx| {
        for p in 0..batch * channels {
            let s = src(p);
            let dst = &mut gx[s * plane..(s + 1) * plane];
            for (d, g) in dst.iter_mut().zip(&gy[p * plane..(p + 1) * plane]) {
                *d += *g;
            }
        }
    })
}
