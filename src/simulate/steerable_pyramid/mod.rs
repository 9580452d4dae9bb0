//! plenoptic's `SteerablePyramidFreq`: the steerable pyramid built in the frequency
//! domain. Every band is a linear function of the image's DFT (a centred crop of the
//! shifted spectrum times a fixed mask), so the whole pyramid is one
//! [`crate::ops::spectral_analysis`] and its reconstruction one
//! [`crate::ops::spectral_synthesis`].

mod coeffs;
pub(crate) mod masks;
mod steer;

use std::sync::Arc;

pub use coeffs::{PyrCoeffs, PyrKey};
use masks::{Grid, Masks};
pub use steer::Steered;

use crate::device::Device;
use crate::error::{Error, Result};
use crate::ops::{spectral_analysis, spectral_synthesis, SpectralBand, SpectralPlan};
use crate::simulate::Scale;
use crate::tensor::{dims, Float, Image, Tape};

/// The height of a pyramid: a number of scales, or `Auto` (plenoptic's `"auto"`: the
/// largest allowed, `floor(log2(min(h, w))) - 2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Height {
    /// The largest height the image allows.
    Auto,
    /// This many scales (0: the residuals only).
    Scales(usize),
}

impl From<usize> for Height {
    fn from(n: usize) -> Self {
        Height::Scales(n)
    }
}

/// plenoptic's `SteerablePyramidFreq(image_shape, height, order, twidth, is_complex,
/// downsample, tight_frame)`: a multi-scale, multi-orientation decomposition computed in
/// the frequency domain (circular boundaries). Its bands (see [`PyrCoeffs`]) run from the
/// residual highpass through `num_scales` scales of `order + 1` orientations (fine to
/// coarse) to the residual lowpass.
///
/// ```
/// use plenoptic as po;
/// let img = po::data::white_noise::<f32>(&[1, 1, 64, 64])?;
/// let pyr = po::simulate::SteerablePyramidFreq::builder((64, 64)).height(3).build()?;
/// let coeffs = pyr.forward(img.clone())?;
/// assert_eq!(po::dims(&coeffs.band(&po::simulate::PyrKey::Band(1, 0))?), [1, 1, 32, 32]);
/// let recon = pyr.recon_pyr(coeffs, None, None)?;
/// let err = recon.as_vec().iter().zip(img.as_vec()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
/// assert!(err < 1e-4);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SteerablePyramidFreq {
    image_shape: (usize, usize),
    num_scales: usize,
    order: usize,
    is_complex: bool,
    downsample: bool,
    tight_frame: bool,
    masks: Arc<Masks>,
    keys: Vec<PyrKey>,
    analysis: Arc<SpectralPlan>,
    recon: Arc<SpectralPlan>,
}

/// Options for [`SteerablePyramidFreq`]; finish with [`SteerablePyramidFreqBuilder::build`].
#[derive(Clone, Debug)]
pub struct SteerablePyramidFreqBuilder {
    image_shape: (usize, usize),
    height: Height,
    order: usize,
    twidth: f64,
    is_complex: bool,
    downsample: bool,
    tight_frame: bool,
}

impl SteerablePyramidFreqBuilder {
    /// Number of scales, or [`Height::Auto`] (the default).
    pub fn height(mut self, h: impl Into<Height>) -> Self {
        self.height = h.into();
        self
    }
    /// Order of the steerable filters, 0..=15 (default 3): `order + 1` orientations.
    pub fn order(mut self, order: usize) -> Self {
        self.order = order;
        self
    }
    /// Width of the radial transition, in octaves (default 1).
    pub fn twidth(mut self, twidth: f64) -> Self {
        self.twidth = twidth;
        self
    }
    /// Complex bands (even and odd filters; default false).
    pub fn is_complex(mut self, c: bool) -> Self {
        self.is_complex = c;
        self
    }
    /// Downsample each scale (default true); if false every band has the image's size.
    pub fn downsample(mut self, d: bool) -> Self {
        self.downsample = d;
        self
    }
    /// Tight frame ("ortho" FFT norm: the bands' energy equals the image's; default false).
    pub fn tight_frame(mut self, t: bool) -> Self {
        self.tight_frame = t;
        self
    }

