//! [`LossPlot`]: synthesis loss against iteration on a log y axis, as plenoptic's
//! `plot_loss` (line in matplotlib's first colour, red dot at the shown iteration).

use std::path::Path;

use plotters::prelude::*;

use super::font::{self, Align};
use super::picture::Picture;
use crate::error::{Error, Result};

/// matplotlib's default colour cycle (first colours), one per curve.
const CYCLE: [[u8; 3]; 4] = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40]];
/// The marker colour (matplotlib's `"r"`).
pub(crate) const MARKER: [u8; 3] = [255, 0, 0];
/// Marker radius in pixels.
pub(crate) const MARKER_R: i32 = 4;
/// Tick-label and axis-label font sizes, pixels per em.
const TICK_PX: f32 = 13.0;
const LABEL_PX: f32 = 15.0;

/// A plot of synthesis loss against iteration with a log-scaled y axis, axis labels
/// ("Synthesis iteration", "Loss") and ticks, and a red dot on each curve at the shown
/// iteration (the last one unless [`LossPlot::iteration`] says otherwise). Values that are
/// not positive and finite cannot sit on a log axis and are left out of the curve.
///
/// ```
/// use plenoptic::display::LossPlot;
/// let losses: Vec<f64> = (0..50).map(|i| 0.5f64.powi(i / 5)).collect();
/// let pic = LossPlot::new(&losses).iteration(10).render()?;
/// assert_eq!((pic.width(), pic.height()), (600, 400));
/// # Ok::<(), plenoptic::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LossPlot {
    curves: Vec<Vec<f64>>,
    iteration: Option<usize>,
    size: (u32, u32),
}

/// Where the plot's data lies in its picture.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mapping {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    x: (f64, f64),
    /// log10 limits of the y axis.
    y: (f64, f64),
}

impl Mapping {
    /// The pixel (column, row) of data point (`x`, `loss`), or `None` if `loss` is not
    /// positive and finite.
    pub(crate) fn to_pixel(self, x: f64, loss: f64) -> Option<(f64, f64)> {
        if !(loss > 0.0 && loss.is_finite()) {
            return None;
        }
        let fx = (x - self.x.0) / (self.x.1 - self.x.0);
        let fy = (self.y.1 - loss.log10()) / (self.y.1 - self.y.0);
        Some((self.left + fx * self.width, self.top + fy * self.height))
    }
}

/// Digits as Unicode superscripts (DejaVu Sans has them), for `10⁻³`.
fn superscript(n: i32) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let digits = n.unsigned_abs().to_string();
    let mut s = String::new();
    if n < 0 {
        s.push('⁻');
    }
    s.extend(digits.bytes().map(|b| SUP[(b - b'0') as usize]));
    s
}

/// "Nice" linear ticks (steps 1, 2, 2.5, 5 times a power of 10) inside `[lo, hi]`.
fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
        .max(1.0); // iterations are whole numbers
    let start = (lo / step).ceil() as i64;
    let end = (hi / step).floor() as i64;
    (start..=end).map(|k| k as f64 * step).collect()
}

