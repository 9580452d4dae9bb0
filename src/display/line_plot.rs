//! A line plot on linear axes, as matplotlib's `ax.plot` draws it: several series
//! (colour, solid or dashed, a label for the legend), a red dot on each at one index,
//! nice ticks, axis labels and a title. MAD competition's metric plots are drawn with it.

use plotters::prelude::*;

use super::font::{self, Align};
use super::picture::Picture;
use super::plot_loss::{disc, rotated_text, MARKER, MARKER_R};
use crate::error::{Error, Result};

const TICK_PX: f32 = 13.0;
const LABEL_PX: f32 = 15.0;

/// One curve: values against their index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    pub values: Vec<f64>,
    pub color: [u8; 3],
    pub dashed: bool,
    pub label: Option<String>,
    /// Where the red dot goes (`None`: no dot).
    pub dot: Option<usize>,
}

/// One set of axes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axes {
    pub title: Option<String>,
    pub xlabel: String,
    pub ylabel: String,
    pub series: Vec<Series>,
}

/// "Nice" ticks (steps 1, 2, 2.5, 5 times a power of 10) inside `[lo, hi]`, and the
/// number of decimals their labels need.
fn ticks(lo: f64, hi: f64) -> (Vec<f64>, usize) {
    let raw = (hi - lo) / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let (m, step) = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| (*m, m * mag))
        .find(|(_, s)| *s >= raw)
        .unwrap_or((10.0, 10.0 * mag));
    let dec = (-(step.log10().floor())).max(0.0) as usize + usize::from(m == 2.5);
    // (a tolerance: 1.2 / 0.2 is 5.999999999999999 in binary)
    let start = (lo / step - 1e-9).ceil() as i64;
    let end = (hi / step + 1e-9).floor() as i64;
    ((start..=end).map(|k| k as f64 * step).collect(), dec)
}

/// A tick label with `dec` decimals (scientific below 1e-4 steps).
fn label(v: f64, dec: usize) -> String {
    if dec > 5 && v != 0.0 {
        format!("{v:.1e}")
    } else {
        format!("{v:.dec$}")
    }
}

fn draw_err<E: std::fmt::Debug>(e: E) -> Error {
    Error::Display(format!("drawing the plot failed: {e:?}"))
}

