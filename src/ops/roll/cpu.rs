//! The CPU's roll: an index copy, and its adjoint adds back.

use dfdx::prelude::{Cpu, Tensor};

use crate::ops::pool::{self, Pooled};
use crate::ops::tape::{run1, HostOp1};
use crate::tensor::{dims, ByFloat, Float, PerFloat, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::RollKernel<E> for Cpu {
    fn roll<T: Tape<E>>(
        x: crate::Image<E, T>,
        shift: (isize, isize),
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(roll(x, shift))
    }
}

/// The roll's constructor for each element type, compiled here (see [`HostOp1`]).
struct Maker;
impl PerFloat for Maker {
    type Of<E: Float> = fn([usize; 4], (isize, isize)) -> Box<dyn HostOp1<E>>;
}

static MAKE: ByFloat<Maker> = ByFloat {
    single: make::<f32>,
    double: make::<f64>,
};

/// [`super::roll`] on the CPU.
pub(crate) fn roll<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    shift: (isize, isize),
) -> Tensor<Shape4, E, Cpu, T> {
    let op = (E::pick(&MAKE))(dims(&x), shift);
    run1(x, op).expect("a roll refuses no values")
}

fn make<E: Float>(shape: [usize; 4], shift: (isize, isize)) -> Box<dyn HostOp1<E>> {
    Box::new(Roll { shape, shift })
}

/// A roll of one input shape by `shift` (rows, columns).
struct Roll {
    shape: [usize; 4],
    shift: (isize, isize),
}

impl Roll {
    /// The source index in a plane of output pixel (i, j).
    fn src(&self, i: usize, j: usize) -> usize {
        let [_, _, h, w] = self.shape;
        let r = (i as isize - self.shift.0).rem_euclid(h as isize) as usize;
        let s = (j as isize - self.shift.1).rem_euclid(w as isize) as usize;
        r * w + s
    }
}

impl<E: Float> HostOp1<E> for Roll {
    fn out_shape(&self) -> Shape4 {
        let [b, c, h, w] = self.shape;
        (b, c, h, w)
    }
    fn forward(&mut self, xv: Pooled<E>, _grad: bool) -> crate::Result<Pooled<E>> {
        let [b, c, h, w] = self.shape;
        let mut out = pool::take(xv.len());
        for p in 0..b * c {
            let o = p * h * w;
            for i in 0..h {
                for j in 0..w {
                    out[o + i * w + j] = xv[o + self.src(i, j)];
                }
            }
        }
        Ok(out)
    }
    fn adjoint(&mut self, gy: &[E], gx: &mut [E]) {
        let [b, c, h, w] = self.shape;
        for p in 0..b * c {
            let o = p * h * w;
            for i in 0..h {
                for j in 0..w {
                    gx[o + self.src(i, j)] += gy[o + i * w + j];
                }
            }
        }
    }
}
