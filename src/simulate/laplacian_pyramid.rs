//! plenoptic's `LaplacianPyramid` (Burt & Adelson 1983): each level is the image minus
//! its blurred, down-sampled and up-sampled version, the last level the remaining low
//! pass; with plenoptic's `binom5` filter and reflect padding (`blur_downsample`,
//! `upsample_blur`).

use dfdx::prelude::WithEmptyTape;

use crate::device::Device;
use crate::error::{Error, Result};
use crate::ops::pointwise::inlined::map2;
use crate::ops::{separable_map, PadMode, SeparableMap};
use crate::tensor::{dims, Float, Image, Tape};

/// pyrtools' `binom5`: `[1, 4, 6, 4, 1] / 16 * sqrt(2)` (the 2-D filter `binom5 ⊗ binom5`
/// sums to 2).
fn binom5() -> [f64; 5] {
    let s = std::f64::consts::SQRT_2 / 16.0;
    [s, 4.0 * s, 6.0 * s, 4.0 * s, s]
}

/// plenoptic's `blur_downsample` of an (h, w) image: reflect-pad 2, correlate with
/// `binom5 ⊗ binom5` (halved when `scale_filter`, so it sums to 1), keep every other pixel.
fn downsample_map(h: usize, w: usize, scale_filter: bool) -> Result<SeparableMap> {
    let f = if scale_filter {
        std::f64::consts::FRAC_1_SQRT_2
    } else {
        1.0
    };
    let taps = binom5().map(|t| t * f);
    SeparableMap::correlate((h, w), &taps, &taps, Some(PadMode::Reflect), 2)
}

/// The rows of plenoptic's `upsample_convolve` along one dimension: reflect-pad the `n`
/// inputs by 1, insert zeros (stride-2 transposed convolution), zero-pad the end when the
/// output is even, correlate with `taps`: `2n - odd` outputs.
fn upsample_rows(n: usize, odd: usize, taps: &[f64; 5]) -> Vec<Vec<(usize, f64)>> {
    let z_len = 2 * (n + 2) - 1;
    (0..2 * n - odd)
        .map(|p| {
            let mut row: Vec<(usize, f64)> = Vec::new();
            for (u, &t) in taps.iter().enumerate() {
                let j = p + u;
                if j % 2 == 1 || j >= z_len {
                    continue;
                }
                let s = PadMode::Reflect
                    .source(j / 2, 1, n)
                    .expect("reflect has a source");
                match row.iter_mut().find(|e| e.0 == s) {
                    Some(e) => e.1 += t,
                    None => row.push((s, t)),
                }
            }
            row
        })
        .collect()
}

/// plenoptic's `upsample_blur` of an (h, w) image to (2h - odd.0, 2w - odd.1), with
/// `binom5 ⊗ binom5` doubled when `scale_filter` (it then sums to 4).
fn upsample_map(
    h: usize,
    w: usize,
    odd: (usize, usize),
    scale_filter: bool,
) -> Result<SeparableMap> {
    for n in [h, w] {
        PadMode::Reflect.check(1, n)?;
    }
    let f = if scale_filter {
        std::f64::consts::SQRT_2
    } else {
        1.0
    };
    let taps = binom5().map(|t| t * f);
    SeparableMap::new(
        (h, w),
        upsample_rows(h, odd.0, &taps),
        upsample_rows(w, odd.1, &taps),
    )
}

/// The Laplacian pyramid (plenoptic's `po.simul.LaplacianPyramid(n_scales, scale_filter)`):
/// `n_scales` levels from fine to coarse, level `i` of size `ceil(n / 2^i)`. Invertible:
/// [`LaplacianPyramid::recon_pyr`] gives the image back.
///
/// ```
/// use plenoptic as po;
/// let img = po::data::white_noise::<f64>(&[1, 1, 32, 30])?;
/// let lpyr = po::simulate::LaplacianPyramid::new(4, false)?;
/// let levels = lpyr.forward(img.clone())?;
/// assert_eq!(po::dims(&levels[3]), [1, 1, 4, 4]);
/// let back = lpyr.recon_pyr(levels)?;
/// let err = back.as_vec().iter().zip(img.as_vec()).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
/// assert!(err < 1e-12);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LaplacianPyramid {
    n_scales: usize,
    scale_filter: bool,
}