impl Axes {
    /// The axes drawn in a `w` x `h` picture.
    ///
    /// # Errors
    /// [`Error::Empty`] when no series has a finite value; [`Error::Display`].
    pub fn render(&self, w: u32, h: u32) -> Result<Picture> {
        let finite = || {
            self.series
                .iter()
                .flat_map(|s| s.values.iter().copied())
                .filter(|v| v.is_finite())
        };
        let n = self
            .series
            .iter()
            .map(|s| s.values.len())
            .max()
            .unwrap_or(0);
        if finite().next().is_none() {
            return Err(Error::Empty {
                what: "values to plot (run synthesis first)".into(),
                shape: vec![n],
            });
        }
        let (vmin, vmax) = finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        let span = vmax - vmin;
        let pad = if span > 1e-12 * vmax.abs().max(1e-300) {
            0.05 * span
        } else {
            0.05 * vmax.abs().max(1e-3)
        };
        let y = (vmin - pad, vmax + pad);
        let last = n.saturating_sub(1).max(1) as f64;
        let x = (-0.05 * last, 1.05 * last);
        let (yt, ydec) = ticks(y.0, y.1);
        let (xt, _) = ticks(x.0, x.1);
        let xt: Vec<f64> = xt.into_iter().filter(|v| v.fract() == 0.0).collect();

        let (ascent_t, line_t) = font::metrics(TICK_PX)?;
        let (ascent_l, line_l) = font::metrics(LABEL_PX)?;
        let mut ylab_w: f32 = 0.0;
        for v in &yt {
            ylab_w = ylab_w.max(font::text_width(&label(*v, ydec), TICK_PX)?);
        }
        let tick = 5.0;
        let left = (8.0 + line_l + 6.0 + ylab_w + 4.0 + tick).ceil() as f64;
        let right = 16.0;
        let top = if self.title.is_some() {
            12.0 + line_l as f64
        } else {
            12.0
        };
        let bottom = (tick + 3.0 + line_t + 4.0 + line_l + 6.0).ceil() as f64;
        let (aw, ah) = (w as f64 - left - right, h as f64 - top - bottom);
        if aw < 50.0 || ah < 50.0 {
            return Err(Error::invalid(
                "size",
                format!("{w} x {h} pixels leave no room for the axes"),
            ));
        }
        let px = |i: f64| left + (i - x.0) / (x.1 - x.0) * aw;
        let py = |v: f64| top + (y.1 - v) / (y.1 - y.0) * ah;
        let mut pic = Picture::white(w, h);
        {
            let root = BitMapBackend::with_buffer(pic.rgb_mut(), (w, h)).into_drawing_area();
            let area = root
                .clone()
                .shrink((left as u32, top as u32), (aw as u32 + 1, ah as u32 + 1));
            for s in &self.series {
                let [r, g, b] = s.color;
                let style = RGBColor(r, g, b).stroke_width(2);
                let pts: Vec<(i32, i32)> = s
                    .values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(i, v)| {
                        (
                            (px(i as f64) - left).round() as i32,
                            (py(*v) - top).round() as i32,
                        )
                    })
                    .collect();
                if pts.len() > 1 {
                    if s.dashed {
                        area.draw(&plotters::element::DashedPathElement::new(pts, 7, 5, style))
                            .map_err(draw_err)?;
                    } else {
                        area.draw(&PathElement::new(pts, style)).map_err(draw_err)?;
                    }
                }
            }
            root.present().map_err(draw_err)?;
        }
        for s in &self.series {
            if let Some(i) = s.dot {
                if let Some(v) = s.values.get(i).filter(|v| v.is_finite()) {
                    disc(&mut pic, (px(i as f64), py(*v)), MARKER_R, MARKER);
                }
            }
        }
        // spines
        let (l, t) = (left.round() as u32, top.round() as u32);
        let (r, b) = ((left + aw).round() as u32, (top + ah).round() as u32);
        for xx in l..=r {
            pic.put(xx, t, [0; 3]);
            pic.put(xx, b, [0; 3]);
        }
        for yy in t..=b {
            pic.put(l, yy, [0; 3]);
            pic.put(r, yy, [0; 3]);
        }
        for v in &xt {
            let p = px(*v).round() as u32;
            for d in 1..=tick as u32 {
                pic.put(p, b + d, [0; 3]);
            }
            let base = b as f32 + tick + 3.0 + ascent_t;
            let text = format!("{}", *v as i64);
            font::draw_text(
                &mut pic,
                &text,
                TICK_PX,
                p as f32,
                base,
                Align::Center,
                [0; 3],
            )?;
        }
        for v in &yt {
            let p = py(*v).round() as u32;
            for d in 1..=tick as u32 {
                pic.put(l - d, p, [0; 3]);
            }
            let base = p as f32 + ascent_t / 2.0 - 1.0;
            let x0 = l as f32 - tick - 4.0;
            font::draw_text(
                &mut pic,
                &label(*v, ydec),
                TICK_PX,
                x0,
                base,
                Align::Right,
                [0; 3],
            )?;
        }
        let xl_base = h as f32 - 6.0 - (line_l - ascent_l);
        let cx = (left + aw / 2.0) as f32;
        font::draw_text(
            &mut pic,
            &self.xlabel,
            LABEL_PX,
            cx,
            xl_base,
            Align::Center,
            [0; 3],
        )?;
        if let Some(title) = &self.title {
            font::draw_text(
                &mut pic,
                title,
                LABEL_PX,
                cx,
                6.0 + ascent_l,
                Align::Center,
                [0; 3],
            )?;
        }
        let ylab = rotated_text(&self.ylabel, LABEL_PX)?;
        let yl_y = (top + ah / 2.0 - ylab.height() as f64 / 2.0).max(0.0) as u32;
        pic.blit(&ylab, 8, yl_y);
        Ok(pic)
    }
}

/// A legend: one line sample and label per labelled series, `h` pixels high.
///
/// # Errors
/// [`Error::Display`] when drawing fails.
pub(crate) fn legend(series: &[&Series], h: u32) -> Result<Picture> {
    let (ascent, line) = font::metrics(TICK_PX)?;
    let mut wmax: f32 = 0.0;
    for s in series {
        wmax = wmax.max(font::text_width(s.label.as_deref().unwrap_or(""), TICK_PX)?);
    }
    let row = (line + 6.0).ceil() as u32;
    let w = 20 + 36 + 8 + wmax.ceil() as u32 + 12;
    let mut pic = Picture::white(w, h);
    let top = (h.saturating_sub(row * series.len() as u32)) / 2;
    for (k, s) in series.iter().enumerate() {
        let yc = top + k as u32 * row + row / 2;
        for x in 0..36u32 {
            if !s.dashed || x % 12 < 7 {
                for d in 0..2 {
                    pic.put(20 + x, yc + d, s.color);
                }
            }
        }
        let base = yc as f32 + ascent / 2.0;
        let text = s.label.as_deref().unwrap_or("");
        font::draw_text(&mut pic, text, TICK_PX, 64.0, base, Align::Left, [0; 3])?;
    }
    Ok(pic)
}

/// Pictures side by side, centred vertically.
pub(crate) fn hstack(parts: &[Picture]) -> Picture {
    let h = parts.iter().map(Picture::height).max().unwrap_or(1);
    let w = parts.iter().map(Picture::width).sum::<u32>().max(1);
    let mut out = Picture::white(w, h);
    let mut x = 0;
    for p in parts {
        out.blit(p, x, (h - p.height()) / 2);
        x += p.width();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks() {
        let (t, dec) = ticks(0.0, 1.2);
        assert_eq!((t.len(), dec), (7, 1));
        assert!((t[6] - 1.2).abs() < 1e-12);
        let (t, dec) = ticks(0.0015, 0.0021);
        assert_eq!((t.len(), dec), (7, 4));
        assert_eq!(label(0.0016, 4), "0.0016");
    }
}