    /// Builds the pyramid (its masks, as plenoptic's constructor).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a height above `floor(log2(min(h, w))) - 2`, an
    /// order above 15, a complex pyramid of order 0, a non-positive `twidth` or an image
    /// shape with a zero side.
    pub fn build(self) -> Result<SteerablePyramidFreq> {
        let (h, w) = self.image_shape;
        if h < 2 || w < 2 {
            return Err(Error::invalid(
                "image_shape",
                format!("{h}x{w}: too small for a pyramid"),
            ));
        }
        let max_ht = ((h.min(w) as f64).log2().floor() - 2.0).max(0.0) as usize;
        let num_scales = match self.height {
            Height::Auto => max_ht,
            Height::Scales(n) if n > max_ht => {
                return Err(Error::invalid(
                    "height",
                    format!("cannot build pyramid higher than {max_ht} levels for a {h}x{w} image"),
                ))
            }
            Height::Scales(n) => n,
        };
        if self.order > 15 {
            return Err(Error::invalid(
                "order",
                "must be an integer in the range [0, 15]",
            ));
        }
        if self.order == 0 && self.is_complex {
            return Err(Error::invalid(
                "order",
                "a complex pyramid cannot have order 0",
            ));
        }
        if self.twidth.is_nan() || self.twidth <= 0.0 {
            return Err(Error::invalid("twidth", "must be positive"));
        }
        let masks = Masks::new(
            (h, w),
            num_scales,
            self.order,
            self.twidth.floor(),
            self.is_complex,
            self.downsample,
        );
        let mut pyr = SteerablePyramidFreq {
            image_shape: (h, w),
            num_scales,
            order: self.order,
            is_complex: self.is_complex,
            downsample: self.downsample,
            tight_frame: self.tight_frame,
            masks: Arc::new(masks),
            keys: Vec::new(),
            analysis: Arc::new(SpectralPlan::new(h, w, Vec::new())),
            recon: Arc::new(SpectralPlan::new(h, w, Vec::new())),
        };
        pyr.keys = std::iter::once(PyrKey::ResidualHighpass)
            .chain((0..num_scales).flat_map(|s| (0..=self.order).map(move |o| PyrKey::Band(s, o))))
            .chain(std::iter::once(PyrKey::ResidualLowpass))
            .collect();
        let fwd = pyr.keys.iter().map(|k| pyr.band(*k, false)).collect();
        let rec = pyr.keys.iter().map(|k| pyr.band(*k, true)).collect();
        pyr.analysis = Arc::new(SpectralPlan::new(h, w, fwd));
        pyr.recon = Arc::new(SpectralPlan::new(h, w, rec));
        Ok(pyr)
    }
}

/// `(-i)^order` (forward) or `i^order` (reconstruction) as (re, im).
fn i_power(order: usize, recon: bool) -> (f64, f64) {
    let k = if recon {
        order % 4
    } else {
        (4 - order % 4) % 4
    };
    [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)][k]
}

impl SteerablePyramidFreq {
    /// A builder for an image of shape `(height, width)`, with plenoptic's defaults.
    pub fn builder(image_shape: (usize, usize)) -> SteerablePyramidFreqBuilder {
        SteerablePyramidFreqBuilder {
            image_shape,
            height: Height::Auto,
            order: 3,
            twidth: 1.0,
            is_complex: false,
            downsample: true,
            tight_frame: false,
        }
    }

    /// Number of scales (plenoptic's `num_scales`).
    pub fn num_scales(&self) -> usize {
        self.num_scales
    }

    /// Number of orientations, `order + 1`.
    pub fn num_orientations(&self) -> usize {
        self.order + 1
    }

    /// Whether the bands are complex.
    pub fn is_complex(&self) -> bool {
        self.is_complex
    }