fn tick_label(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Major (labelled) and minor (unlabelled) ticks of a log axis with log10 limits
/// `(lo, hi)`, as (log10 value, label) pairs; minor ticks are labelled when the axis spans
/// a decade or less, as matplotlib does.
fn log_ticks(lo: f64, hi: f64) -> (Vec<(f64, String)>, Vec<f64>) {
    let decades = hi - lo;
    let (k0, k1) = (lo.floor() as i32, hi.ceil() as i32);
    let n_major = (k0..=k1)
        .filter(|&k| k as f64 >= lo && k as f64 <= hi)
        .count();
    let stride = n_major.div_ceil(8).max(1) as i32;
    let mut major = Vec::new();
    let mut minor = Vec::new();
    for k in k0..=k1 {
        let kf = k as f64;
        if kf >= lo && kf <= hi && k.rem_euclid(stride) == 0 {
            major.push((kf, format!("10{}", superscript(k))));
        }
        if stride > 1 {
            continue;
        }
        for m in 2..10 {
            let v = kf + (m as f64).log10();
            if v < lo || v > hi {
                continue;
            }
            let labelled = decades <= 0.4 || (decades <= 1.0 && [2, 3, 4, 6].contains(&m));
            if labelled {
                major.push((v, format!("{m}×10{}", superscript(k))));
            } else {
                minor.push(v);
            }
        }
    }
    (major, minor)
}

/// Text rotated a quarter turn counter-clockwise (reads bottom to top).
pub(crate) fn rotated_text(text: &str, px: f32) -> Result<Picture> {
    let (ascent, line_h) = font::metrics(px)?;
    let w = font::text_width(text, px)?.ceil() as u32 + 2;
    let h = line_h.ceil() as u32;
    let mut flat = Picture::white(w, h);
    font::draw_text(&mut flat, text, px, 1.0, ascent, Align::Left, [0; 3])?;
    let mut out = Picture::white(h, w);
    for y in 0..h {
        for x in 0..w {
            if let Some(c) = flat.pixel(x, y) {
                out.put(y, w - 1 - x, c);
            }
        }
    }
    Ok(out)
}

/// Fills a disc of radius `r` centred at (`cx`, `cy`).
pub(crate) fn disc(pic: &mut Picture, (cx, cy): (f64, f64), r: i32, c: [u8; 3]) {
    let (cx, cy) = (cx.round() as i64, cy.round() as i64);
    let r = r as i64;
    for dy in -r..=r {
        for dx in -r..=r {
            if dx * dx + dy * dy <= r * r + r / 2 && cx + dx >= 0 && cy + dy >= 0 {
                pic.put((cx + dx) as u32, (cy + dy) as u32, c);
            }
        }
    }
}

fn draw_err<E: std::fmt::Debug>(e: E) -> Error {
    Error::Display(format!("drawing the loss plot failed: {e:?}"))
}

impl LossPlot {
    /// A plot of `losses` (one value per iteration, as `Metamer::losses`).
    pub fn new(losses: &[f64]) -> Self {
        LossPlot {
            curves: vec![losses.to_vec()],
            iteration: None,
            size: (600, 400),
        }
    }

    /// Adds another loss curve to the same axes (next colour of matplotlib's cycle), as
    /// calling plenoptic's `plot_loss` twice in one cell does.
    pub fn add_losses(mut self, losses: &[f64]) -> Self {
        self.curves.push(losses.to_vec());
        self
    }

    /// Puts the red dot at iteration `i` (clamped to each curve's last iteration) instead of
    /// the last.
    pub fn iteration(mut self, i: usize) -> Self {
        self.iteration = Some(i);
        self
    }

    /// Picture size in pixels (default 600 x 400; at least 200 x 150).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// The curves' loss values.
    pub fn losses(&self) -> &[Vec<f64>] {
        &self.curves
    }

    /// Draws axes and curves without the dots, and says where data points land.
    pub(crate) fn render_base(&self) -> Result<(Picture, Mapping)> {
        let (w, h) = self.size;
        if w < 200 || h < 150 {
            return Err(Error::invalid(
                "size",
                format!("a loss plot needs at least 200 x 150 pixels, got {w} x {h}"),
            ));
        }
        let n = self.curves.iter().map(Vec::len).max().unwrap_or(0);
        if n == 0 {
            return Err(Error::Empty {
                what: "loss history (run synthesis first)".into(),
                shape: vec![0],
            });
        }
        let logs: Vec<f64> = self
            .curves
            .iter()
            .flatten()
            .filter(|l| **l > 0.0 && l.is_finite())
            .map(|l| l.log10())
            .collect();
        if logs.is_empty() {
            return Err(Error::invalid(
                "losses",
                "no positive finite loss to show on a log axis",
            ));
        }
        // Limits with matplotlib's 5% margins (in log space for y).
        let (lmin, lmax) = logs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &l| {
                (a.min(l), b.max(l))
            });
        let span = lmax - lmin;
        let y = if span < 1e-9 {
            (lmin - 0.5, lmax + 0.5)
        } else {
            (lmin - 0.05 * span, lmax + 0.05 * span)
        };
        let last = (n - 1) as f64;
        let x = if n == 1 {
            (-1.0, 1.0)
        } else {
            (-0.05 * last, 1.05 * last)
        };
        let (yticks, yminor) = log_ticks(y.0, y.1);
        let xticks = linear_ticks(x.0, x.1);

        let (ascent_t, line_t) = font::metrics(TICK_PX)?;
        let (ascent_l, line_l) = font::metrics(LABEL_PX)?;
        let mut ylab_w: f32 = 0.0;
        for (_, l) in &yticks {
            ylab_w = ylab_w.max(font::text_width(l, TICK_PX)?);
        }
        let tick = 5.0;
        let left = (8.0 + line_l + 6.0 + ylab_w + 4.0 + tick).ceil() as f64;
        let right = 20.0;
        let top = 12.0;
        let bottom = (tick + 3.0 + line_t + 4.0 + line_l + 6.0).ceil() as f64;
        let map = Mapping {
            left,
            top,
            width: w as f64 - left - right,
            height: h as f64 - top - bottom,
            x,
            y,
        };
        let mut pic = Picture::white(w, h);

        // Curves, with plotters, clipped to the axes.
        {
            let root = BitMapBackend::with_buffer(pic.rgb_mut(), (w, h)).into_drawing_area();
            let area = root.clone().shrink(
                (left as u32, top as u32),
                (map.width as u32 + 1, map.height as u32 + 1),
            );
            for (i, curve) in self.curves.iter().enumerate() {
                let [r, g, b] = CYCLE[i % CYCLE.len()];
                let style = RGBColor(r, g, b).stroke_width(2);
                // Break the line where a value cannot be drawn on a log axis.
                let mut seg: Vec<(i32, i32)> = Vec::new();
                let flush = |seg: &mut Vec<(i32, i32)>| -> Result<()> {
                    if seg.len() > 1 {
                        area.draw(&PathElement::new(std::mem::take(seg), style))
                            .map_err(draw_err)?;
                    }
                    seg.clear();
                    Ok(())
                };
                for (it, &l) in curve.iter().enumerate() {
                    match map.to_pixel(it as f64, l) {
                        Some((px, py)) => {
                            seg.push(((px - left).round() as i32, (py - top).round() as i32))
                        }
                        None => flush(&mut seg)?,
                    }
                }
                flush(&mut seg)?;
            }
            root.present().map_err(draw_err)?;
        }

        // Spines.
        let (l, t) = (left.round() as u32, top.round() as u32);
        let (r, b) = (
            (left + map.width).round() as u32,
            (top + map.height).round() as u32,
        );
        for xx in l..=r {
            pic.put(xx, t, [0; 3]);
            pic.put(xx, b, [0; 3]);
        }
        for yy in t..=b {
            pic.put(l, yy, [0; 3]);
            pic.put(r, yy, [0; 3]);
        }
        // X ticks and labels.
        for v in &xticks {
            let (px, _) = map.to_pixel(*v, 1.0).unwrap_or_default();
            let px = px.round() as u32;
            for d in 1..=tick as u32 {
                pic.put(px, b + d, [0; 3]);
            }
            let base = b as f32 + tick + 3.0 + ascent_t;
            font::draw_text(
                &mut pic,
                &tick_label(*v),
                TICK_PX,
                px as f32,
                base,
                Align::Center,
                [0; 3],
            )?;
        }
        // Y ticks and labels (positions in log10 units).
        let ypix = |lv: f64| (top + (y.1 - lv) / (y.1 - y.0) * map.height).round() as u32;
        for (lv, label) in &yticks {
            let py = ypix(*lv);
            for d in 1..=tick as u32 {
                pic.put(l - d, py, [0; 3]);
            }
            let base = py as f32 + ascent_t / 2.0 - 1.0;
            font::draw_text(
                &mut pic,
                label,
                TICK_PX,
                l as f32 - tick - 4.0,
                base,
                Align::Right,
                [0; 3],
            )?;
        }
        for lv in &yminor {
            let py = ypix(*lv);
            for d in 1..=3 {
                pic.put(l - d, py, [0; 3]);
            }
        }
        // Axis labels.
        let xl_base = h as f32 - 6.0 - (line_l - ascent_l);
        let centre_x = (left + map.width / 2.0) as f32;
        font::draw_text(
            &mut pic,
            "Synthesis iteration",
            LABEL_PX,
            centre_x,
            xl_base,
            Align::Center,
            [0; 3],
        )?;
        let ylab = rotated_text("Loss", LABEL_PX)?;
        let yl_y = (top + map.height / 2.0 - ylab.height() as f64 / 2.0).max(0.0) as u32;
        pic.blit(&ylab, 8, yl_y);
        Ok((pic, map))
    }

    /// Draws the plot.
    ///
    /// # Errors
    /// [`Error::Empty`] with no losses, [`Error::InvalidArgument`] when no loss is positive
    /// and finite or the size is too small, [`Error::Display`] if drawing fails.
    pub fn render(&self) -> Result<Picture> {
        let (mut pic, map) = self.render_base()?;
        for curve in &self.curves {
            if curve.is_empty() {
                continue;
            }
            let i = self.iteration.unwrap_or(usize::MAX).min(curve.len() - 1);
            if let Some(p) = map.to_pixel(i as f64, curve[i]) {
                disc(&mut pic, p, MARKER_R, MARKER);
            }
        }
        Ok(pic)
    }

    /// The plot as PNG bytes.
    ///
    /// # Errors
    /// As [`LossPlot::render`].
    pub fn png(&self) -> Result<Vec<u8>> {
        self.render()?.png()
    }

    /// Writes the plot to `path` as a PNG file.
    ///
    /// # Errors
    /// As [`LossPlot::render`], and [`Error::Io`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.render()?.save(path)
    }

    /// The exact text evcxr reads to show this plot (`image/png`, base64).
    ///
    /// # Errors
    /// As [`LossPlot::render`].
    pub fn to_evcxr(&self) -> Result<String> {
        self.render()?.to_evcxr()
    }

    /// Shows the plot inline in an evcxr notebook (evcxr calls this for a cell's value).
    pub fn evcxr_display(&self) {
        super::evcxr::print(self.to_evcxr())
    }
}
