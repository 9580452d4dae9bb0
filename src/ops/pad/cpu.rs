//! The CPU's padding: an index copy, and its adjoint adds back.

use dfdx::prelude::{Cpu, Tensor};

use super::PadMode;
use crate::error::Result;
use crate::ops::pool::{self, Pooled};
use crate::ops::tape::{run1, HostOp1};
use crate::tensor::{dims, ByFloat, Float, PerFloat, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::PadKernel<E> for Cpu {
    fn pad<T: Tape<E>>(
        x: crate::Image<E, T>,
        pads: [usize; 4],
        mode: crate::ops::PadMode,
    ) -> crate::Result<crate::Image<E, T>> {
        pad(x, pads, mode)
    }
}

/// The padding's constructor for each element type, compiled here (see [`HostOp1`]).
struct Maker;
impl PerFloat for Maker {
    type Of<E: Float> = fn([usize; 4], [usize; 4], PadMode) -> Result<Box<dyn HostOp1<E>>>;
}

static MAKE: ByFloat<Maker> = ByFloat {
    single: make::<f32>,
    double: make::<f64>,
};

/// [`super::pad`] on the CPU.
pub(crate) fn pad<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    pads: [usize; 4],
    mode: PadMode,
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let op = (E::pick(&MAKE))(dims(&x), pads, mode)?;
    run1(x, op)
}

fn make<E: Float>(
    [b, c, h, w]: [usize; 4],
    pads: [usize; 4],
    mode: PadMode,
) -> Result<Box<dyn HostOp1<E>>> {
    let [top, bottom, left, right] = pads;
    crate::ops::checks::pads_fit(mode, pads, h, w)?;
    let (ph, pw) = (h + top + bottom, w + left + right);
    let fill = match mode {
        PadMode::Constant(v) => E::of_f64(v),
        _ => E::zero(),
    };
    Ok(Box::new(Pad {
        planes: b * c,
        shape: (b, c, ph, pw),
        w,
        h,
        rows: (0..ph).map(|i| mode.source(i, top, h)).collect(),
        cols: (0..pw).map(|j| mode.source(j, left, w)).collect(),
        fill,
    }))
}

/// A padding of one input shape: the source row and column of each output pixel (none
/// where it is the constant `fill`).
struct Pad<E> {
    planes: usize,
    shape: Shape4,
    h: usize,
    w: usize,
    rows: Vec<Option<usize>>,
    cols: Vec<Option<usize>>,
    fill: E,
}

impl<E: Float> HostOp1<E> for Pad<E> {
    fn out_shape(&self) -> Shape4 {
        self.shape
    }
    fn forward(&mut self, xv: Pooled<E>, _grad: bool) -> Result<Pooled<E>> {
        let (h, w, ph, pw) = (self.h, self.w, self.rows.len(), self.cols.len());
        let mut out = pool::take(self.planes * ph * pw);
        out.fill(self.fill);
        for p in 0..self.planes {
            let (src, dst) = (
                &xv[p * h * w..(p + 1) * h * w],
                &mut out[p * ph * pw..(p + 1) * ph * pw],
            );
            for (i, r) in self.rows.iter().enumerate() {
                let Some(r) = r else { continue };
                for (j, cc) in self.cols.iter().enumerate() {
                    if let Some(cc) = cc {
                        dst[i * pw + j] = src[r * w + cc];
                    }
                }
            }
        }
        Ok(out)
    }
    fn adjoint(&self, gy: &[E], gx: &mut [E]) {
        let (h, w, ph, pw) = (self.h, self.w, self.rows.len(), self.cols.len());
        for p in 0..self.planes {
            let (src, dst) = (
                &gy[p * ph * pw..(p + 1) * ph * pw],
                &mut gx[p * h * w..(p + 1) * h * w],
            );
            for (i, r) in self.rows.iter().enumerate() {
                let Some(r) = r else { continue };
                for (j, cc) in self.cols.iter().enumerate() {
                    if let Some(cc) = cc {
                        dst[r * w + cc] += src[i * pw + j];
                    }
                }
            }
        }
    }
}