    /// The image shape the pyramid was built for.
    pub fn image_shape(&self) -> (usize, usize) {
        self.image_shape
    }

    /// The band keys in plenoptic's dictionary order.
    pub fn keys(&self) -> &[PyrKey] {
        &self.keys
    }

    /// plenoptic's `scales`: `residual_lowpass`, the scales coarse to fine, then
    /// `residual_highpass`.
    pub fn scales(&self) -> Vec<Scale> {
        std::iter::once(Scale::named("residual_lowpass"))
            .chain((0..self.num_scales).rev().map(Scale::Index))
            .chain(std::iter::once(Scale::named("residual_highpass")))
            .collect()
    }

    /// The spectral band of `key`: its mask (forward, or the reconstruction's), grid and
    /// whether it has an imaginary part.
    fn band(&self, key: PyrKey, recon: bool) -> SpectralBand {
        let (h, w, v, imag) = self.band_mask(key, recon);
        SpectralBand::centred(self.image_shape, h, w, &v, imag)
    }

    /// The plan [`Self::recon_pyr`] applies to all bands (the reconstruction as a
    /// [`crate::ops::spectral_synthesis`] of the flat coefficients).
    pub fn recon_plan(&self) -> Arc<SpectralPlan> {
        self.recon.clone()
    }

    /// The precomputed masks.
    pub(crate) fn masks(&self) -> &Masks {
        &self.masks
    }

    /// The mask of band `key` (forward, or the reconstruction's) on its grid, in
    /// `fftshift`ed layout as (re, im), with the grid's size and whether the band is complex.
    pub(crate) fn band_mask(
        &self,
        key: PyrKey,
        recon: bool,
    ) -> (usize, usize, Vec<(f64, f64)>, bool) {
        let m = &self.masks;
        let big = self.image_shape;
        let n_big = (big.0 * big.1) as f64;
        let ortho = self.tight_frame;
        // "ortho" against "backward" norm: forward bands * sqrt(n/N), recon * sqrt(N/n)
        let norm = |n: f64| {
            if !ortho {
                1.0
            } else if recon {
                (n_big / n).sqrt()
            } else {
                (n / n_big).sqrt()
            }
        };
        let nods_gain = |level: usize| -> f64 {
            if self.downsample || ortho {
                1.0
            } else if recon {
                0.5f64.powi(level as i32)
            } else {
                2f64.powi(level as i32)
            }
        };
        let real_band = |g: Grid, s: f64| {
            let n = (g.h * g.w) as f64;
            let v: Vec<(f64, f64)> = g.v.iter().map(|&a| (a * s * norm(n), 0.0)).collect();
            (g.h, g.w, v, false)
        };
        match key {
            PyrKey::ResidualHighpass => real_band(m.hi0.clone(), 1.0),
            PyrKey::ResidualLowpass => {
                let l = self.num_scales;
                real_band(m.lowpass_cascade(l), nods_gain(l))
            }
            PyrKey::Band(s, o) => {
                let mut g = m.lowpass_cascade(s);
                let ang = if recon {
                    &m.angle_recon[s][o]
                } else {
                    &m.angle[s][o]
                };
                for ((a, h), an) in g.v.iter_mut().zip(&m.hi[s].v).zip(&ang.v) {
                    *a *= h * an;
                }
                let n = (g.h * g.w) as f64;
                let mut s_all = nods_gain(s) * norm(n);
                if self.is_complex && ortho {
                    s_all *= if recon {
                        2f64.sqrt()
                    } else {
                        1.0 / 2f64.sqrt()
                    };
                }
                let (cr, ci) = i_power(self.order, recon);
                let v: Vec<(f64, f64)> =
                    g.v.iter()
                        .map(|&a| (a * s_all * cr, a * s_all * ci))
                        .collect();
                (g.h, g.w, v, self.is_complex)
            }
        }
    }

