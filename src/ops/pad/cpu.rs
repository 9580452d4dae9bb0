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
    let rows: Vec<Option<usize>> = (0..ph).map(|i| mode.source(i, top, h)).collect();
    let cols: Vec<Option<usize>> = (0..pw).map(|j| mode.source(j, left, w)).collect();
    Ok(Box::new(Pad {
        planes: b * c,
        shape: (b, c, ph, pw),
        w,
        h,
        filled: rows.iter().chain(&cols).any(Option::is_none),
        rows,
        runs: runs(&cols),
        fill,
    }))
}

/// A row's copies as runs `(output column, source column, length)` of consecutive
/// columns (circular padding: three runs; reflection: one per pixel of the border).
fn runs(cols: &[Option<usize>]) -> Vec<(usize, usize, usize)> {
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (j, cc) in cols.iter().enumerate() {
        let Some(cc) = *cc else { continue };
        match runs.last_mut() {
            Some((d, s, n)) if *d + *n == j && *s + *n == cc => *n += 1,
            _ => runs.push((j, cc, 1)),
        }
    }
    runs
}

/// A padding of one input shape: the source row of each output row and the runs of
/// copied columns of each row ([`runs`]); pixels with no source are the constant `fill`.
struct Pad<E> {
    planes: usize,
    shape: Shape4,
    h: usize,
    w: usize,
    rows: Vec<Option<usize>>,
    runs: Vec<(usize, usize, usize)>,
    /// Whether some output pixels have no source (constant padding).
    filled: bool,
    fill: E,
}

impl<E: Float> HostOp1<E> for Pad<E> {
    fn out_shape(&self) -> Shape4 {
        self.shape
    }
    fn forward(&mut self, xv: Pooled<E>, _grad: bool) -> Result<Pooled<E>> {
        let (h, w, ph, pw) = (self.h, self.w, self.rows.len(), self.shape.3);
        let mut out = pool::take(self.planes * ph * pw);
        if self.filled {
            out.fill(self.fill);
        }
        for p in 0..self.planes {
            let (src, dst) = (
                &xv[p * h * w..(p + 1) * h * w],
                &mut out[p * ph * pw..(p + 1) * ph * pw],
            );
            for (i, r) in self.rows.iter().enumerate() {
                let Some(r) = r else { continue };
                let (src, dst) = (&src[r * w..(r + 1) * w], &mut dst[i * pw..(i + 1) * pw]);
                for &(d, s, n) in &self.runs {
                    dst[d..d + n].copy_from_slice(&src[s..s + n]);
                }
            }
        }
        Ok(out)
    }
    fn adjoint(&mut self, gy: &[E], gx: &mut [E]) {
        let (h, w, ph, pw) = (self.h, self.w, self.rows.len(), self.shape.3);
        for p in 0..self.planes {
            let (src, dst) = (
                &gy[p * ph * pw..(p + 1) * ph * pw],
                &mut gx[p * h * w..(p + 1) * h * w],
            );
            for (i, r) in self.rows.iter().enumerate() {
                let Some(r) = r else { continue };
                let (src, dst) = (&src[i * pw..(i + 1) * pw], &mut dst[r * w..(r + 1) * w]);
                for &(d, s, n) in &self.runs {
                    dst[s..s + n]
                        .iter_mut()
                        .zip(&src[d..d + n])
                        .for_each(|(g, y)| *g += *y);
                }
            }
        }
    }
}
