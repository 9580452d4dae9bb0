//! The CPU's padding: an index copy, and its adjoint adds back.

use dfdx::prelude::{Cpu, Tensor};

use super::PadMode;
use crate::error::Result;
use crate::ops::pool;
use crate::ops::tape::{read, record1};
use crate::tensor::{dims, Float, Shape4, Tape};

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

/// [`super::pad`] on the CPU.
pub(crate) fn pad<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    pads: [usize; 4],
    mode: PadMode,
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let [b, c, h, w] = dims(&x);
    let [top, bottom, left, right] = pads;
    crate::ops::checks::pads_fit(mode, pads, h, w)?;
    let (ph, pw) = (h + top + bottom, w + left + right);
    let rows: Vec<Option<usize>> = (0..ph).map(|i| mode.source(i, top, h)).collect();
    let cols: Vec<Option<usize>> = (0..pw).map(|j| mode.source(j, left, w)).collect();
    let fill = match mode {
        PadMode::Constant(v) => E::of_f64(v),
        _ => E::zero(),
    };
    let (x, out) = read(x, |xv| {
        let mut out = pool::take(b * c * ph * pw);
        out.fill(fill);
        for p in 0..b * c {
            let (src, dst) = (
                &xv[p * h * w..(p + 1) * h * w],
                &mut out[p * ph * pw..(p + 1) * ph * pw],
            );
            for (i, r) in rows.iter().enumerate() {
                let Some(r) = r else { continue };
                for (j, cc) in cols.iter().enumerate() {
                    if let Some(cc) = cc {
                        dst[i * pw + j] = src[r * w + cc];
                    }
                }
            }
        }
        out
    });
    Ok(record1(x, out, (b, c, ph, pw), move |gy, gx| {
        for p in 0..b * c {
            let (src, dst) = (
                &gy[p * ph * pw..(p + 1) * ph * pw],
                &mut gx[p * h * w..(p + 1) * h * w],
            );
            for (i, r) in rows.iter().enumerate() {
                let Some(r) = r else { continue };
                for (j, cc) in cols.iter().enumerate() {
                    if let Some(cc) = cc {
                        dst[r * w + cc] += src[i * pw + j];
                    }
                }
            }
        }
    }))
}
