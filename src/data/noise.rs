//! Noise images: uniform white noise and pink (fractal) noise.

use rand::Rng;
use realfft::num_complex::Complex;

use crate::error::{Error, Result};
use crate::ops::fft::plan;
use crate::tensor::{check_shape4, image_from_vec, Float, Image};
use crate::tools::seed::{standard_normal, with_rng};

/// Uniform white noise in [0, 1) of a 4-D `shape`, drawn from the crate's seeded
/// generator (see [`crate::tools::set_seed`]), like `torch.rand`.
///
/// # Errors
/// A shape that is not 4-D or has a zero-sized dimension.
pub fn white_noise<E: Float>(shape: &[usize]) -> Result<Image<E>> {
    check_shape4(shape, "noise image")?;
    let n = shape.iter().product();
    let v = with_rng(|r| (0..n).map(|_| E::of_f64(r.gen::<f64>())).collect());
    image_from_vec(v, shape)
}

/// Pink (fractal) noise of a 4-D `shape`, each (height, width) plane made as pyrtools'
/// `pink_noise`: Gaussian white noise (from the crate's seeded generator, see
/// [`crate::tools::set_seed`]) whose Fourier amplitudes are multiplied by
/// `r^-(2.5 - fract_dim)` (`r` the distance to the zero frequency, which keeps its
/// amplitude: factor 1), so the power spectrum falls as `1 / f^(5 - 2 fract_dim)`; the real
/// part of the inverse transform is divided by its sample standard deviation, so every
/// plane has unit standard deviation (its mean is left as it is). `fract_dim = 1` is
/// pyrtools' default.
///
/// ```
/// use plenoptic as po;
/// po::tools::set_seed(0);
/// let img = po::data::pink_noise::<f64>(&[1, 1, 64, 64], 1.0)?;
/// let v = img.as_vec();
/// let mean = v.iter().sum::<f64>() / v.len() as f64;
/// let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
/// assert!((var - 1.0).abs() < 1e-9);
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// A shape that is not 4-D or has a zero-sized dimension, planes of a single pixel (no
/// standard deviation), or a non-finite `fract_dim`.
pub fn pink_noise<E: Float>(shape: &[usize], fract_dim: f64) -> Result<Image<E>> {
    let (b, c, h, w) = check_shape4(shape, "noise image")?;
    if h * w < 2 {
        return Err(Error::invalid(
            "shape",
            format!("pink noise needs planes of at least 2 pixels to normalise, got {h}x{w}"),
        ));
    }
    if !fract_dim.is_finite() {
        return Err(Error::invalid(
            "fract_dim",
            format!("{fract_dim} must be finite"),
        ));
    }
    let exponent = -(2.5 - fract_dim);
    let p = plan::<f64>(h, w);
    let (n, mh) = (h, w / 2 + 1);
    // signed frequency of FFT index k along an axis of size len (pyrtools' ifftshift-ed
    // polar_radius with origin ceil((len + 1) / 2))
    let freq = |k: usize, len: usize| -> f64 {
        if k <= (len - 1) / 2 {
            k as f64
        } else {
            k as f64 - len as f64
        }
    };
    let mut amp = vec![0.0f64; mh * n];
    for kx in 0..mh {
        for ky in 0..n {
            let r2 = freq(kx, w).powi(2) + freq(ky, h).powi(2);
            amp[kx * n + ky] = if r2 == 0.0 {
                1.0
            } else {
                r2.powf(exponent / 2.0)
            };
        }
    }
    let plane = h * w;
    let white = standard_normal(b * c * plane);
    let mut out = Vec::with_capacity(b * c * plane);
    let mut work = p.work();
    let mut spec = vec![Complex::new(0.0, 0.0); p.spec_len()];
    let mut res = vec![0.0f64; plane];
    for src in white.chunks(plane) {
        p.forward_with(
            h,
            w,
            |i, row| row.copy_from_slice(&src[i * w..(i + 1) * w]),
            &mut spec,
            &mut work.bufs,
        );
        spec.iter_mut().zip(&amp).for_each(|(s, a)| *s *= *a);
        let scale = 1.0 / plane as f64;
        p.inverse_with(
            &mut spec,
            h,
            |i, row| {
                for (d, v) in res[i * w..(i + 1) * w].iter_mut().zip(row) {
                    *d = v * scale;
                }
            },
            &mut work.bufs,
        );
        let mean = res.iter().sum::<f64>() / plane as f64;
        let var = res.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (plane - 1) as f64;
        let sd = var.sqrt();
        out.extend(res.iter().map(|v| E::of_f64(v / sd)));
    }
    p.give_back(work);
    image_from_vec(out, shape)
}
