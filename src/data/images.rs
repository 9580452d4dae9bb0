//! The standard test images and image files.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::tensor::{image_from_vec, Float, Image};

/// The folder holding the standard images: `$PLENOPTIC_DATA` if set, otherwise
/// `$XDG_CACHE_HOME/plenoptic` or `~/.cache/plenoptic`, where
/// `bash kernel-setup/fetch-data.sh` puts them.
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PLENOPTIC_DATA") {
        return PathBuf::from(d);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("plenoptic")
}

fn standard(name: &str) -> Result<Image<f32>> {
    let path = data_dir().join(name);
    if !path.is_file() {
        return Err(Error::MissingData { path });
    }
    load_image(&path, false)
}

/// Einstein's portrait, plenoptic's standard test image: shape (1, 1, 256, 256), values
/// u8/255.
///
/// # Errors
/// [`Error::MissingData`] (with the command that fetches it) when the file is missing.
pub fn einstein() -> Result<Image<f32>> {
    standard("einstein.pgm")
}

/// Marie Curie's portrait: shape (1, 1, 256, 256), values u8/255.
///
/// # Errors
/// [`Error::MissingData`] when the file is missing.
pub fn curie() -> Result<Image<f32>> {
    standard("curie.pgm")
}

/// Loads a PGM, PNG or JPEG file as a (1, C, H, W) image with values in [0, 1] (8-bit
/// values / 255, 16-bit / 65535). Grey by default (colour converted to luma); with
/// `as_color`, colour images keep their channels (3, or 4 with alpha).
///
/// # Errors
/// [`Error::ImageRead`] when the file is missing or cannot be decoded.
pub fn load_image<E: Float>(path: impl AsRef<Path>, as_color: bool) -> Result<Image<E>> {
    let path = path.as_ref();
    let img = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| Error::ImageRead {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?
        .decode()
        .map_err(|e| Error::ImageRead {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let color = as_color && img.color().has_color();
    let sixteen = img.color().bytes_per_pixel() / img.color().channel_count() > 1;
    let (c, vals): (usize, Vec<f64>) = match (color, sixteen) {
        (false, false) => (
            1,
            img.to_luma8()
                .into_raw()
                .iter()
                .map(|&v| v as f64 / 255.0)
                .collect(),
        ),
        (false, true) => (
            1,
            img.to_luma16()
                .into_raw()
                .iter()
                .map(|&v| v as f64 / 65535.0)
                .collect(),
        ),
        (true, _) => {
            let alpha = img.color().has_alpha();
            let raw: Vec<f64> = if alpha {
                img.to_rgba8().into_raw()
            } else {
                img.to_rgb8().into_raw()
            }
            .iter()
            .map(|&v| v as f64 / 255.0)
            .collect();
            (if alpha { 4 } else { 3 }, raw)
        }
    };
    // interleaved (h, w, c) -> planar (c, h, w)
    let mut planar = vec![E::zero(); c * h * w];
    for (i, v) in vals.into_iter().enumerate() {
        let (p, ch) = (i / c, i % c);
        planar[ch * h * w + p] = E::of_f64(v);
    }
    image_from_vec(planar, &[1, c, h, w])
}
