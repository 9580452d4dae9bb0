//! SSIM (plenoptic's `ssim`, `ssim_map` and their shared `_ssim_parts`): local means,
//! variances and covariance under an 11x11 Gaussian window (std 1.5), combined with
//! plenoptic's constants `C1 = 0.01²`, `C2 = 0.03²`.

use dfdx::prelude::WithEmptyTape;

use super::pair::{
    broadcast_pair, gather_tape, mul, plane_mean, warn_channels, warn_outside_unit_range, Pair,
};
use super::Metric;
use crate::device::Device;
use crate::error::Result;
use crate::ops::pointwise::inlined::{map, map2};
use crate::ops::ssim::{ssim_mean, C1, C2};
use crate::ops::{separable_map, Fused, PadMode, SeparableMap, SsimWindow};
use crate::tensor::{dims, Float, Image, Tape};
use crate::warnings;

/// The structural similarity index (plenoptic's `ssim`), a similarity in [-1, 1] (1 for
/// identical images), one value per batch element and channel: shape (batch, channel, 1,
/// 1). `weighted` averages the SSIM map with the weight of Wang & Simoncelli (2008),
/// `log((1 + σ1²/C2)(1 + σ2²/C2))`, instead of uniformly; `pad` pads the images (plenoptic's
/// `same_padding` in that mode) before the window, so the map has the image's size.
/// The MAD tutorial uses `Ssim { weighted: true, pad: Some(PadMode::Reflect) }`.
///
/// ```
/// use plenoptic as po;
/// use po::metric::{Metric, Ssim};
/// let a = po::data::white_noise::<f32>(&[1, 1, 32, 32])?;
/// let s = Ssim { weighted: true, pad: Some(po::PadMode::Reflect) }.forward(a.clone(), a)?;
/// assert!((s.as_vec()[0] - 1.0).abs() < 1e-5);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Ssim {
    /// Weight the map by the local variances (plenoptic's `weighted=True`).
    pub weighted: bool,
    /// Pad before the window (plenoptic's `pad`); `None` is plenoptic's `pad=False`.
    pub pad: Option<PadMode>,
}

impl Metric for Ssim {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        a: Image<E, T, D>,
        b: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let small = smaller_than_window(dims(&a));
        let (a, b) = checked_pair(a, b, "ssim")?;
        let [_, _, h, w] = dims(&a);
        let win = window(h, w, self.pad);
        // the CPU's fused kernel, or the same formula composed from other ops
        let out = match ssim_mean(a, b, &win, self.weighted)? {
            Fused::Done(m) => m,
            Fused::Declined(a, b) => {
                let parts = ssim_parts(a, b, &win, Carrier::Map)?;
                if self.weighted {
                    let num = plane_mean(mul(parts.map, parts.weight.with_empty_tape())?)?;
                    let den = plane_mean(parts.weight)?;
                    map2(num, den, |n, d, _| (n / d, d.recip(), -n / (d * d)))?
                } else {
                    plane_mean(parts.map)?
                }
            }
        };
        if small {
            warnings::warn(SMALL_IMAGE);
        }
        Ok(out)
    }
}

/// plenoptic's warning for images smaller than SSIM's window.
const SMALL_IMAGE: &str = "SSIM uses 11x11 convolutional kernel, but the height and/or the \
    width of the input image is smaller than 11, so the kernel size is set to be the minimum \
    of these two numbers.";

/// Whether an image's height or width is below SSIM's 11-pixel window.
pub(crate) fn smaller_than_window(d: [usize; 4]) -> bool {
    d[2].min(d[3]) < 11
}

/// Which output of [`ssim_parts`] carries the tape (every operation recorded for the
/// three outputs travels with it).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Carrier {
    Map,
    ContrastStructure,
}

/// The SSIM map, the contrast-structure map and the weight map of two images (plenoptic's
/// `_ssim_parts`).
pub(crate) struct Parts<E: Float, D: Device<E>, T: Tape<E, D>> {
    pub(crate) map: Image<E, T, D>,
    pub(crate) cs: Image<E, T, D>,
    pub(crate) weight: Image<E, T, D>,
}

