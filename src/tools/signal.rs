//! Signal helpers from plenoptic's `tools.signal`: rescaling and a soft-edged disk.

use dfdx::prelude::{Cpu, Tensor};

use dfdx::prelude::{HasShape, TensorFromVec};

use crate::device::cpu;
use crate::error::{Error, Result};

use crate::tensor::{check_finite, check_shape4, image_from_vec, Float, Image, Shape4};

/// Linearly maps the values of `x` so its minimum becomes `a` and its maximum `b`
/// (plenoptic's `rescale`: `(x - min) / (max - min) * (b - a) + a`, over the whole tensor).
/// No gradient flows through.
///
/// ```
/// let x = plenoptic::image_from_vec(vec![2.0f32, 4.0, 6.0], &[1, 1, 1, 3])?;
/// let y = plenoptic::tools::rescale(&x, -1.0, 1.0)?;
/// assert_eq!(y.as_vec(), vec![-1.0, 0.0, 1.0]);
/// # Ok::<(), plenoptic::Error>(())
/// ```
///
/// # Errors
/// [`Error::NonFinite`] for NaN or infinite values, [`Error::InvalidArgument`] (`x`) for a
/// constant image, which has no range to stretch, or non-finite `a`, `b`.
pub fn rescale<E: Float, T>(x: &Tensor<Shape4, E, Cpu, T>, a: f64, b: f64) -> Result<Image<E>> {
    if !a.is_finite() || !b.is_finite() {
        return Err(Error::invalid(
            "a, b",
            format!("the target range [{a}, {b}] must be finite"),
        ));
    }
    let v = x.as_vec();
    check_finite(&v, "image to rescale")?;
    let (lo, hi) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), e| {
            (l.min(e.as_f64()), h.max(e.as_f64()))
        });
    if hi <= lo {
        return Err(Error::invalid(
            "x",
            format!("the image is constant ({lo}), so it has no range to rescale"),
        ));
    }
    Ok(cpu().tensor_from_vec(rescale_values(v, E::of_f64(a), E::of_f64(b)), *x.shape()))
}

/// plenoptic's `rescale` arithmetic, in the element type as torch computes it:
/// `a + (x - min) / (max - min) * (b - a)` (`a + (x - min) * (b - a)` for a constant `v`).
pub(crate) fn rescale_values<E: Float>(mut v: Vec<E>, a: E, b: E) -> Vec<E> {
    let (mn, mx) = v.iter().fold((v[0], v[0]), |(l, h), e| {
        (if *e < l { *e } else { l }, if *e > h { *e } else { h })
    });
    let range = mx - mn;
    for x in v.iter_mut() {
        let g = if range > E::zero() {
            (*x - mn) / range
        } else {
            *x - mn
        };
        *x = a + g * (b - a);
    }
    v
}

/// A disk with a raised-cosine edge, as plenoptic's `make_disk`: 1 within `inner_radius`
/// of the centre `((h-1)/2, (w-1)/2)`, 0 beyond `outer_radius`, and
/// `(1 + cos(pi (r - inner) / (outer - inner))) / 2` between. Defaults: `outer_radius =
/// (min(h, w) - 1) / 2`, `inner_radius = outer_radius / 2`. Shape (1, 1, h, w).
///
/// ```
/// let d = plenoptic::tools::make_disk::<f32>((5, 5), None, None)?;
/// let v = d.as_vec();
/// assert_eq!((v[12], v[0]), (1.0, 0.0)); // centre and corner
/// # Ok::<(), plenoptic::Error>(())
/// ```
///
/// # Errors
/// [`Error::Empty`] for a zero size, [`Error::InvalidArgument`] for a negative or
/// non-finite radius, or an inner radius larger than the outer one.
pub fn make_disk<E: Float>(
    size: (usize, usize),
    outer_radius: Option<f64>,
    inner_radius: Option<f64>,
) -> Result<Image<E>> {
    let d = disk_plane(size, outer_radius, inner_radius)?;
    image_from_vec(
        d.into_iter().map(E::of_f64).collect(),
        &[1, 1, size.0, size.1],
    )
}

/// The values of [`make_disk`], row-major.
pub(crate) fn disk_plane(
    size: (usize, usize),
    outer_radius: Option<f64>,
    inner_radius: Option<f64>,
) -> Result<Vec<f64>> {
    let (h, w) = size;
    check_shape4(&[1, 1, h, w], "disk")?;
    let outer = outer_radius.unwrap_or((h.min(w) as f64 - 1.0) / 2.0);
    let inner = inner_radius.unwrap_or(outer / 2.0);
    for (name, r) in [("outer_radius", outer), ("inner_radius", inner)] {
        if !(r >= 0.0 && r.is_finite()) {
            return Err(Error::invalid(name, format!("{r} must be finite and >= 0")));
        }
    }
    if inner > outer {
        return Err(Error::invalid(
            "inner_radius",
            format!("{inner} is larger than outer_radius {outer}"),
        ));
    }
    let (i0, j0) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
    let mut out = Vec::with_capacity(h * w);
    for i in 0..h {
        for j in 0..w {
            let r = ((i as f64 - i0).powi(2) + (j as f64 - j0).powi(2)).sqrt();
            out.push(if r > outer {
                0.0
            } else if r < inner || outer == inner {
                1.0
            } else {
                let decay = (r - inner) / (outer - inner);
                (1.0 + (std::f64::consts::PI * decay).cos()) / 2.0
            });
        }
    }
    Ok(out)
}