impl LaplacianPyramid {
    /// A pyramid of `n_scales` levels (plenoptic's default is 5); `scale_filter` makes the
    /// down-sampling filter sum to 1 (and the up-sampling one to 4), so level `n` is
    /// divided by `2^n` compared with `false` (NLPD uses `true`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for 0 scales.
    pub fn new(n_scales: usize, scale_filter: bool) -> Result<Self> {
        if n_scales == 0 {
            return Err(Error::invalid("n_scales", "must be at least 1"));
        }
        Ok(LaplacianPyramid {
            n_scales,
            scale_filter,
        })
    }

    /// The number of levels.
    pub fn n_scales(&self) -> usize {
        self.n_scales
    }

    /// The levels of `x` (batch, channel, h, w), fine to coarse, each computed per batch
    /// element and channel. The tape of `x` travels with the first level and each level
    /// carries its own operations, so a loss should combine every level it depends on.
    ///
    /// # Errors
    /// [`Error::PaddingTooLarge`] when a level is too small for the reflect padding (3
    /// pixels are needed to go down a level).
    pub fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Vec<Image<E, T, D>>> {
        let [_, _, h, w] = dims(&x);
        let mut levels = Vec::with_capacity(self.n_scales);
        let mut x = x;
        for (down, up) in self.maps(h, w)? {
            let down = separable_map(x.with_empty_tape(), &down)?;
            let up = separable_map(down.with_empty_tape(), &up)?;
            levels.push(map2(x, up, |a, b, _| (a - b, E::one(), -E::one()))?);
            x = down;
        }
        levels.push(x);
        Ok(levels)
    }

    /// The (blur-downsample, upsample-blur) maps from each level of an (h, w) image to
    /// the next coarser one and back, `n_scales - 1` pairs: level `i` is `x_i - up(down(x_i))`
    /// and `x_{i + 1} = down(x_i)`.
    ///
    /// # Errors
    /// As [`LaplacianPyramid::forward`].
    pub(crate) fn maps(&self, h: usize, w: usize) -> Result<Vec<(SeparableMap, SeparableMap)>> {
        let (mut h, mut w) = (h, w);
        let mut maps = Vec::with_capacity(self.n_scales - 1);
        for _ in 0..self.n_scales - 1 {
            let down = downsample_map(h, w, self.scale_filter)?;
            let (hd, wd) = down.output_size();
            let up = upsample_map(hd, wd, (h % 2, w % 2), self.scale_filter)?;
            maps.push((down, up));
            (h, w) = (hd, wd);
        }
        Ok(maps)
    }

    /// The image whose pyramid is `levels` (plenoptic's `recon_pyr`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a number of levels other than `n_scales`;
    /// [`Error::ShapeMismatch`] for levels of inconsistent sizes.
    pub fn recon_pyr<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        levels: Vec<Image<E, T, D>>,
    ) -> Result<Image<E, T, D>> {
        if levels.len() != self.n_scales {
            return Err(Error::invalid(
                "levels",
                format!("{} levels for a pyramid of {}", levels.len(), self.n_scales),
            ));
        }
        let mut levels = levels;
        let mut x = levels.pop().expect("at least one level");
        while let Some(finer) = levels.pop() {
            let [_, _, h, w] = dims(&finer);
            let [_, _, hc, wc] = dims(&x);
            let up = separable_map(x, &upsample_map(hc, wc, (h % 2, w % 2), self.scale_filter)?)?;
            x = map2(finer, up, |a, b, _| (a + b, E::one(), E::one()))?;
        }
        Ok(x)
    }
}