/// The 1-D Gaussian taps whose outer product is plenoptic's `circular_gaussian2d(n, std)`
/// (normalised to sum 1).
fn gaussian_taps(n: usize, std: f64) -> Vec<f64> {
    let o = (n as f64 + 1.0) / 2.0;
    let t: Vec<f64> = (1..=n)
        .map(|i| (-(i as f64 - o).powi(2) / (2.0 * std * std)).exp())
        .collect();
    let s: f64 = t.iter().sum();
    t.into_iter().map(|v| v / s).collect()
}

/// The sum of the weights of plenoptic's SSIM window as it uses them: computed in float32
/// whatever the images' type (`circular_gaussian2d` with a float32 `std`) and normalised
/// by torch's float32 sum, so it sums to 1 + O(1e-8) (3.0e-8 for 11x11). The cancellation
/// in `σ² = E[x²] - μ²` amplifies that about a hundredfold (2.7e-6 in SSIM on einstein),
/// so the crate's window (separable, in the images' type) is scaled to the same sum.
/// torch's sum is reproduced as its vectorised reduction adds: four strided lanes, the
/// lanes in order, then the remainder.
fn plenoptic_window_sum(n: usize, std: f32) -> f64 {
    let o = (n as f32 + 1.0) / 2.0;
    let mut w = Vec::with_capacity(n * n);
    for i in 1..=n {
        for j in 1..=n {
            let (y, x) = (i as f32 - o, j as f32 - o);
            w.push(((x * x + y * y) / (-2.0 * std * std)).exp());
        }
    }
    let body = w.len() / 4 * 4;
    let mut lanes = [0.0f32; 4];
    for c in w[..body].chunks_exact(4) {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l += *v;
        }
    }
    let mut sum = 0.0f32;
    for l in lanes {
        sum += l;
    }
    let mut tail = 0.0f32;
    for v in &w[body..] {
        tail += *v;
    }
    let sum = sum + tail;
    w.iter().map(|v| f64::from(*v / sum)).sum()
}

/// SSIM's window for images of size (h, w): `min(11, h, w)` taps, std 1.5, scaled to the
/// sum of plenoptic's window, after `same_padding` in `pad` mode when given.
pub(crate) fn window(h: usize, w: usize, pad: Option<PadMode>) -> SsimWindow {
    let n = 11.min(h).min(w);
    let scale = plenoptic_window_sum(n, 1.5).sqrt();
    let taps = gaussian_taps(n, 1.5)
        .into_iter()
        .map(|t| t * scale)
        .collect();
    SsimWindow::new(taps, pad)
}

/// The images checked and broadcast as plenoptic's `_ssim_parts` does, with its warnings
/// (`what`: the calling function's name).
pub(crate) fn checked_pair<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
    what: &str,
) -> Result<Pair<E, T, D>> {
    let name = if what == "ms_ssim" { "MS-SSIM" } else { "SSIM" };
    warn_outside_unit_range(&a, &b, name);
    let (da, db) = (dims(&a), dims(&b));
    let (a, b) = broadcast_pair(a, b, what)?;
    warn_channels(da, db, "SSIM");
    Ok((a, b))
}

