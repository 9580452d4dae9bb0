//! [`Animate`]: a synthesis' stored progress as an animated GIF, the metamer next to the
//! loss curve with a dot at the current iteration (plenoptic's
//! `animate(included_plots=['display_metamer', 'plot_loss'])`).

use std::collections::HashMap;
use std::path::Path;

use super::imshow::{imshow, VRange};
use super::line_plot::hstack;
use super::picture::Picture;
use super::plot_loss::{disc, LossPlot, MARKER, MARKER_R};
use crate::error::{Error, Result};
use crate::tensor::{dims, select_batch, Image};

/// The plots an animation can hold, left to right in the order given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynthesisPlot {
    /// The synthesized image at each stored iteration (plenoptic's `display_metamer`).
    DisplayMetamer,
    /// The whole loss curve with a red dot at the current iteration (`plot_loss`).
    PlotLoss,
}

/// Builds an [`Animation`] from a synthesis' stored progress: the images saved during
/// synthesis, the iteration each was saved at, and the loss of every iteration. Long
/// syntheses are subsampled to at most [`Animate::max_frames`] frames (60 by default),
/// always keeping the first and the last. A bare `Animate` ending a notebook cell shows
/// inline too.
///
/// ```
/// use plenoptic as po;
/// use po::display::Animate;
/// let frames: Vec<po::Image> = (0..5)
///     .map(|i| po::image_from_vec(vec![i as f32 / 4.0; 64], &[1, 1, 8, 8]))
///     .collect::<po::Result<_>>()?;
/// let iterations = [0, 1, 2, 3, 4];
/// let losses = [1.0, 0.5, 0.25, 0.125, 0.0625];
/// let anim = Animate::new(&frames, &iterations, &losses).build()?;
/// assert_eq!(anim.frame_count(), 5);
/// assert_eq!(&anim.gif()[..6], b"GIF89a");
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .build() to make the animation"]
pub struct Animate<'a> {
    frames: &'a [Image<f32>],
    iterations: &'a [usize],
    losses: &'a [f64],
    framerate: f64,
    max_frames: usize,
    vrange: VRange,
    zoom: Option<f64>,
    batch: usize,
    plots: Vec<SynthesisPlot>,
}

/// An animated GIF that shows inline in evcxr (as HTML with a data URL, which survives
/// `nbconvert --to html`) and saves as a `.gif` file.
#[derive(Clone, PartialEq, Eq)]
pub struct Animation {
    gif: Vec<u8>,
    width: u32,
    height: u32,
    iterations: Vec<usize>,
}

impl std::fmt::Debug for Animation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Animation({}x{}, {} frames, {} bytes)",
            self.width,
            self.height,
            self.iterations.len(),
            self.gif.len()
        )
    }
}

/// Whole zoom that brings a small image to about 256 pixels, or `1/d` that brings a large
/// one under 512 (as plenoptic fits the metamer to its axes).
fn auto_zoom(h: usize, w: usize) -> f64 {
    let m = h.max(w);
    if m <= 256 {
        return (256 / m).max(1) as f64;
    }
    (2..=m)
        .find(|d| h.is_multiple_of(*d) && w.is_multiple_of(*d) && m / d <= 512)
        .map_or(1.0, |d| 1.0 / d as f64)
}

/// Indices of at most `max` frames out of `n`, evenly spread, first and last included.
pub(crate) fn pick_frames(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let mut v: Vec<usize> = (0..max)
        .map(|k| ((k * (n - 1)) as f64 / (max - 1) as f64).round() as usize)
        .collect();
    v.dedup();
    v
}

