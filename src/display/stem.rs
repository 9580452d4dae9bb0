//! Stem plots of the Portilla-Simoncelli statistic groups (plenoptic's
//! `PortillaSimoncelli.plot_representation`), drawn on a [`Picture`].

use plotters::prelude::*;

use super::font::{self, Align};
use super::picture::Picture;
use crate::error::{Error, Result};
use crate::simulate::{PortillaSimoncelli, RepresentationGroups};
use crate::tensor::{Float, Image};

const PANEL: (u32, u32) = (360, 260);
const TITLE_PX: f32 = 14.0;
const TICK_PX: f32 = 12.0;
const BLUE: [u8; 3] = [31, 119, 180];

fn draw_err<E: std::fmt::Debug>(e: E) -> Error {
    Error::Display(format!("drawing a stem plot failed: {e:?}"))
}

/// "Nice" ticks (steps 1, 2, 2.5, 5 times a power of 10) inside `[lo, hi]`.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let (a, b) = ((lo / step).ceil() as i64, (hi / step).floor() as i64);
    (a..=b).map(|k| k as f64 * step).collect()
}

fn label(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e-2 && v.abs() < 1e4 {
        format!("{}", (v * 1e4).round() / 1e4)
    } else {
        format!("{v:.1e}")
    }
}

/// One stem plot of `values` titled `title` into `pic` at (x0, y0).
fn panel(
    pic: &mut Picture,
    x0: u32,
    y0: u32,
    title: &str,
    values: &[f64],
    ylim: Option<(f64, f64)>,
) -> Result<()> {
    let (w, h) = PANEL;
    let (left, right, top, bottom) = (62.0, 12.0, 28.0, 16.0);
    let (pw, ph) = (w as f64 - left - right, h as f64 - top - bottom);
    let finite: Vec<f64> = values.iter().cloned().filter(|v| v.is_finite()).collect();
    let (mut lo, mut hi) = match ylim {
        Some(l) => l,
        None => finite
            .iter()
            .fold((0.0f64, 0.0f64), |(a, b), v| (a.min(*v), b.max(*v))),
    };
    if ylim.is_none() {
        let span = (hi - lo).max(1e-12);
        lo -= 0.05 * span;
        hi += 0.05 * span;
    }
    let n = values.len().max(1) as f64;
    let to_px = |i: usize, v: f64| -> (i32, i32) {
        let x = left + pw * (i as f64 + 0.5) / n;
        let y = top + ph * (hi - v.clamp(lo, hi)) / (hi - lo);
        (
            (x0 as f64 + x).round() as i32,
            (y0 as f64 + y).round() as i32,
        )
    };
    {
        let (tw, th) = (pic.width(), pic.height());
        let root = BitMapBackend::with_buffer(pic.rgb_mut(), (tw, th)).into_drawing_area();
        let zero = to_px(0, 0.0).1;
        let (xa, xb) = ((x0 as f64 + left) as i32, (x0 as f64 + left + pw) as i32);
        root.draw(&PathElement::new(
            vec![(xa, zero), (xb, zero)],
            RGBColor(128, 128, 128),
        ))
        .map_err(draw_err)?;
        let c = RGBColor(BLUE[0], BLUE[1], BLUE[2]);
        for (i, v) in values.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let (px, py) = to_px(i, *v);
            root.draw(&PathElement::new(vec![(px, zero), (px, py)], c))
                .map_err(draw_err)?;
            root.draw(&Circle::new((px, py), 3, c.filled()))
                .map_err(draw_err)?;
        }
        root.present().map_err(draw_err)?;
    }
    // axes box, ticks and labels
    let (l, t) = ((x0 as f64 + left) as u32, (y0 as f64 + top) as u32);
    let (r, b) = (
        (x0 as f64 + left + pw) as u32,
        (y0 as f64 + top + ph) as u32,
    );
    for x in l..=r {
        pic.put(x, t, [0; 3]);
        pic.put(x, b, [0; 3]);
    }
    for y in t..=b {
        pic.put(l, y, [0; 3]);
        pic.put(r, y, [0; 3]);
    }
    for v in ticks(lo, hi) {
        let (_, py) = to_px(0, v);
        for d in 1..=4 {
            pic.put(l - d, py as u32, [0; 3]);
        }
        font::draw_text(
            pic,
            &label(v),
            TICK_PX,
            l as f32 - 6.0,
            py as f32 + 4.0,
            Align::Right,
            [0; 3],
        )?;
    }
    font::draw_text(
        pic,
        title,
        TITLE_PX,
        (x0 as f64 + left + pw / 2.0) as f32,
        y0 as f32 + 18.0,
        Align::Center,
        [0; 3],
    )?;
    Ok(())
}

/// plenoptic's `PortillaSimoncelli.plot_representation(rep)`: the statistics of batch
/// entry `batch` (averaged over channels) as stem plots, one per group of
/// [`PortillaSimoncelli::representation_for_plotting`] (3 rows), each on its own y range,
/// or on `ylim` for all.
///
/// ```no_run
/// use plenoptic as po;
/// use po::Model;
/// let img = po::data::reptile_skin()?;
/// let ps = po::simulate::PortillaSimoncelli::builder((256, 256)).build()?;
/// let pic = po::display::plot_representation(&ps, &ps.apply(&img)?, 0, None)?;
/// pic.save("ps_reptile.png")?;
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// As [`PortillaSimoncelli::representation_for_plotting`].
pub fn plot_representation<E: Float>(
    model: &PortillaSimoncelli,
    rep: &Image<E>,
    batch: usize,
    ylim: Option<(f64, f64)>,
) -> Result<Picture>
where
    crate::device::Cpu: crate::Device<E>,
{
    let groups = model.representation_for_plotting(rep, batch)?;
    let rows = if model.n_scales() > 1 { 3 } else { 2 };
    stem_groups(&RepresentationGroups { groups, rows }, ylim)
}

/// One stem plot per group of `g`, in its rows, each on its own y range or on `ylim`.
pub(crate) fn stem_groups(g: &RepresentationGroups, ylim: Option<(f64, f64)>) -> Result<Picture> {
    let rows = g.rows.max(1);
    let cols = g.groups.len().div_ceil(rows).max(1) as u32;
    let mut pic = Picture::white(PANEL.0 * cols, PANEL.1 * rows as u32);
    for (i, (name, values)) in g.groups.iter().enumerate() {
        let (r, c) = (i as u32 / cols, i as u32 % cols);
        panel(&mut pic, c * PANEL.0, r * PANEL.1, name, values, ylim)?;
    }
    Ok(pic)
}
