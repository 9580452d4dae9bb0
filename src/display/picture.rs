//! [`Picture`]: a rendered RGB raster that encodes to PNG, saves, and shows inline.

use std::path::Path;

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

use super::evcxr;
use crate::error::{Error, Result};

/// A rendered picture (8-bit RGB, row-major, top row first): what [`Figure`](super::Figure)
/// and [`LossPlot`](super::LossPlot) draw. Shows inline in evcxr, saves as PNG.
#[derive(Clone, PartialEq, Eq)]
pub struct Picture {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Picture({}x{})", self.width, self.height)
    }
}

impl Picture {
    /// A white picture of `width` x `height` pixels.
    pub(crate) fn white(width: u32, height: u32) -> Self {
        Picture {
            width,
            height,
            rgb: vec![255; width as usize * height as usize * 3],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The colour at column `x`, row `y` (row 0 at the top), or `None` outside.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        Some([self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]])
    }

    /// The raw RGB bytes, row-major.
    pub fn as_rgb(&self) -> &[u8] {
        &self.rgb
    }

    pub(crate) fn rgb_mut(&mut self) -> &mut [u8] {
        &mut self.rgb
    }

    /// Sets one pixel (ignored outside the picture).
    pub(crate) fn put(&mut self, x: u32, y: u32, c: [u8; 3]) {
        if x < self.width && y < self.height {
            let i = (y as usize * self.width as usize + x as usize) * 3;
            self.rgb[i..i + 3].copy_from_slice(&c);
        }
    }

    /// Copies `other` with its top-left corner at (`x`, `y`), clipped to this picture.
    pub(crate) fn blit(&mut self, other: &Picture, x: u32, y: u32) {
        let w = other.width.min(self.width.saturating_sub(x)) as usize;
        for row in 0..other.height.min(self.height.saturating_sub(y)) {
            let src = row as usize * other.width as usize * 3;
            let dst = ((y + row) as usize * self.width as usize + x as usize) * 3;
            self.rgb[dst..dst + w * 3].copy_from_slice(&other.rgb[src..src + w * 3]);
        }
    }

    /// True when every pixel is a shade of grey.
    fn is_grey(&self) -> bool {
        self.rgb
            .chunks_exact(3)
            .all(|p| p[0] == p[1] && p[1] == p[2])
    }

    /// The picture as a PNG file (image's `PngEncoder`, default compression; one grey
    /// channel when every pixel is grey, RGB otherwise).
    ///
    /// # Errors
    /// [`Error::Display`] if encoding fails.
    pub fn png(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let enc = PngEncoder::new(&mut out);
        let res = if self.is_grey() {
            let grey: Vec<u8> = self.rgb.iter().step_by(3).copied().collect();
            enc.write_image(&grey, self.width, self.height, ExtendedColorType::L8)
        } else {
            enc.write_image(&self.rgb, self.width, self.height, ExtendedColorType::Rgb8)
        };
        res.map_err(|e| Error::Display(format!("PNG encoding failed: {e}")))?;
        Ok(out)
    }

    /// Writes the picture to `path` as a PNG file.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written, [`Error::Display`] if encoding fails.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.png()?).map_err(|e| Error::io(path, e))
    }

    /// The exact text evcxr reads to show this picture (`image/png`, base64).
    ///
    /// # Errors
    /// As [`Picture::png`].
    pub fn to_evcxr(&self) -> Result<String> {
        Ok(evcxr::png_content(&self.png()?))
    }

    /// Shows the picture inline in an evcxr notebook (evcxr calls this for a cell's value).
    pub fn evcxr_display(&self) {
        evcxr::print(self.to_evcxr())
    }
}