/// Makes a frame use at most `max` colours so that its GIF palette is exact. Frames are
/// mostly grey (image, text) with a few other colours (curves, marker) and their
/// anti-aliased edges: the 32 most frequent non-grey colours stay exact, rarer ones (edge
/// tints) take the nearest kept colour or grey, and greys are snapped to the levels left. Returns false (frame unchanged) when rare colours cover more
/// than 1% of the frame (a colour image: left to the encoder's quantiser).
fn limit_palette(rgb: &mut [u8], max: usize) -> bool {
    const KEEP: usize = 32;
    let grey = |p: &[u8]| p[0] == p[1] && p[1] == p[2];
    let mut counts: HashMap<[u8; 3], usize> = HashMap::new();
    for p in rgb.chunks_exact(3) {
        *counts.entry([p[0], p[1], p[2]]).or_insert(0) += 1;
    }
    if counts.len() <= max {
        return true;
    }
    let mut colored: Vec<([u8; 3], usize)> = counts
        .iter()
        .filter(|(c, _)| !grey(&c[..]))
        .map(|(c, n)| (*c, *n))
        .collect();
    colored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let kept: Vec<[u8; 3]> = colored.iter().take(KEEP).map(|c| c.0).collect();
    let rare: usize = colored.iter().skip(KEEP).map(|c| c.1).sum();
    if rare * 100 > rgb.len() / 3 {
        return false;
    }
    let levels = max - kept.len();
    let snap = |v: u8| -> u8 {
        let q = (v as f64 * (levels - 1) as f64 / 255.0).round();
        (q * 255.0 / (levels - 1) as f64).round() as u8
    };
    let dist = |a: [u8; 3], b: [u8; 3]| -> i32 {
        (0..3).map(|i| (a[i] as i32 - b[i] as i32).pow(2)).sum()
    };
    let mut nearest: HashMap<[u8; 3], [u8; 3]> = HashMap::new();
    for p in rgb.chunks_exact_mut(3) {
        let c = [p[0], p[1], p[2]];
        let out = if grey(p) {
            let v = snap(p[0]);
            [v, v, v]
        } else if kept.contains(&c) {
            c
        } else {
            *nearest.entry(c).or_insert_with(|| {
                let m = ((c[0] as u32 + c[1] as u32 + c[2] as u32) / 3) as u8;
                let g = snap(m);
                let as_grey = [g, g, g];
                kept.iter()
                    .copied()
                    .chain(std::iter::once(as_grey))
                    .min_by_key(|k| dist(*k, c))
                    .unwrap_or(as_grey)
            })
        };
        p.copy_from_slice(&out);
    }
    true
}

/// Writes frames to a looping GIF; each frame after the first stores only the rectangle
/// that changed, with unchanged pixels transparent over the previous frame (which stays:
/// disposal "keep"), so slowly converging syntheses make small files.
struct GifWriter<'w> {
    enc: gif::Encoder<&'w mut Vec<u8>>,
    prev: Option<Vec<u8>>,
    width: usize,
    height: usize,
    delay_cs: u16,
}

fn gif_err(e: gif::EncodingError) -> Error {
    Error::Display(format!("GIF encoding failed: {e}"))
}

impl<'w> GifWriter<'w> {
    fn new(out: &'w mut Vec<u8>, width: u32, height: u32, delay_cs: u16) -> Result<Self> {
        let (w, h) = (u16::try_from(width), u16::try_from(height));
        let (Ok(w16), Ok(h16)) = (w, h) else {
            return Err(Error::Display(format!(
                "a GIF is at most 65535 pixels wide and high, this one would be {width} x {height}"
            )));
        };
        let mut enc = gif::Encoder::new(out, w16, h16, &[]).map_err(gif_err)?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(gif_err)?;
        Ok(GifWriter {
            enc,
            prev: None,
            width: width as usize,
            height: height as usize,
            delay_cs,
        })
    }

