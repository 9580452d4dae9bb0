//! Stem plots of named groups of values in a grid (plenoptic's `clean_stem_plot` per
//! group), and Portilla-Simoncelli's representation drawn with them (plenoptic's
//! `PortillaSimoncelli.plot_representation`: its statistic groups, the correlation
//! groups summarised by their Euclidean norm over the lag or orientation axes).

use super::figure::sci;
use super::font::{self, Align};
use super::picture::Picture;
use super::plot_loss::disc;
use super::rep_plot::PlotRepresentation;
use crate::error::{Error, Result};
use crate::simulate::PortillaSimoncelli;
use crate::tensor::{dims, select_batch, Image};

/// matplotlib's first colour: stems and markers.
const STEM: [u8; 3] = [31, 119, 180];
/// matplotlib's fourth colour: the base line.
const BASE: [u8; 3] = [214, 39, 40];
/// One panel's size in pixels.
const CELL: (u32, u32) = (300, 170);

/// A grid of stem plots, `cols` columns, one per group (title, values; NaN values are
/// left out), under `title`; every value axis spans `ylim` when given, else its own
/// data's range and 0.
///
/// # Errors
/// [`Error::InvalidArgument`] when there is no group; font errors.
pub(crate) fn stem_grid(
    groups: &[(String, Vec<f64>)],
    cols: usize,
    title: &str,
    ylim: Option<(f64, f64)>,
) -> Result<Picture> {
    if groups.is_empty() || cols == 0 {
        return Err(Error::invalid("groups", "nothing to plot"));
    }
    let rows = groups.len().div_ceil(cols);
    let (ascent, line) = font::metrics(15.0)?;
    let head = (line + 8.0) as u32;
    let mut pic = Picture::white(cols as u32 * CELL.0, head + rows as u32 * CELL.1);
    let mid = pic.width() as f32 / 2.0;
    font::draw_text(
        &mut pic,
        title,
        15.0,
        mid,
        ascent + 4.0,
        Align::Center,
        [0; 3],
    )?;
    for (i, (name, v)) in groups.iter().enumerate() {
        let (x0, y0) = (
            (i % cols) as u32 * CELL.0,
            head + (i / cols) as u32 * CELL.1,
        );
        stem(&mut pic, (x0, y0), name, v, ylim)?;
    }
    Ok(pic)
}

/// One stem plot in the cell at `(x0, y0)`.
fn stem(
    pic: &mut Picture,
    (x0, y0): (u32, u32),
    name: &str,
    v: &[f64],
    ylim: Option<(f64, f64)>,
) -> Result<()> {
    let (ascent, line) = font::metrics(12.0)?;
    font::draw_text(
        pic,
        name,
        12.0,
        (x0 + CELL.0 / 2) as f32,
        y0 as f32 + ascent + 2.0,
        Align::Center,
        [0; 3],
    )?;
    let finite = v.iter().copied().filter(|x| x.is_finite());
    let (lo, hi) =
        ylim.unwrap_or_else(|| finite.fold((0.0f64, 0.0f64), |(a, b), x| (a.min(x), b.max(x))));
    let (lo, hi) = if hi - lo > 0.0 {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    };
    let left = x0 as f64 + 58.0;
    let right = (x0 + CELL.0) as f64 - 12.0;
    let top = y0 as f64 + line as f64 + 8.0;
    let bottom = (y0 + CELL.1) as f64 - 10.0;
    let y_of = |x: f64| bottom - (x.clamp(lo, hi) - lo) / (hi - lo) * (bottom - top);
    // the value axis, with its range
    for y in top as u32..=bottom as u32 {
        pic.put(left as u32 - 4, y, [0; 3]);
    }
    for (val, y) in [(hi, top), (lo, bottom)] {
        font::draw_text(
            pic,
            &sci(val),
            11.0,
            left as f32 - 8.0,
            y as f32 + 4.0,
            Align::Right,
            [0; 3],
        )?;
    }
    let base = y_of(0.0);
    for x in left as u32..=right as u32 {
        pic.put(x, base as u32, BASE);
    }
    let n = v.len().max(1);
    for (k, x) in v.iter().enumerate() {
        if !x.is_finite() {
            continue;
        }
        let px = left + (k as f64 + 0.5) / n as f64 * (right - left);
        let py = y_of(*x);
        for y in py.min(base) as u32..=py.max(base) as u32 {
            pic.put(px as u32, y, STEM);
        }
        disc(pic, (px, py), 2, STEM);
    }
    Ok(())
}

