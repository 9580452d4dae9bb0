//! plenoptic's other bundled images (reptile skin, parrot, colour wheel) and
//! [`load_images`], plenoptic's loader of a list of files.

use std::path::Path;

use crate::data::images::data_dir;
use crate::error::{Error, Result};
use crate::tensor::{image_from_vec, Float, Image};

fn standard(name: &str, as_gray: bool) -> Result<Image<f32>> {
    let path = data_dir().join(name);
    if !path.is_file() {
        return Err(Error::MissingData { path });
    }
    load_images(&[path], as_gray)
}

/// plenoptic's `reptile_skin()`: a 256x256 grey texture (the texture exercise's target),
/// shape (1, 1, 256, 256), values u8/255.
///
/// # Errors
/// [`Error::MissingData`] when the file is missing (`bash kernel-setup/fetch-data.sh`).
pub fn reptile_skin() -> Result<Image<f32>> {
    standard("reptile_skin.pgm", true)
}

/// plenoptic's `parrot(as_gray)`: (1, 1, 254, 266) grey, or with `as_gray = false`
/// (1, 3, 254, 266) (the file is grey, so its three channels are equal, as in plenoptic).
///
/// # Errors
/// [`Error::MissingData`] when the file is missing.
pub fn parrot(as_gray: bool) -> Result<Image<f32>> {
    standard("parrot.png", as_gray)
}

/// plenoptic's `color_wheel(as_gray)`: a 600x600 RGB picture, (1, 3, 600, 600), or grey
/// with `as_gray` (scikit-image's `rgb2gray` weights, as plenoptic).
///
/// # Errors
/// [`Error::MissingData`] when the file is missing.
pub fn color_wheel(as_gray: bool) -> Result<Image<f32>> {
    standard("color_wheel.jpg", as_gray)
}

/// Luma weights of scikit-image's `rgb2gray` (ITU-R BT.709), which plenoptic uses.
const RGB2GRAY: [f64; 3] = [0.2125, 0.7154, 0.0721];

/// One file as (channels, h, w) planar f64 values in [0, 1], in plenoptic's
/// `load_images` convention: integer values divided by the type's maximum; colour made
/// grey with `rgb2gray` (alpha composited on white first) when `as_gray`; a grey file
/// repeated to 3 channels when not.
fn read_one(path: &Path, as_gray: bool) -> Result<(usize, usize, usize, Vec<f64>)> {
    let read_err = |e: &dyn std::fmt::Display| Error::ImageRead {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let img = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| read_err(&e))?
        .decode()
        .map_err(|e| read_err(&e))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let colour = img.color().has_color();
    let alpha = img.color().has_alpha();
    let sixteen = img.color().bytes_per_pixel() / img.color().channel_count() > 1;
    // interleaved RGBA in [0, 1]
    let rgba: Vec<f64> = if sixteen {
        let v = img.to_rgba16().into_raw();
        v.iter().map(|&a| a as f64 / 65535.0).collect()
    } else {
        let v = img.to_rgba8().into_raw();
        v.iter().map(|&a| a as f64 / 255.0).collect()
    };
    let n = h * w;
    let px = |p: usize, c: usize| rgba[4 * p + c];
    if !colour {
        let grey: Vec<f64> = (0..n).map(|p| px(p, 0)).collect();
        return Ok(if as_gray {
            (1, h, w, grey)
        } else {
            (3, h, w, [grey.clone(), grey.clone(), grey].concat())
        });
    }
    if as_gray {
        let grey = (0..n)
            .map(|p| {
                let a = if alpha { px(p, 3) } else { 1.0 };
                (0..3)
                    .map(|c| RGB2GRAY[c] * (a * px(p, c) + (1.0 - a)))
                    .sum()
            })
            .collect();
        return Ok((1, h, w, grey));
    }
    let ch = if alpha { 4 } else { 3 };
    let mut planar = vec![0.0; ch * n];
    for c in 0..ch {
        for p in 0..n {
            planar[c * n + p] = px(p, c);
        }
    }
    Ok((ch, h, w, planar))
}

/// plenoptic's `load_images(paths, as_gray)`: loads image files into one (N, C, H, W)
/// image, one batch entry per file, values in [0, 1]. With `as_gray` colour files become
/// grey (scikit-image's `rgb2gray`: 0.2125 R + 0.7154 G + 0.0721 B, alpha composited on
/// white); without it grey files are repeated to 3 channels.
///
/// ```
/// use plenoptic as po;
/// let dir = po::data::data_dir();
/// let imgs = po::data::load_images::<f32, _>(&[dir.join("einstein.pgm"), dir.join("curie.pgm")], true)?;
/// assert_eq!(po::dims(&imgs), [2, 1, 256, 256]);
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] for no paths, [`Error::ImageRead`] for
/// a file that is missing or not an image, [`Error::ShapeMismatch`] when the files differ
/// in shape.
pub fn load_images<E: Float, P: AsRef<Path>>(paths: &[P], as_gray: bool) -> Result<Image<E>> {
    if paths.is_empty() {
        return Err(Error::invalid("paths", "no image files given"));
    }
    let mut shape = None;
    let mut data = Vec::new();
    for p in paths {
        let (c, h, w, v) = read_one(p.as_ref(), as_gray)?;
        match shape {
            None => shape = Some([c, h, w]),
            Some(s) if s != [c, h, w] => {
                return Err(Error::shape_mismatch(
                    "load_images: every image must have the same shape",
                    s,
                    [c, h, w],
                ))
            }
            Some(_) => {}
        }
        data.extend(v.into_iter().map(E::of_f64));
    }
    let [c, h, w] = shape.unwrap_or([1, 0, 0]);
    image_from_vec(data, &[paths.len(), c, h, w])
}