    fn push(&mut self, mut rgb: Vec<u8>) -> Result<()> {
        let exact = limit_palette(&mut rgb, 255);
        let (w, h) = (self.width, self.height);
        let same = |prev: &[u8], i: usize| prev[3 * i..3 * i + 3] == rgb[3 * i..3 * i + 3];
        // The rectangle of changed pixels (the whole frame for the first one).
        let (mut x0, mut y0, mut x1, mut y1) = (0, 0, w, h);
        if let Some(prev) = &self.prev {
            (x0, y0, x1, y1) = (w, h, 0, 0);
            for y in 0..h {
                for x in 0..w {
                    if !same(prev, y * w + x) {
                        (x0, y0) = (x0.min(x), y0.min(y));
                        (x1, y1) = (x1.max(x + 1), y1.max(y + 1));
                    }
                }
            }
            if x0 >= x1 {
                (x0, y0, x1, y1) = (0, 0, 1, 1); // nothing changed: one transparent pixel
            }
        }
        let mut rgba = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
        for y in y0..y1 {
            for x in x0..x1 {
                let i = y * w + x;
                match &self.prev {
                    Some(prev) if exact && same(prev, i) => rgba.extend_from_slice(&[0; 4]),
                    _ => rgba.extend_from_slice(&[rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], 255]),
                }
            }
        }
        let mut frame =
            gif::Frame::from_rgba_speed((x1 - x0) as u16, (y1 - y0) as u16, &mut rgba, 10);
        frame.left = x0 as u16;
        frame.top = y0 as u16;
        frame.delay = self.delay_cs;
        frame.dispose = gif::DisposalMethod::Keep;
        self.enc.write_frame(&frame).map_err(gif_err)?;
        self.prev = Some(rgb);
        Ok(())
    }
}

impl<'a> Animate<'a> {
    /// An animation of `frames` (the images stored during synthesis, each
    /// (batch, channel, h, w)), saved at `iterations` (one per frame), with `losses` the
    /// loss of every iteration.
    pub fn new(frames: &'a [Image<f32>], iterations: &'a [usize], losses: &'a [f64]) -> Self {
        Animate {
            frames,
            iterations,
            losses,
            framerate: 10.0,
            max_frames: 60,
            vrange: VRange::Explicit(0.0, 1.0),
            zoom: None,
            batch: 0,
            plots: vec![SynthesisPlot::DisplayMetamer, SynthesisPlot::PlotLoss],
        }
    }

    /// Frames per second (default 10, as plenoptic; at most 50).
    pub fn framerate(mut self, fps: f64) -> Self {
        self.framerate = fps;
        self
    }

    /// At most this many frames (default 60, at least 2); longer progress is subsampled.
    pub fn max_frames(mut self, n: usize) -> Self {
        self.max_frames = n;
        self
    }

    /// The image's colour range (default `(0, 1)`, as plenoptic's `animate`).
    pub fn vrange(mut self, vrange: impl Into<VRange>) -> Self {
        self.vrange = vrange.into();
        self
    }

    /// The image's zoom (default: enlarge small images to about 256 pixels, shrink large
    /// ones under 512).
    pub fn zoom(mut self, zoom: f64) -> Self {
        self.zoom = Some(zoom);
        self
    }

    /// Which image of the batch to show (default 0).
    pub fn batch(mut self, index: usize) -> Self {
        self.batch = index;
        self
    }

    /// Which plots to show, left to right (default metamer then loss).
    pub fn plots(mut self, plots: &[SynthesisPlot]) -> Self {
        self.plots = plots.to_vec();
        self
    }

    fn check(&self) -> Result<()> {
        if self.frames.is_empty() {
            return Err(Error::invalid(
                "synthesis",
                "no stored progress to animate: synthesize with store_progress on",
            ));
        }
        if self.iterations.len() != self.frames.len() {
            return Err(Error::shape_mismatch(
                "stored iterations, one per stored image",
                [self.frames.len()],
                [self.iterations.len()],
            ));
        }
        let shape = dims(&self.frames[0]);
        if let Some(f) = self.frames.iter().find(|f| dims(*f) != shape) {
            return Err(Error::shape_mismatch("stored images", shape, dims(f)));
        }
        if self.batch >= shape[0] {
            return Err(Error::invalid(
                "batch",
                format!(
                    "index {} out of range for a batch of {}",
                    self.batch, shape[0]
                ),
            ));
        }
        check_framerate(self.framerate)?;
        if self.max_frames < 2 {
            return Err(Error::invalid(
                "max_frames",
                format!("must be at least 2, got {}", self.max_frames),
            ));
        }
        if self.plots.is_empty() {
            return Err(Error::invalid("plots", "name at least one plot to animate"));
        }
        Ok(())
    }

