//! [`SpectralPlan`]: the bands of the spectral op, and the host transforms that apply it
//! and its adjoint (f64, one image plane at a time).

use super::fft2::{fft2, fft2_real, C64};

/// One output band of a [`SpectralPlan`]: the centred `h x w` crop of the image's
/// `fftshift`ed 2-D DFT, times a complex mask, brought back to space at the crop's size
/// (`ifft2(ifftshift(mask * crop))`, torch's "backward" norm). Its real part, and with
/// `imag` its imaginary part, are outputs.
#[derive(Clone, Debug)]
pub struct SpectralBand {
    pub(crate) h: usize,
    pub(crate) w: usize,
    /// For each row of the band's unshifted spectrum, the image spectrum's row.
    rows: Vec<usize>,
    /// For each column of the band's unshifted spectrum, the image spectrum's column.
    cols: Vec<usize>,
    /// The mask in the band's unshifted layout.
    mask: Vec<C64>,
    pub(crate) imag: bool,
}

impl SpectralBand {
    /// The band of an `big_h x big_w` image for the mask `mask_shifted` (`h x w`,
    /// row-major, in `fftshift`ed layout, centred like plenoptic's crops: its row 0 is
    /// the image's shifted row `big_h/2 - h/2`), given as `(re, im)` pairs.
    pub(crate) fn centred(
        big: (usize, usize),
        h: usize,
        w: usize,
        mask_shifted: &[(f64, f64)],
        imag: bool,
    ) -> Self {
        let (bh, bw) = big;
        debug_assert!(h <= bh && w <= bw && mask_shifted.len() == h * w);
        let map = |n: usize, big_n: usize| -> Vec<usize> {
            let r0 = big_n / 2 - n / 2;
            (0..n)
                .map(|j| {
                    let u = (j + n / 2) % n;
                    (r0 + u + big_n - big_n / 2) % big_n
                })
                .collect()
        };
        let mut mask = vec![C64::new(0.0, 0.0); h * w];
        for j in 0..h {
            let u = (j + h / 2) % h;
            for l in 0..w {
                let v = (l + w / 2) % w;
                let (re, im) = mask_shifted[u * w + v];
                mask[j * w + l] = C64::new(re, im);
            }
        }
        SpectralBand {
            h,
            w,
            rows: map(h, bh),
            cols: map(w, bw),
            mask,
            imag,
        }
    }

    /// Values this band contributes to the op's output (1 or 2 planes of `h x w`).
    pub(crate) fn len(&self) -> usize {
        self.h * self.w * if self.imag { 2 } else { 1 }
    }

    /// The same band with its mask scaled by `s` (all zero: a band left out).
    pub(crate) fn scaled(&self, s: f64) -> Self {
        let mut b = self.clone();
        b.mask.iter_mut().for_each(|m| *m *= s);
        b
    }
}

/// The bands the spectral op computes from an `h x w` image: its output per image plane
/// is every band's real part (and imaginary part, for bands with `imag`) in order.
#[derive(Clone, Debug)]
pub struct SpectralPlan {
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) bands: Vec<SpectralBand>,
    /// Output the bands as channels, (batch, channel * planes, h, w), when every band has
    /// the image's size (instead of (batch, channel, 1, len)).
    pub(crate) stacked: bool,
}

impl SpectralPlan {
    /// A plan for `h x w` images.
    pub(crate) fn new(h: usize, w: usize, bands: Vec<SpectralBand>) -> Self {
        SpectralPlan {
            h,
            w,
            bands,
            stacked: false,
        }
    }

    /// Output values per image plane.
    pub fn len(&self) -> usize {
        self.bands.iter().map(SpectralBand::len).sum()
    }

    /// Whether the plan has no bands.
    pub fn is_empty(&self) -> bool {
        self.bands.is_empty()
    }

    /// The op's output shape for `b x c` image planes.
    pub(crate) fn out_shape(&self, b: usize, c: usize) -> (usize, usize, usize, usize) {
        if self.stacked {
            (b, c * self.len() / (self.h * self.w), self.h, self.w)
        } else {
            (b, c, 1, self.len())
        }
    }

    /// Offset of each band's output in a plane's output.
    pub(crate) fn offsets(&self) -> Vec<usize> {
        let mut o = 0;
        self.bands
            .iter()
            .map(|b| {
                let s = o;
                o += b.len();
                s
            })
            .collect()
    }

