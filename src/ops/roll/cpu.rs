//! The CPU's roll: an index copy, and its adjoint adds back.

use dfdx::prelude::{Cpu, Tensor};

use crate::ops::pool;
use crate::ops::tape::{read, record1};
use crate::tensor::{dims, Float, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::RollKernel<E> for Cpu {
    fn roll<T: Tape<E>>(
        x: crate::Image<E, T>,
        shift: (isize, isize),
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(roll(x, shift))
    }
}

/// [`super::roll`] on the CPU.
pub(crate) fn roll<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    shift: (isize, isize),
) -> Tensor<Shape4, E, Cpu, T> {
    let [b, c, h, w] = dims(&x);
    let src = move |i: usize, j: usize| {
        let r = (i as isize - shift.0).rem_euclid(h as isize) as usize;
        let s = (j as isize - shift.1).rem_euclid(w as isize) as usize;
        r * w + s
    };
    let (x, out) = read(x, |xv| {
        let mut out = pool::take(xv.len());
        for p in 0..b * c {
            let o = p * h * w;
            for i in 0..h {
                for j in 0..w {
                    out[o + i * w + j] = xv[o + src(i, j)];
                }
            }
        }
        out
    });
    record1(x, out, (b, c, h, w), move |gy, gx| {
        for p in 0..b * c {
            let o = p * h * w;
            for i in 0..h {
                for j in 0..w {
                    gx[o + src(i, j)] += gy[o + i * w + j];
                }
            }
        }
    })
}