    /// Renders every frame and encodes the GIF.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] with no stored progress, a batch index out of range, a
    /// bad framerate or `max_frames`, or no plots; [`Error::ShapeMismatch`] when frames and
    /// iterations disagree; the errors of [`imshow`] and [`LossPlot`] for the plots.
    pub fn build(&self) -> Result<Animation> {
        self.check()?;
        let [_, _, h, w] = dims(&self.frames[0]);
        let zoom = self.zoom.unwrap_or_else(|| auto_zoom(h, w));
        let picks = pick_frames(self.frames.len(), self.max_frames);
        let metamer = |i: usize| -> Result<Picture> {
            let img = select_batch(&self.frames[i], self.batch..self.batch + 1)?;
            imshow(&img)
                .title("Metamer")
                .vrange(self.vrange)
                .zoom(zoom)
                .build()?
                .render()
        };
        let show_img = self.plots.contains(&SynthesisPlot::DisplayMetamer);
        let show_loss = self.plots.contains(&SynthesisPlot::PlotLoss);
        let first = if show_img {
            Some(metamer(picks[0])?)
        } else {
            None
        };
        let height = first.as_ref().map_or(400, |p| p.height().max(300));
        let loss = if show_loss {
            let lw = ((height as f64 * 1.4) as u32).max(420);
            Some(LossPlot::new(self.losses).size(lw, height).render_base()?)
        } else {
            None
        };
        let img_w = first.as_ref().map_or(0, Picture::width);
        let loss_w = loss.as_ref().map_or(0, |l| l.0.width());
        let width = img_w + loss_w;
        let delay_cs = (100.0 / self.framerate).round().max(2.0) as u16;

        let mut gif = Vec::new();
        {
            let mut writer = GifWriter::new(&mut gif, width, height, delay_cs)?;
            for (k, &i) in picks.iter().enumerate() {
                let mut frame = Picture::white(width, height);
                let mut x = 0;
                for plot in &self.plots {
                    match plot {
                        SynthesisPlot::DisplayMetamer => {
                            let pic = match (k, &first) {
                                (0, Some(p)) => p.clone(),
                                _ => metamer(i)?,
                            };
                            frame.blit(&pic, x, (height - pic.height()) / 2);
                            x += pic.width();
                        }
                        SynthesisPlot::PlotLoss => {
                            let (base, map) = loss.as_ref().expect("loss plot rendered above");
                            let mut pic = base.clone();
                            let it = self.iterations[i].min(self.losses.len().saturating_sub(1));
                            let at = self
                                .losses
                                .get(it)
                                .and_then(|l| map.to_pixel(it as f64, *l));
                            if let Some(p) = at {
                                disc(&mut pic, p, MARKER_R, MARKER);
                            }
                            frame.blit(&pic, x, 0);
                            x += pic.width();
                        }
                    }
                }
                writer.push(frame.as_rgb().to_vec())?;
            }
        }
        Ok(Animation {
            gif,
            width,
            height,
            iterations: picks.iter().map(|&i| self.iterations[i]).collect(),
        })
    }

    /// Builds the animation and shows it inline in evcxr (or prints the error).
    pub fn evcxr_display(&self) {
        super::evcxr::print(self.build().map(|a| a.to_evcxr()))
    }
}

