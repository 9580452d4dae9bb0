//! plenoptic's `pyrshow`: the bands of a steerable pyramid as a grid of images.

use crate::device::Device;
use crate::display::{imshow, Figure, Titles, VRange};
use crate::error::Result;
use crate::simulate::{PyrCoeffs, PyrKey};
use crate::tensor::{select_batch, Float, Image, Tape};

/// The bands of `coeffs` (batch entry `batch`, every channel) as a figure, like
/// plenoptic's `pyrshow`: the residual highpass, then the bands scale by scale with the
/// orientations side by side (complex bands as real and imaginary parts, plenoptic's
/// `plot_complex="rectangular"`), wrapped at one scale's width, then the residual
/// lowpass; each panel on its own colour range (`vrange="indep1"`), coarser bands zoomed.
///
/// ```
/// use plenoptic as po;
/// let img = po::data::white_noise::<f32>(&[1, 1, 32, 32])?;
/// let pyr = po::simulate::SteerablePyramidFreq::builder((32, 32)).height(2).build()?;
/// let fig = po::display::pyrshow(&pyr.forward(img)?, 0)?;
/// assert_eq!(fig.len(), 1 + 2 * 4 + 1);
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// [`crate::Error::InvalidArgument`] for a batch entry the coefficients do not have.
pub fn pyrshow<E: Float, T: Tape<E, D>, D: Device<E>>(
    coeffs: &PyrCoeffs<E, T, D>,
    batch: usize,
) -> Result<Figure> {
    let mut images: Vec<Image<E>> = Vec::new();
    let mut titles = Vec::new();
    let mut per_row = 1;
    let keys = coeffs.keys();
    let orientations = keys
        .iter()
        .filter(|k| matches!(k, PyrKey::Band(0, _)))
        .count()
        .max(1);
    for k in &keys {
        let re = select_batch(&coeffs.band(k)?, batch..batch + 1)?;
        if coeffs.is_complex(k) {
            let im = select_batch(&coeffs.band_imag(k)?, batch..batch + 1)?;
            images.push(re);
            titles.push(format!("{k} real"));
            images.push(im);
            titles.push(format!("{k} imag"));
            per_row = 2 * orientations;
        } else {
            images.push(re);
            titles.push(k.to_string());
            per_row = per_row.max(orientations);
        }
    }
    imshow(images)
        .title(Titles::Each(titles))
        .vrange(VRange::Indep1)
        .col_wrap(per_row)
        .build()
}
