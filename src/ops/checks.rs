//! Argument checks and small rules shared by the CPU and the portable (GPU) versions of
//! the ops, so both refuse the same inputs with the same message.

use std::ops::Range;

use super::{Filter, PadMode};
use crate::error::{Error, Result};

/// [`Error::ShapeMismatch`] unless `a` and `b` are equal; the message reads
/// "`{what}` shapes a and b" (e.g. "element-wise op on shapes ...").
pub(crate) fn same_shape(what: &str, a: [usize; 4], b: [usize; 4]) -> Result<()> {
    if a != b {
        return Err(Error::shape_mismatch(what, a, b));
    }
    Ok(())
}

/// Half of an even number of channels, or [`Error::ShapeMismatch`].
pub(crate) fn halves(c2: usize) -> Result<usize> {
    if !c2.is_multiple_of(2) {
        return Err(Error::shape_mismatch(
            "channels split into two halves (an even count)",
            [2 * (c2 / 2 + 1)],
            [c2],
        ));
    }
    Ok(c2 / 2)
}

/// [`Error::InvalidArgument`] unless `range` is a non-empty part of `c` channels.
pub(crate) fn channel_range(range: &Range<usize>, c: usize) -> Result<()> {
    if range.start >= range.end || range.end > c {
        return Err(Error::invalid(
            "range",
            format!("channels {range:?} are not a non-empty part of {c} channels"),
        ));
    }
    Ok(())
}

/// [`Error::ShapeMismatch`] unless `mask` has one value per pixel of an `h x w` plane.
pub(crate) fn mask_fits(mask: &[f64], h: usize, w: usize) -> Result<()> {
    if mask.len() != h * w {
        return Err(Error::shape_mismatch(
            "mask size against the image planes",
            [h * w],
            [mask.len()],
        ));
    }
    Ok(())
}

/// plenoptic's `same_padding` amounts for a kernel: `[top, bottom, left, right]`, the
/// extra row or column (even kernels) at the bottom and right.
pub(crate) fn same_pads((kh, kw): (usize, usize)) -> [usize; 4] {
    let (ph, pw) = (kh - 1, kw - 1);
    [ph / 2, ph - ph / 2, pw / 2, pw - pw / 2]
}

/// [`Error::InvalidArgument`] for a constant fill other than 0, which a linear op (a
/// correlation read through its padding) cannot take.
pub(crate) fn linear_fill(pad: Option<PadMode>) -> Result<()> {
    match pad {
        Some(PadMode::Constant(v)) if v != 0.0 => Err(Error::invalid(
            "pad",
            format!("a constant fill of {v} is not linear; only 0 is"),
        )),
        _ => Ok(()),
    }
}

/// An axis of `n` pixels read through plenoptic's `same_padding` for a kernel of `k` taps
/// in `pad` mode (`None`: no padding, a valid correlation): the padding before the first
/// pixel, and the source pixel of each index of the frame (`None`: the zero fill), `n + k
/// - 1` of them (`n` without padding).
///
/// # Errors
/// [`Error::PaddingTooLarge`] when the mode cannot pad that much;
/// [`Error::KernelTooLarge`] when the kernel does not fit the frame.
pub(crate) fn same_frame(
    n: usize,
    k: usize,
    pad: Option<PadMode>,
) -> Result<(usize, Vec<Option<usize>>)> {
    let (before, frame) = match pad {
        Some(mode) => {
            let [before, after, _, _] = same_pads((k, 1));
            mode.check(before.max(after), n)?;
            (before, n + k - 1)
        }
        None => (0, n),
    };
    if frame < k {
        return Err(Error::KernelTooLarge {
            kernel: (k, k),
            image: (n, n),
        });
    }
    let src = (0..frame)
        .map(|i| match pad {
            Some(mode) => mode.source(i, before, n),
            None => Some(i),
        })
        .collect();
    Ok((before, src))
}

/// [`Error::PaddingTooLarge`] when `mode` cannot pad an `h x w` image by `pads`.
pub(crate) fn pads_fit(mode: PadMode, pads: [usize; 4], h: usize, w: usize) -> Result<()> {
    let [top, bottom, left, right] = pads;
    for (p, n) in [(top, h), (bottom, h), (left, w), (right, w)] {
        mode.check(p, n)?;
    }
    Ok(())
}

/// The output channels per group when `filt` (shape `[out, in_per_group, kh, kw]`) is
/// applied to `cin` channels with torch's grouping, or [`Error::ShapeMismatch`].
pub(crate) fn groups(filt: &Filter, cin: usize) -> Result<usize> {
    let [cout, cg, _, _] = filt.shape();
    if !cin.is_multiple_of(cg) || cout % (cin / cg) != 0 {
        return Err(Error::shape_mismatch(
            format!(
                "input channels for a filter of shape {:?} (a multiple of its {cg} \
                 in_channels, with out_channels a multiple of the groups)",
                filt.shape()
            ),
            [cg],
            [cin],
        ));
    }
    Ok(cout / (cin / cg))
}