/// Checks a GIF's framerate: within (0, 50] frames per second.
///
/// # Errors
/// [`Error::InvalidArgument`] (`framerate`) otherwise.
pub(crate) fn check_framerate(framerate: f64) -> Result<()> {
    if !(framerate.is_finite() && framerate > 0.0 && framerate <= 50.0) {
        return Err(Error::invalid(
            "framerate",
            format!("must be in (0, 50] frames per second, got {framerate}"),
        ));
    }
    Ok(())
}

/// `panels` padded on the right with white to the widest of them: one animated panel whose
/// title or range text changes width between frames keeps the frames one size, and the
/// panels beside it in place.
pub(crate) fn same_width(panels: Vec<Picture>) -> Vec<Picture> {
    let width = panels.iter().map(Picture::width).max().unwrap_or(1);
    panels
        .into_iter()
        .map(|p| {
            if p.width() == width {
                p
            } else {
                let pad = Picture::white(width - p.width(), 1);
                hstack(&[p, pad])
            }
        })
        .collect()
}

/// Encodes `pictures` (all the same size) as a looping GIF at `framerate` frames per second,
/// `iterations` being the synthesis iteration each shows.
pub(crate) fn encode_gif(
    pictures: &[Picture],
    iterations: Vec<usize>,
    framerate: f64,
) -> Result<Animation> {
    let first = pictures
        .first()
        .ok_or_else(|| Error::invalid("frames", "no frame to animate"))?;
    let (width, height) = (first.width(), first.height());
    if let Some(p) = pictures
        .iter()
        .find(|p| (p.width(), p.height()) != (width, height))
    {
        return Err(Error::shape_mismatch(
            "animation frames",
            [height as usize, width as usize],
            [p.height() as usize, p.width() as usize],
        ));
    }
    let delay_cs = (100.0 / framerate).round().max(2.0) as u16;
    let mut gif = Vec::new();
    {
        let mut writer = GifWriter::new(&mut gif, width, height, delay_cs)?;
        for p in pictures {
            writer.push(p.as_rgb().to_vec())?;
        }
    }
    Ok(Animation {
        gif,
        width,
        height,
        iterations,
    })
}

impl Animation {
    /// The GIF file's bytes.
    pub fn gif(&self) -> &[u8] {
        &self.gif
    }

    /// Number of frames.
    pub fn frame_count(&self) -> usize {
        self.iterations.len()
    }

    /// (width, height) in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The synthesis iteration each frame shows.
    pub fn frame_iterations(&self) -> &[usize] {
        &self.iterations
    }

    /// Writes the animation to `path` as a GIF file.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, &self.gif).map_err(|e| Error::io(path, e))
    }

    /// The exact text evcxr reads to show this animation: `text/html` holding
    /// `<img src="data:image/gif;base64,...">`.
    pub fn to_evcxr(&self) -> String {
        super::evcxr::gif_html_content(&self.gif)
    }

    /// Shows the animation inline in an evcxr notebook.
    pub fn evcxr_display(&self) {
        super::evcxr::print(Ok(self.to_evcxr()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_width_pads_narrower_panels_on_the_right_with_white() {
        let mut narrow = Picture::white(3, 4);
        narrow.put(0, 1, [1, 2, 3]);
        let mut wide = Picture::white(5, 4);
        wide.put(4, 3, [9, 9, 9]);
        let out = same_width(vec![narrow, wide.clone()]);
        assert_eq!((out[0].width(), out[0].height()), (5, 4));
        assert_eq!(out[0].pixel(0, 1), Some([1, 2, 3]));
        assert_eq!(out[0].pixel(4, 1), Some([255; 3]));
        assert_eq!(out[1], wide);
        // frames of one size encode; frames of two sizes are refused
        let gif = encode_gif(&out, vec![0, 1], 10.0).unwrap();
        assert_eq!(gif.size(), (5, 4));
        assert!(encode_gif(&[Picture::white(3, 4), wide], vec![0, 1], 10.0).is_err());
    }
}
