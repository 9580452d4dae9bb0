//! The CPU's channel selection and masks.

use std::ops::Range;

use dfdx::prelude::{Cpu, Tensor};

use crate::error::Result;
use crate::ops::pool;
use crate::ops::tape::{read, record1, values};
use crate::tensor::{dims, Float, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::ChannelsKernel<E> for Cpu {
    fn select_channels<T: Tape<E>>(
        x: crate::Image<E, T>,
        range: Range<usize>,
    ) -> crate::Result<crate::Image<E, T>> {
        select_channels(x, range)
    }
    fn mask<T: Tape<E>>(x: crate::Image<E, T>, mask: &[f64]) -> crate::Result<crate::Image<E, T>> {
        self::mask(x, mask)
    }
}

/// [`super::select_channels`] on the CPU.
pub(crate) fn select_channels<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    range: Range<usize>,
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let [b, c, h, w] = dims(&x);
    crate::ops::checks::channel_range(&range, c)?;
    let (k, plane) = (range.end - range.start, h * w);
    let (x, out) = read(x, |xv| {
        let mut out = pool::take(b * k * plane);
        for (bi, dst) in out.chunks_mut(k * plane).enumerate() {
            dst.copy_from_slice(&xv[(bi * c + range.start) * plane..(bi * c + range.end) * plane]);
        }
        out
    });
    Ok(record1(x, out, (b, k, h, w), move |gy, gx| {
        for bi in 0..b {
            let dst = &mut gx[(bi * c + range.start) * plane..(bi * c + range.end) * plane];
            for (a, g) in dst
                .iter_mut()
                .zip(&gy[bi * k * plane..(bi + 1) * k * plane])
            {
                *a += *g;
            }
        }
    }))
}

/// [`super::mask`] on the CPU.
pub(crate) fn mask<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    mask: &[f64],
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let [b, c, h, w] = dims(&x);
    crate::ops::checks::mask_fits(mask, h, w)?;
    let m: Vec<E> = mask.iter().map(|&v| E::of_f64(v)).collect();
    let (x, mut out) = values(x);
    for plane in out.chunks_mut(h * w) {
        plane.iter_mut().zip(&m).for_each(|(v, k)| *v *= *k);
    }
    Ok(record1(x, out, (b, c, h, w), move |gy, gx| {
        for (gxp, gyp) in gx.chunks_mut(h * w).zip(gy.chunks(h * w)) {
            for ((a, g), k) in gxp.iter_mut().zip(gyp).zip(&m) {
                *a += *g * *k;
            }
        }
    }))
}
