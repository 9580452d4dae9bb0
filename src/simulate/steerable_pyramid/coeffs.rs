//! [`PyrCoeffs`]: a pyramid's bands, kept as one flat tensor on the tape.

use crate::device::Device;
use crate::error::{Error, Result};
use crate::tensor::{image_from_vec, to_cpu, Float, Image, Tape};

/// A band of a steerable pyramid, as plenoptic's dictionary keys.
///
/// ```
/// use plenoptic::simulate::PyrKey;
/// assert_eq!(PyrKey::Band(1, 2).to_string(), "(1, 2)");
/// assert_eq!(format!("{:>8}|", PyrKey::Band(0, 3)), "  (0, 3)|");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PyrKey {
    /// `"residual_highpass"`.
    ResidualHighpass,
    /// `(scale, orientation)`, scale 0 the finest.
    Band(usize, usize),
    /// `"residual_lowpass"`.
    ResidualLowpass,
}

impl std::fmt::Display for PyrKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PyrKey::ResidualHighpass => f.pad("residual_highpass"),
            PyrKey::ResidualLowpass => f.pad("residual_lowpass"),
            PyrKey::Band(s, o) => f.pad(&format!("({s}, {o})")),
        }
    }
}

/// The coefficients of [`super::SteerablePyramidFreq::forward`]: every band in
/// plenoptic's order (residual highpass, scale 0's orientations, ..., residual lowpass),
/// held as one tensor of shape (batch, channel, 1, n) on the input's tape: per image
/// plane each band's values row-major, a complex band's real part then its imaginary part.
#[derive(Debug)]
pub struct PyrCoeffs<E: Float, T, D: Device<E>> {
    flat: Image<E, T, D>,
    planes: (usize, usize),
    /// (key, offset, h, w, complex) per band.
    layout: Vec<(PyrKey, usize, usize, usize, bool)>,
}

impl<E: Float, D: Device<E>> Clone for PyrCoeffs<E, dfdx::prelude::NoneTape, D> {
    fn clone(&self) -> Self {
        PyrCoeffs {
            flat: self.flat.clone(),
            planes: self.planes,
            layout: self.layout.clone(),
        }
    }
}

impl<E: Float, T: Tape<E, D>, D: Device<E>> PyrCoeffs<E, T, D> {
    pub(crate) fn new(
        flat: Image<E, T, D>,
        planes: (usize, usize),
        layout: Vec<(PyrKey, usize, usize, usize, bool)>,
    ) -> Self {
        PyrCoeffs {
            flat,
            planes,
            layout,
        }
    }

    /// (key, offset, h, w, complex) per band.
    pub(crate) fn layout(&self) -> &[(PyrKey, usize, usize, usize, bool)] {
        &self.layout
    }

    /// (batch, channel) of the image the bands are of.
    pub(crate) fn planes(&self) -> (usize, usize) {
        self.planes
    }

    /// The band keys, in order.
    pub fn keys(&self) -> Vec<PyrKey> {
        self.layout.iter().map(|l| l.0).collect()
    }

    /// Whether band `key` is complex (then [`PyrCoeffs::band_imag`] has its imaginary part).
    pub fn is_complex(&self, key: &PyrKey) -> bool {
        self.layout.iter().any(|l| l.0 == *key && l.4)
    }

    /// All bands as one tensor (batch, channel, 1, n), on the tape.
    pub fn tensor(&self) -> &Image<E, T, D> {
        &self.flat
    }

    /// All bands as one tensor (batch, channel, 1, n), on the tape.
    pub fn into_tensor(self) -> Image<E, T, D> {
        self.flat
    }

    fn part(&self, key: &PyrKey, imag: bool) -> Result<Image<E>> {
        let &(_, off, h, w, cplx) =
            self.layout.iter().find(|l| l.0 == *key).ok_or_else(|| {
                Error::invalid("key", format!("{key} is not a band of this pyramid"))
            })?;
        if imag && !cplx {
            return Err(Error::invalid("key", format!("band {key} is real")));
        }
        let (b, c) = self.planes;
        let all = to_cpu(&self.flat).as_vec();
        let n = all.len() / (b * c);
        let start = off + if imag { h * w } else { 0 };
        let mut v = Vec::with_capacity(b * c * h * w);
        for p in 0..b * c {
            v.extend_from_slice(&all[p * n + start..p * n + start + h * w]);
        }
        image_from_vec(v, &[b, c, h, w])
    }

    /// The values of band `key` (its real part for a complex band), (batch, channel, h, w),
    /// copied to the CPU without the tape.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a key the pyramid does not have.
    pub fn band(&self, key: &PyrKey) -> Result<Image<E>> {
        self.part(key, false)
    }

    /// The imaginary part of the complex band `key`, copied to the CPU.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a key the pyramid does not have or a real band.
    pub fn band_imag(&self, key: &PyrKey) -> Result<Image<E>> {
        self.part(key, true)
    }
}