    /// From the image spectrum `spec` (unshifted), each band's
    /// `scale(band) * inverse_dft(mask' * crop(spec))` (mask' the mask, conjugated with
    /// `conj`), written as real (and imaginary) planes into `out`.
    fn to_bands(
        &self,
        spec: &[C64],
        conj: bool,
        scale: impl Fn(&SpectralBand) -> f64,
        out: &mut [f64],
    ) {
        let mut o = 0;
        for b in &self.bands {
            let n = b.h * b.w;
            let mut z = vec![C64::new(0.0, 0.0); n];
            for (j, &r) in b.rows.iter().enumerate() {
                for (l, &c) in b.cols.iter().enumerate() {
                    let m = b.mask[j * b.w + l];
                    z[j * b.w + l] = spec[r * self.w + c] * if conj { m.conj() } else { m };
                }
            }
            fft2(&mut z, b.h, b.w, true);
            let s = scale(b);
            for (k, v) in z.iter().enumerate() {
                out[o + k] = v.re * s;
            }
            if b.imag {
                for (k, v) in z.iter().enumerate() {
                    out[o + n + k] = v.im * s;
                }
            }
            o += b.len();
        }
    }

    /// The image spectrum `sum over bands of pad(mask' * scale(band) * dft(band))`, the
    /// bands read from `y` (real and imaginary planes).
    fn spectrum_of_bands(
        &self,
        y: &[f64],
        conj: bool,
        scale: impl Fn(&SpectralBand) -> f64,
    ) -> Vec<C64> {
        let mut spec = vec![C64::new(0.0, 0.0); self.h * self.w];
        let mut o = 0;
        for b in &self.bands {
            let n = b.h * b.w;
            let mut z: Vec<C64> = (0..n)
                .map(|k| C64::new(y[o + k], if b.imag { y[o + n + k] } else { 0.0 }))
                .collect();
            fft2(&mut z, b.h, b.w, false);
            let s = scale(b);
            for (j, &r) in b.rows.iter().enumerate() {
                for (l, &c) in b.cols.iter().enumerate() {
                    let m = b.mask[j * b.w + l];
                    let m = if conj { m.conj() } else { m };
                    spec[r * self.w + c] += z[j * b.w + l] * m * s;
                }
            }
            o += b.len();
        }
        spec
    }

    /// The op: the bands of one `h x w` image plane `x` into `out` (`len()` values).
    pub(crate) fn analyze(&self, x: &[f64], out: &mut [f64]) {
        let spec = fft2_real(x, self.h, self.w);
        self.to_bands(&spec, false, |b| 1.0 / (b.h * b.w) as f64, out);
    }

    /// The adjoint of [`Self::analyze`]: the image-plane gradient for the bands'
    /// gradient `g`, added into `gx`.
    pub(crate) fn analyze_adjoint(&self, g: &[f64], gx: &mut [f64]) {
        let mut spec = self.spectrum_of_bands(g, true, |b| 1.0 / (b.h * b.w) as f64);
        fft2(&mut spec, self.h, self.w, true);
        for (a, v) in gx.iter_mut().zip(&spec) {
            *a += v.re;
        }
    }

    /// The synthesis (reconstruction): the real part of the inverse DFT of
    /// `sum over bands of pad(mask * dft(band))`, from bands `y` into the plane `out`.
    pub(crate) fn synthesize(&self, y: &[f64], out: &mut [f64]) {
        let mut spec = self.spectrum_of_bands(y, false, |_| 1.0);
        fft2(&mut spec, self.h, self.w, true);
        let n = (self.h * self.w) as f64;
        for (a, v) in out.iter_mut().zip(&spec) {
            *a = v.re / n;
        }
    }

    /// The adjoint of [`Self::synthesize`]: the bands' gradient for the image-plane
    /// gradient `g`, added into `gy`.
    pub(crate) fn synthesize_adjoint(&self, g: &[f64], gy: &mut [f64]) {
        let spec = fft2_real(g, self.h, self.w);
        let n = (self.h * self.w) as f64;
        let mut tmp = vec![0.0; self.len()];
        self.to_bands(&spec, true, |_| 1.0 / n, &mut tmp);
        for (a, v) in gy.iter_mut().zip(&tmp) {
            *a += v;
        }
    }
}
