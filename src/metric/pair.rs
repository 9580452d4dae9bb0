//! What every metric does to its two images first (plenoptic's checks: same height and
//! width, batch and channel either equal or 1, then broadcast), and the tape helpers the
//! metrics share.

use dfdx::prelude::{PutTape, SplitTape};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::ops::pointwise::inlined::map;
use crate::ops::{expand, separable_map, SeparableMap};
use crate::tensor::{dims, Float, Image, Tape};
use crate::warnings;

/// plenoptic's warning for images outside [0, 1] (`what`: the metric's name in it).
pub(crate) fn warn_outside_unit_range<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: &Image<E, T, D>,
    b: &Image<E, T, D>,
    what: &str,
) {
    let outside = |x: &Image<E, T, D>| x.as_vec().iter().any(|v| *v < E::zero() || *v > E::one());
    if outside(a) || outside(b) {
        warnings::warn(format!(
            "Image range falls outside [0, 1]. {what} output may not make sense."
        ));
    }
}

/// plenoptic's warning for images of more than one channel (`what`: SSIM or NLPD).
pub(crate) fn warn_channels(da: [usize; 4], db: [usize; 4], what: &str) {
    if da[1] > 1 || db[1] > 1 {
        warnings::warn(format!(
            "{what} was designed for grayscale images and here it will be computed \
             separately for each channel (so channels are treated in the same way as \
             batches)."
        ));
    }
}

/// Two images on one tape type and device.
pub(crate) type Pair<E, T, D> = (Image<E, T, D>, Image<E, T, D>);

/// Checks two images as plenoptic's metrics do and broadcasts their batch and channel
/// dimensions to the larger of the two (each must be equal or 1).
pub(crate) fn broadcast_pair<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
    what: &str,
) -> Result<Pair<E, T, D>> {
    let (da, db) = (dims(&a), dims(&b));
    if da[2..] != db[2..] {
        return Err(Error::shape_mismatch(
            format!("height and width of the two images of {what}"),
            &da[2..],
            &db[2..],
        ));
    }
    for i in 0..2 {
        if da[i] != db[i] && da[i] != 1 && db[i] != 1 {
            return Err(Error::shape_mismatch(
                format!(
                    "batch and channels of the two images of {what} \
                     (each the same, or 1 in one of them)"
                ),
                da,
                db,
            ));
        }
    }
    let (n, c) = (da[0].max(db[0]), da[1].max(db[1]));
    Ok((expand(a, n, c)?, expand(b, n, c)?))
}

/// The mean of every (height, width) plane: shape (batch, channel, 1, 1).
pub(crate) fn plane_mean<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
) -> Result<Image<E, T, D>> {
    let [_, _, h, w] = dims(&x);
    separable_map(x, &SeparableMap::plane_mean((h, w))?)
}

/// `x * s` for a constant `s`.
pub(crate) fn scale<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    s: f64,
) -> Result<Image<E, T, D>> {
    let s = E::of_f64(s);
    map(x, move |v, _| (v * s, s))
}

/// Moves the tape of `from` onto `onto`: what was recorded on either now travels with
/// `onto`, and `from` keeps an empty tape (a value computed on the side, whose operations
/// must still reach the gradient).
pub(crate) fn gather_tape<E: Float, D: Device<E>, T: Tape<E, D>>(
    onto: Image<E, T, D>,
    from: Image<E, T, D>,
) -> Pair<E, T, D> {
    let (o, to) = onto.split_tape();
    let (f, tf) = from.split_tape();
    (
        o.put_tape(dfdx::tensor::Merge::merge(to, tf)),
        f.put_tape(T::default()),
    )
}

/// `x * y` element by element.
pub(crate) fn mul<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    y: Image<E, T, D>,
) -> Result<Image<E, T, D>> {
    crate::ops::pointwise::inlined::map2(x, y, |a, b, _| (a * b, b, a))
}