impl PortillaSimoncelli {
    /// The statistic groups of `rep` summarised for plotting, in plenoptic's order
    /// (`_representation_for_plotting`): `pixels+var_highpass`, `std+skew+kurtosis
    /// recon`, `magnitude_std`, then each correlation group's Euclidean norm over its
    /// first two axes (NaN, the redundant statistics, left out of the sums).
    ///
    /// # Errors
    /// As [`PortillaSimoncelli::convert_to_dict`]; a batch or channel count other than 1.
    pub fn representation_for_plotting(&self, rep: &Image<f32>) -> Result<Vec<(String, Vec<f64>)>> {
        let [b, c, _, _] = dims(rep);
        if (b, c) != (1, 1) {
            return Err(Error::shape_mismatch(
                "representation_for_plotting: one image of one channel",
                [1, 1],
                [b, c],
            ));
        }
        let d = self.convert_to_dict(rep)?;
        let get = |k: &str| d.get(k).cloned().unwrap_or_default();
        let cat = |ks: &[&str]| ks.iter().flat_map(|k| get(k).0).collect::<Vec<f64>>();
        let mut out = vec![
            (
                "pixels+var_highpass".to_string(),
                cat(&["pixel_statistics", "var_highpass_residual"]),
            ),
            (
                "std+skew+kurtosis recon".to_string(),
                cat(&[
                    "std_reconstructed",
                    "skew_reconstructed",
                    "kurtosis_reconstructed",
                ]),
            ),
            ("magnitude_std".to_string(), get("magnitude_std").0),
        ];
        for k in [
            "auto_correlation_reconstructed",
            "auto_correlation_magnitude",
            "cross_orientation_correlation_magnitude",
            "cross_scale_correlation_magnitude",
            "cross_scale_correlation_real",
        ] {
            let Some((v, shape)) = d.get(k) else { continue };
            // shape: batch, channel, then the group's own axes; the norm runs over the
            // group's first two
            let own = &shape[2..];
            if own.len() < 2 {
                continue;
            }
            let inner = own[..2].iter().product::<usize>();
            let outer: usize = own[2..].iter().product();
            let norms = (0..outer)
                .map(|j| {
                    (0..inner)
                        .map(|i| v[i * outer + j])
                        .filter(|x| !x.is_nan())
                        .map(|x| x * x)
                        .sum::<f64>()
                        .sqrt()
                })
                .collect();
            out.push((k.to_string(), norms));
        }
        Ok(out)
    }
}

impl PlotRepresentation for PortillaSimoncelli {
    /// plenoptic's `plot_representation`: a stem plot per summarised statistic group
    /// ([`PortillaSimoncelli::representation_for_plotting`]), 3 rows.
    fn plot_representation(
        &self,
        rep: &Image<f32>,
        title: &str,
        ylim: Option<(f64, f64)>,
    ) -> Result<Picture> {
        let rep = select_batch(rep, 0..1)?;
        let groups = self.representation_for_plotting(&rep)?;
        let rows = if self.n_scales() == 1 { 2 } else { 3 };
        stem_grid(&groups, groups.len().div_ceil(rows), title, ylim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_drawn_for_finite_values_only() {
        let g = vec![
            ("a".to_string(), vec![1.0, -2.0, f64::NAN, 0.5]),
            ("b".to_string(), vec![3.0]),
        ];
        let pic = stem_grid(&g, 2, "groups", None).unwrap();
        assert_eq!(pic.width(), 2 * CELL.0);
        let stems = pic.as_rgb().chunks_exact(3).filter(|p| *p == STEM).count();
        assert!(stems > 100, "{stems}");
        assert!(stem_grid(&[], 2, "none", None).is_err());
    }
}