/// plenoptic's `_ssim_parts` of checked images ([`checked_pair`]): the windowed
/// statistics and the three maps, all recorded on the tape of `carrier`'s map.
pub(crate) fn ssim_parts<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
    window: &SsimWindow,
    carrier: Carrier,
) -> Result<Parts<E, D, T>> {
    let [_, _, h, w] = dims(&a);
    let win = SeparableMap::correlate((h, w), &window.taps, &window.taps, window.pad, 1)?;
    let g = |x| separable_map(x, &win);
    let (a2, b2) = (a.with_empty_tape(), b.with_empty_tape());
    let mu1 = g(a)?;
    let mu2 = g(b)?;
    let e11 = g(map(a2.with_empty_tape(), |v, _| (v * v, v + v))?)?;
    let e22 = g(map(b2.with_empty_tape(), |v, _| (v * v, v + v))?)?;
    let e12 = g(mul(a2, b2)?)?;
    let two = E::of_f64(2.0);
    let (c1, c2) = (E::of_f64(C1), E::of_f64(C2));
    let var = |e, m: &Image<E, T, D>| {
        map2(e, m.with_empty_tape(), move |e, m, _| {
            (e - m * m, E::one(), -two * m)
        })
    };
    let s1 = var(e11, &mu1)?;
    let s2 = var(e22, &mu2)?;
    let m12 = mul(mu1.with_empty_tape(), mu2.with_empty_tape())?;
    let s12 = map2(e12, m12, |e, m, _| (e - m, E::one(), -E::one()))?;
    let lum = map2(mu1, mu2, move |x, y, _| {
        let n = two * (x * y) + c1;
        let d = x * x + y * y + c1;
        let dd = d * d;
        (
            n / d,
            two * y / d - n * two * x / dd,
            two * x / d - n * two * y / dd,
        )
    })?;
    let den = map2(s1.with_empty_tape(), s2.with_empty_tape(), |p, q, _| {
        (p + q + E::of_f64(C2), E::one(), E::one())
    })?;
    let cs = map2(s12, den, move |s, d, _| {
        let n = two * s + c2;
        (n / d, two / d, -n / (d * d))
    })?;
    let weight = map2(s1, s2, move |p, q, _| {
        let (u, v) = (E::one() + p / c2, E::one() + q / c2);
        ((u * v).ln(), (c2 + p).recip(), (c2 + q).recip())
    })?;
    let map_ssim = mul(lum, cs.with_empty_tape())?;
    Ok(match carrier {
        Carrier::Map => {
            let (m, cs) = gather_tape(map_ssim, cs);
            let (m, weight) = gather_tape(m, weight);
            Parts { map: m, cs, weight }
        }
        Carrier::ContrastStructure => {
            let (cs, m) = gather_tape(cs, map_ssim);
            let (cs, weight) = gather_tape(cs, weight);
            Parts { map: m, cs, weight }
        }
    })
}

/// The SSIM map (plenoptic's `ssim_map`): unpadded, so (h - 10) x (w - 10) for images of
/// at least 11x11, recorded on the images' tapes.
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] for images of different heights or widths, or batch
/// and channel sizes that do not broadcast.
pub fn ssim_map_of<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
) -> Result<Image<E, T, D>> {
    let small = smaller_than_window(dims(&a));
    let (a, b) = checked_pair(a, b, "ssim_map")?;
    let [_, _, h, w] = dims(&a);
    let map = ssim_parts(a, b, &window(h, w, None), Carrier::Map)?.map;
    if small {
        warnings::warn(SMALL_IMAGE);
    }
    Ok(map)
}

/// SSIM of two images (plenoptic's `po.metric.ssim(img1, img2)`: unweighted, unpadded),
/// shape (batch, channel, 1, 1). For the weighted or padded versions use [`Ssim`].
///
/// ```
/// let a = plenoptic::data::white_noise::<f32>(&[1, 1, 16, 16])?;
/// let s = plenoptic::metric::ssim(&a, &a)?;
/// assert!((s.as_vec()[0] - 1.0).abs() < 1e-5);
/// # Ok::<(), plenoptic::Error>(())
/// ```
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] for images of different heights or widths, or batch
/// and channel sizes that do not broadcast (each must be equal or 1).
pub fn ssim(a: &Image<f32>, b: &Image<f32>) -> Result<Image<f32>> {
    Ssim::default().forward(a.clone(), b.clone())
}

/// The SSIM map of two images (plenoptic's `ssim_map`): (batch, channel, h - 10, w - 10).
///
/// ```
/// let a = plenoptic::data::white_noise::<f32>(&[1, 1, 16, 16])?;
/// assert_eq!(plenoptic::dims(&plenoptic::metric::ssim_map(&a, &a)?), [1, 1, 6, 6]);
/// # Ok::<(), plenoptic::Error>(())
/// ```
///
/// # Errors
/// As [`ssim`].
pub fn ssim_map(a: &Image<f32>, b: &Image<f32>) -> Result<Image<f32>> {
    ssim_map_of(a.clone(), b.clone())
}
