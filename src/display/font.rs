//! Text without system fonts: DejaVu Sans from the `dejavu` crate, rasterised with
//! ab_glyph (titles, tick and axis labels).

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};

use super::picture::Picture;
use crate::error::{Error, Result};

/// DejaVu Sans, parsed once.
fn font() -> Result<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(dejavu::sans::regular()).ok())
        .as_ref()
        .ok_or_else(|| Error::Display("the bundled DejaVu Sans font could not be parsed".into()))
}

/// ab_glyph's scale for a font size of `px` pixels per em (matplotlib's notion of size).
fn scale(f: &FontRef<'static>, px: f32) -> PxScale {
    let upem = f.units_per_em().unwrap_or(2048.0);
    PxScale::from(px * f.height_unscaled() / upem)
}

/// Horizontal alignment of a text line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// The advance width of `text` at `px` pixels per em.
pub(crate) fn text_width(text: &str, px: f32) -> Result<f32> {
    let f = font()?;
    let sf = f.as_scaled(scale(f, px));
    let mut w = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            w += sf.kern(p, id);
        }
        w += sf.h_advance(id);
        prev = Some(id);
    }
    Ok(w)
}

/// Ascent (above the baseline) and line height, in pixels, at `px` pixels per em.
pub(crate) fn metrics(px: f32) -> Result<(f32, f32)> {
    let f = font()?;
    let sf = f.as_scaled(scale(f, px));
    Ok((sf.ascent(), sf.ascent() - sf.descent() + sf.line_gap()))
}

/// Draws one line of `text` in `color` with its baseline at `baseline` and its left edge,
/// centre or right edge at `x`, blending glyph coverage over what is there.
pub(crate) fn draw_text(
    pic: &mut Picture,
    text: &str,
    px: f32,
    x: f32,
    baseline: f32,
    align: Align,
    color: [u8; 3],
) -> Result<()> {
    let f = font()?;
    let sf = f.as_scaled(scale(f, px));
    let width = text_width(text, px)?;
    let mut pen = match align {
        Align::Left => x,
        Align::Center => x - width / 2.0,
        Align::Right => x - width,
    };
    // Whole-pixel baseline and start keep every line equally crisp.
    pen = pen.round();
    let baseline = baseline.round();
    let mut prev = None;
    for c in text.chars() {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            pen += sf.kern(p, id);
        }
        let glyph = id.with_scale_and_position(sf.scale(), point(pen, baseline));
        pen += sf.h_advance(id);
        prev = Some(id);
        let Some(outline) = f.outline_glyph(glyph) else {
            continue;
        };
        let b = outline.px_bounds();
        outline.draw(|gx, gy, cov| {
            let (px_x, px_y) = (b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64);
            if px_x < 0 || px_y < 0 {
                return;
            }
            let (px_x, px_y) = (px_x as u32, px_y as u32);
            if let Some(bg) = pic.pixel(px_x, px_y) {
                let a = cov.clamp(0.0, 1.0);
                let mix = |b: u8, c: u8| (b as f32 * (1.0 - a) + c as f32 * a).round() as u8;
                pic.put(
                    px_x,
                    px_y,
                    [
                        mix(bg[0], color[0]),
                        mix(bg[1], color[1]),
                        mix(bg[2], color[2]),
                    ],
                );
            }
        });
    }
    Ok(())
}