    /// The pyramid coefficients of `x` (batch, channel, h, w), recorded on `x`'s tape
    /// (plenoptic's `forward`).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `x`'s height and width are not the pyramid's.
    pub fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<PyrCoeffs<E, T, D>> {
        let [b, c, _, _] = self.check_image(&x)?;
        let flat = spectral_analysis(x, &self.analysis)?;
        Ok(PyrCoeffs::new(
            flat,
            (b, c),
            layout_of(&self.keys, &self.analysis),
        ))
    }

    /// plenoptic's `forward(x, scales)`: the coefficients of only the listed scales
    /// ([`Scale::Index`] for all orientations of a scale, `"residual_highpass"`,
    /// `"residual_lowpass"`; order and repeats do not matter), in plenoptic's band order,
    /// each equal to the same band of [`Self::forward`]. Such coefficients cannot be
    /// reconstructed ([`Self::recon_pyr`] needs every band, as plenoptic's).
    ///
    /// ```
    /// use plenoptic as po;
    /// use po::simulate::{PyrKey, Scale, SteerablePyramidFreq};
    /// let pyr = SteerablePyramidFreq::builder((32, 32)).height(3).build()?;
    /// let x = po::data::white_noise::<f32>(&[1, 1, 32, 32])?;
    /// let part = pyr.forward_scales(x, &[Scale::Index(1), "residual_lowpass".into()])?;
    /// assert_eq!(part.keys().len(), 5); // (1, 0) ..= (1, 3), residual_lowpass
    /// assert_eq!(po::dims(&part.band(&PyrKey::Band(1, 2))?), [1, 1, 16, 16]);
    /// # Ok::<(), po::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no scales, a scale index of `num_scales` or more
    /// (plenoptic: "Scales must be within 0 and num_scales-1"), or a name other than the
    /// residuals' (plenoptic ignores unknown names); as [`Self::forward`].
    pub fn forward_scales<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
        scales: &[Scale],
    ) -> Result<PyrCoeffs<E, T, D>> {
        if scales.is_empty() {
            return Err(Error::invalid(
                "scales",
                "list at least one scale (forward gives all of them)",
            ));
        }
        self.check_levels("scales", scales)?;
        let keep = |k: &PyrKey| scales.contains(&Self::level_of(k));
        if self.keys.iter().all(keep) {
            return self.forward(x);
        }
        let [b, c, h, w] = self.check_image(&x)?;
        let (keys, bands): (Vec<PyrKey>, Vec<SpectralBand>) = self
            .keys
            .iter()
            .zip(&self.analysis.bands)
            .filter(|(k, _)| keep(k))
            .map(|(k, b)| (*k, b.clone()))
            .unzip();
        let plan = Arc::new(SpectralPlan::new(h, w, bands));
        let flat = spectral_analysis(x, &plan)?;
        Ok(PyrCoeffs::new(flat, (b, c), layout_of(&keys, &plan)))
    }

    /// Refuses a level (argument `name`) the pyramid does not have.
    fn check_levels(&self, name: &'static str, levels: &[Scale]) -> Result<()> {
        match levels.iter().find(|l| match l {
            Scale::Index(i) => *i >= self.num_scales,
            Scale::Named(n) => n != "residual_highpass" && n != "residual_lowpass",
        }) {
            None => Ok(()),
            Some(l) => Err(Error::invalid(
                name,
                format!(
                    "{l} is not a level of this pyramid (0..{}, residual_highpass, residual_lowpass)",
                    self.num_scales
                ),
            )),
        }
    }

    /// The level (plenoptic's scale) band `key` belongs to.
    fn level_of(key: &PyrKey) -> Scale {
        match key {
            PyrKey::ResidualHighpass => Scale::named("residual_highpass"),
            PyrKey::ResidualLowpass => Scale::named("residual_lowpass"),
            PyrKey::Band(s, _) => Scale::Index(*s),
        }
    }

    /// plenoptic's `convert_pyr_to_tensor(forward(x), split_complex=True)`: the bands of
    /// `x` as channels of one (batch, channel * n, h, w) tensor (per input channel: the
    /// residual highpass, each band, real then imaginary part for complex ones, the
    /// residual lowpass), recorded on `x`'s tape. Only for pyramids built with
    /// `downsample(false)`, whose bands all have the image's size.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a downsampled pyramid; as [`Self::forward`].
    pub fn forward_tensor<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        if self.downsample {
            return Err(Error::invalid(
                "downsample",
                "bands as one tensor need a pyramid built with downsample(false)",
            ));
        }
        self.check_image(&x)?;
        let mut plan = (*self.analysis).clone();
        plan.stacked = true;
        spectral_analysis(x, &Arc::new(plan))
    }

    /// The shape of `x`, refused unless its height and width are the pyramid's.
    fn check_image<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: &Image<E, T, D>,
    ) -> Result<[usize; 4]> {
        let d = dims(x);
        if (d[2], d[3]) != self.image_shape {
            return Err(Error::shape_mismatch(
                "steerable pyramid: image height and width against image_shape",
                [self.image_shape.0, self.image_shape.1],
                [d[2], d[3]],
            ));
        }
        Ok(d)
    }

    /// plenoptic's `recon_pyr(coeffs, levels, bands)`: the image reconstructed from the
    /// chosen levels (`None`: all; [`Scale::Index`] for a scale, `"residual_highpass"`,
    /// `"residual_lowpass"`) and orientations (`None`: all), recorded on the coefficients'
    /// tape (taken by value: clone tape-less coefficients to keep them). Not exact: plenoptic's masks make it off by about 5e-6.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a level or band the pyramid does not have;
    /// [`Error::ShapeMismatch`] for coefficients of another pyramid.
    pub fn recon_pyr<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        coeffs: PyrCoeffs<E, T, D>,
        levels: Option<&[Scale]>,
        bands: Option<&[usize]>,
    ) -> Result<Image<E, T, D>> {
        if let Some(levels) = levels {
            self.check_levels("levels", levels)?;
        }
        if coeffs.keys() != self.keys {
            return Err(Error::invalid(
                "pyr_coeffs",
                "reconstruction needs every band: make the coefficients with forward, \
                 not forward_scales",
            ));
        }
        if let Some(bands) = bands {
            if let Some(b) = bands.iter().find(|b| **b > self.order) {
                return Err(Error::invalid(
                    "bands",
                    format!("band {b} is not in 0..={}", self.order),
                ));
            }
        }
        let keep = |k: &PyrKey| -> bool {
            let level = Self::level_of(k);
            let level_ok = levels.is_none_or(|l| l.contains(&level));
            let band_ok = match k {
                PyrKey::Band(_, o) => bands.is_none_or(|b| b.contains(o)),
                _ => true,
            };
            level_ok && band_ok
        };
        let plan = if self.keys.iter().all(keep) {
            self.recon.clone()
        } else {
            let bands = self
                .keys
                .iter()
                .zip(&self.recon.bands)
                .map(|(k, b)| if keep(k) { b.clone() } else { b.scaled(0.0) })
                .collect();
            Arc::new(SpectralPlan::new(
                self.image_shape.0,
                self.image_shape.1,
                bands,
            ))
        };
        let t = coeffs.into_tensor();
        let [_, _, _, n] = dims(&t);
        if n != plan.len() {
            return Err(Error::shape_mismatch(
                "recon_pyr: coefficients against this pyramid's",
                [plan.len()],
                [n],
            ));
        }
        spectral_synthesis(t, &plan)
    }
}

/// The coefficients' layout for `plan`, whose bands are those of `keys`, in order: key,
/// offset, height, width, imaginary part.
fn layout_of(keys: &[PyrKey], plan: &SpectralPlan) -> Vec<(PyrKey, usize, usize, usize, bool)> {
    keys.iter()
        .zip(&plan.bands)
        .zip(plan.offsets())
        .map(|((k, b), o)| (*k, o, b.h, b.w, b.imag))
        .collect()
}
