//! [`plot_synthesis_status`] and [`animate_synthesis_status`]: the state of a metamer
//! synthesis in one picture, as plenoptic's `plot_synthesis_status`: the metamer, the loss
//! curve with a dot at the shown iteration, the representation error (the model's response
//! to the metamer minus its response to the target) and a histogram of the pixel values of
//! target and metamer. The representation error is drawn as the model draws its
//! representation when it has groups for that
//! ([`crate::simulate::Model::representation_groups`]: Portilla-Simoncelli's statistics
//! as stem plots), else as an image; any other picture of it can be put in with
//! [`SynthesisStatus::representation_plot`].

use super::animate::{check_framerate, encode_gif, pick_frames, same_width, Animation};
use super::figure::sci;
use super::font::{self, Align};
use super::imshow::{imshow, VRange};
use super::line_plot::hstack;
use super::picture::Picture;
use super::plot_loss::LossPlot;
use crate::error::{Error, Result};
use crate::simulate::Model;
use crate::synthesize::Metamer;
use crate::tensor::{dims, select_batch, Image};

/// Blue and orange of matplotlib's colour cycle: target and metamer in the histogram.
const TARGET: [u8; 3] = [31, 119, 180];
const METAMER: [u8; 3] = [255, 127, 14];
const PANEL_H: u32 = 300;
const BINS: usize = 40;

/// One shown iteration: the metamer (one batch image) and its representation error.
#[derive(Debug, Clone)]
pub(super) struct Frame {
    iteration: usize,
    metamer: Image<f32>,
    pub(super) rep_error: Image<f32>,
    /// The model's own picture of the representation error, when it has one.
    pub(super) rep_panel: Option<Picture>,
}

/// The status of a metamer synthesis at one or more iterations, made by
/// [`plot_synthesis_status`] (the current state) or [`animate_synthesis_status`] (every
/// stored iteration). Ending a notebook cell, it shows inline: a picture for one iteration,
/// an animated GIF for several.
#[derive(Debug, Clone)]
pub struct SynthesisStatus {
    pub(super) frames: Vec<Frame>,
    target: Vec<f32>,
    losses: Vec<f64>,
    framerate: f64,
}

fn frame<M: Model>(
    metamer: &Metamer<M>,
    image: &Image<f32>,
    iteration: usize,
    batch: usize,
) -> Result<Frame> {
    let img = select_batch(image, batch..batch + 1)?;
    let rep = metamer.model().apply(&img)?;
    let target = select_batch(metamer.target_representation(), batch..batch + 1)?;
    if dims(&rep) != dims(&target) {
        return Err(Error::shape_mismatch(
            "model representation",
            dims(&target),
            dims(&rep),
        ));
    }
    let diff: Vec<f32> = rep
        .as_vec()
        .iter()
        .zip(target.as_vec())
        .map(|(a, b)| a - b)
        .collect();
    let rep_error = crate::tensor::image_from_vec(diff, &dims(&rep))?;
    Ok(Frame {
        iteration,
        metamer: img,
        rep_error,
        rep_panel: None,
    })
}

fn status<M: Model>(
    metamer: &Metamer<M>,
    frames: Vec<Frame>,
    batch: usize,
) -> Result<SynthesisStatus> {
    let target = select_batch(metamer.image(), batch..batch + 1)?.as_vec();
    let groups = frames
        .iter()
        .map(|f| metamer.model().representation_groups(&f.rep_error))
        .collect();
    SynthesisStatus {
        frames,
        target,
        losses: metamer.losses().to_vec(),
        framerate: 10.0,
    }
    .groups_plot(groups)
}

fn check_batch<M: Model>(metamer: &Metamer<M>, batch: usize) -> Result<()> {
    let n = dims(metamer.image())[0];
    if batch >= n {
        return Err(Error::invalid(
            "batch",
            format!("index {batch} out of range for a batch of {n}"),
        ));
    }
    Ok(())
}

/// The current state of a metamer synthesis (plenoptic's `plot_synthesis_status`), for the
/// image at `batch` of the batch: the metamer, the loss with a red dot at the last
/// iteration, the representation error (as the model's stem plots when it has
/// [`Model::representation_groups`], else as an image), and the histogram of pixel values.
///
/// ```
/// use plenoptic as po;
/// use po::synthesize::Metamer;
/// po::synthesize::show_progress(false);
/// let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
/// let model = po::simulate::Gaussian::new((5, 5))?;
/// let mut met = Metamer::new(img, model)?;
/// met.synthesize(5).run()?;
/// let pic = po::display::plot_synthesis_status(&met, 0)?.render()?;
/// assert!(pic.width() > 4 * pic.height() / 2);
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] when `batch` is out of range; the model's errors.
pub fn plot_synthesis_status<M: Model>(
    metamer: &Metamer<M>,
    batch: usize,
) -> Result<SynthesisStatus> {
    check_batch(metamer, batch)?;
    let it = metamer.losses().len().saturating_sub(1);
    let f = frame(metamer, metamer.metamer(), it, batch)?;
    status(metamer, vec![f], batch)
}

/// The status at every iteration the synthesis stored (`store_progress`), subsampled to at
/// most `max_frames` frames (first and last kept), for an animation of the synthesis
/// (plenoptic's `animate`). Ending a cell it shows as an animated GIF; see
/// [`SynthesisStatus::animation`].
///
/// # Errors
/// [`Error::InvalidArgument`] when `batch` is out of range, nothing was stored, or
/// `max_frames` < 2; the model's errors.
pub fn animate_synthesis_status<M: Model>(
    metamer: &Metamer<M>,
    batch: usize,
    max_frames: usize,
) -> Result<SynthesisStatus> {
    check_batch(metamer, batch)?;
    if metamer.saved_metamer().is_empty() {
        return Err(Error::invalid(
            "synthesis",
            "no stored progress to animate: synthesize with store_progress on",
        ));
    }
    if max_frames < 2 {
        return Err(Error::invalid(
            "max_frames",
            format!("must be at least 2, got {max_frames}"),
        ));
    }
    let saved = metamer.saved_metamer();
    let its = metamer.saved_iterations();
    let frames = pick_frames(saved.len(), max_frames)
        .into_iter()
        .map(|i| frame(metamer, &saved[i], its[i], batch))
        .collect::<Result<Vec<_>>>()?;
    status(metamer, frames, batch)
}

impl SynthesisStatus {
    /// The iterations shown, one per frame.
    pub fn iterations(&self) -> Vec<usize> {
        self.frames.iter().map(|f| f.iteration).collect()
    }

    /// Frames per second of the animation (default 10; in (0, 50]).
    pub fn framerate(mut self, fps: f64) -> Self {
        self.framerate = fps;
        self
    }

    /// The last frame as a picture: metamer, loss, representation error, histogram, left to
    /// right.
    ///
    /// # Errors
    /// The errors of [`imshow`] and [`LossPlot`] (e.g. no loss recorded yet).
    pub fn render(&self) -> Result<Picture> {
        let last = self
            .frames
            .last()
            .ok_or_else(|| Error::invalid("status", "no frame"))?;
        self.render_frame(last)
    }

    /// Every frame as an animated GIF.
    ///
    /// # Errors
    /// As [`SynthesisStatus::render`]; [`Error::InvalidArgument`] for a framerate outside
    /// (0, 50].
    pub fn animation(&self) -> Result<Animation> {
        check_framerate(self.framerate)?;
        // the metamer panel's width follows its title: every frame gets the widest, so the
        // frames have one size and the plots beside it stay put
        let panels = self
            .frames
            .iter()
            .map(|f| self.metamer_panel(f))
            .collect::<Result<Vec<_>>>()?;
        let pictures = self
            .frames
            .iter()
            .zip(same_width(panels))
            .map(|(f, met)| self.compose(f, met))
            .collect::<Result<Vec<_>>>()?;
        encode_gif(&pictures, self.iterations(), self.framerate)
    }

    fn render_frame(&self, f: &Frame) -> Result<Picture> {
        self.compose(f, self.metamer_panel(f)?)
    }

    /// The metamer of frame `f`, titled, zoomed to about [`PANEL_H`].
    fn metamer_panel(&self, f: &Frame) -> Result<Picture> {
        let [_, _, h, w] = dims(&f.metamer);
        let zoom = (PANEL_H as f64 / h.max(w) as f64).floor().max(1.0);
        let zoom = if h.max(w) > PANEL_H as usize {
            1.0 / (h.max(w) as f64 / PANEL_H as f64).ceil()
        } else {
            zoom
        };
        imshow(&f.metamer)
            .title(format!("Metamer [iteration {}]", f.iteration))
            .vrange((0.0, 1.0))
            .zoom(zoom)
            .build()?
            .render()
    }

    /// Frame `f` with its metamer panel `met`: metamer, loss, representation error,
    /// histogram, left to right.
    fn compose(&self, f: &Frame, met: Picture) -> Result<Picture> {
        let err = match &f.rep_panel {
            Some(p) => p.clone(),
            None => rep_error_image(&f.rep_error)?,
        };
        let height = met.height().max(err.height()).max(PANEL_H);
        let loss = LossPlot::new(&self.losses)
            .iteration(f.iteration)
            .size(420, height)
            .render()?;
        let hist = histogram(&self.target, &f.metamer.as_vec(), 380, height)?;
        Ok(hstack(&[met, loss, err, hist]))
    }

    /// Shows the status inline in an evcxr notebook: a PNG for one frame, an animated GIF
    /// for several (or prints the error).
    pub fn evcxr_display(&self) {
        if self.frames.len() > 1 {
            super::evcxr::print(self.animation().map(|a| a.to_evcxr()))
        } else {
            super::evcxr::print(self.render().and_then(|p| p.to_evcxr()))
        }
    }
}

/// The representation error as an image (`RdBu_r`, symmetric about 0), zoomed to about
/// the panel's height.
fn rep_error_image(e: &Image<f32>) -> Result<Picture> {
    let [_, _, rh, rw] = dims(e);
    let rzoom = if rh.max(rw) > PANEL_H as usize {
        1.0 / (rh.max(rw) as f64 / PANEL_H as f64).ceil()
    } else {
        (PANEL_H as f64 / rh.max(rw) as f64).floor().max(1.0)
    };
    imshow(e)
        .title("Representation error")
        .vrange(VRange::Indep0)
        .zoom(rzoom)
        .build()?
        .render()
}

/// Counts of `values` in `BINS` equal bins over `[lo, hi]`.
fn counts(values: &[f32], lo: f64, hi: f64) -> Vec<usize> {
    let mut c = vec![0; BINS];
    for &v in values {
        let v = v as f64;
        if v.is_finite() {
            let k = ((v - lo) / (hi - lo) * BINS as f64)
                .floor()
                .clamp(0.0, (BINS - 1) as f64) as usize;
            c[k] += 1;
        }
    }
    c
}

/// The histogram panel: target and metamer pixel values as two step outlines on common
/// bins, with a title, the range under the axis and a legend.
fn histogram(target: &[f32], metamer: &[f32], w: u32, h: u32) -> Result<Picture> {
    histogram_with(target, metamer, ["target", "metamer"], w, h)
}

/// [`histogram`] with the legend's two `labels`.
pub(crate) fn histogram_with(
    target: &[f32],
    metamer: &[f32],
    labels: [&str; 2],
    w: u32,
    h: u32,
) -> Result<Picture> {
    let finite = target
        .iter()
        .chain(metamer)
        .map(|&v| v as f64)
        .filter(|v| v.is_finite());
    let (mut lo, mut hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        return Err(Error::invalid(
            "pixel values",
            "no finite value to draw a histogram of",
        ));
    }
    if hi - lo < 1e-12 {
        (lo, hi) = (lo - 0.5, hi + 0.5);
    }
    let (ct, cm) = (counts(target, lo, hi), counts(metamer, lo, hi));
    let peak = ct.iter().chain(&cm).copied().max().unwrap_or(1).max(1) as f64;
    let mut pic = Picture::white(w, h);
    let (ascent, line) = font::metrics(14.0)?;
    let (left, right) = (20.0, w as f64 - 20.0);
    let (top, bottom) = (
        (line * 2.0 + 10.0) as f64,
        h as f64 - (line * 2.0 + 12.0) as f64,
    );
    font::draw_text(
        &mut pic,
        "Histogram of pixel values",
        15.0,
        (w / 2) as f32,
        ascent + 4.0,
        Align::Center,
        [0; 3],
    )?;
    // spines
    for x in left as u32..=right as u32 {
        pic.put(x, bottom as u32, [0; 3]);
    }
    for y in top as u32..=bottom as u32 {
        pic.put(left as u32, y, [0; 3]);
    }
    let bin_w = (right - left) / BINS as f64;
    for (c, color) in [(&ct, TARGET), (&cm, METAMER)] {
        let mut prev_y = bottom;
        for (k, &n) in c.iter().enumerate() {
            let y = bottom - n as f64 / peak * (bottom - top);
            let (x0, x1) = (left + k as f64 * bin_w, left + (k + 1) as f64 * bin_w);
            let (a, b) = (prev_y.min(y) as u32, prev_y.max(y) as u32);
            for yy in a..=b {
                pic.put(x0 as u32, yy, color);
                pic.put(x0 as u32 + 1, yy, color);
            }
            for xx in x0 as u32..=x1 as u32 {
                pic.put(xx, y as u32, color);
                pic.put(xx, (y as u32).saturating_sub(1), color);
            }
            prev_y = y;
        }
        for yy in (prev_y as u32).min(bottom as u32)..=bottom as u32 {
            pic.put(right as u32, yy, color);
        }
    }
    let base = bottom as f32 + 4.0 + ascent;
    font::draw_text(
        &mut pic,
        &sci(lo),
        13.0,
        left as f32,
        base,
        Align::Left,
        [0; 3],
    )?;
    font::draw_text(
        &mut pic,
        &sci(hi),
        13.0,
        right as f32,
        base,
        Align::Right,
        [0; 3],
    )?;
    font::draw_text(
        &mut pic,
        "pixel value",
        13.0,
        (w / 2) as f32,
        base,
        Align::Center,
        [0; 3],
    )?;
    // legend
    let ly = base + line + 4.0;
    let step = (font::text_width(labels[0], 13.0)? + 50.0).max(130.0);
    for (i, (name, color)) in [(labels[0], TARGET), (labels[1], METAMER)]
        .into_iter()
        .enumerate()
    {
        let x = left as f32 + 20.0 + i as f32 * step;
        for xx in x as u32..x as u32 + 22 {
            for d in 0..3 {
                pic.put(xx, (ly - ascent / 3.0) as u32 + d, color);
            }
        }
        font::draw_text(&mut pic, name, 13.0, x + 28.0, ly, Align::Left, [0; 3])?;
    }
    Ok(pic)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthesized() -> Metamer<crate::simulate::Gaussian> {
        crate::synthesize::show_progress(false);
        let img = crate::data::einstein().unwrap();
        let small = crate::tensor::image_from_vec(
            // every 4th pixel of every 4th row: 64 x 64
            (0..64 * 64)
                .map(|k| img.as_vec()[(k / 64) * 4 * 256 + (k % 64) * 4])
                .collect(),
            &[1, 1, 64, 64],
        )
        .unwrap();
        let model = crate::simulate::Gaussian::new((9, 9)).unwrap();
        let mut met = Metamer::new(small, model).unwrap();
        met.synthesize(30).store_progress(3).run().unwrap();
        met
    }

    #[test]
    fn status_shows_four_panels_and_animates_the_stored_iterations() {
        let met = synthesized();
        let st = plot_synthesis_status(&met, 0).unwrap();
        assert_eq!(st.iterations(), vec![29]);
        let pic = st.render().unwrap();
        if let Ok(dir) = std::env::var("PLENOPTIC_STATUS_PNG") {
            pic.save(format!("{dir}/synthesis_status.png")).unwrap();
        }
        // metamer (64 px at zoom 4 = 256 + margins), loss 420, error, histogram 380
        assert!(pic.width() > 256 + 420 + 256 + 380, "{}", pic.width());
        assert!(pic.height() >= PANEL_H);
        let count = |c: [u8; 3]| {
            (0..pic.width())
                .flat_map(|x| (0..pic.height()).map(move |y| (x, y)))
                .filter(|&(x, y)| pic.pixel(x, y) == Some(c))
                .count()
        };
        assert!(count(TARGET) > 50 && count(METAMER) > 50);
        assert!(
            count(super::super::plot_loss::MARKER) > 10,
            "the loss plot's dot"
        );
        // the representation error is drawn with RdBu_r: some pixels are neither grey nor
        // the histogram's colours
        let tinted = pic
            .as_rgb()
            .chunks_exact(3)
            .filter(|p| p[0] != p[1] && p[0] > 150 && p[2] < 150)
            .count();
        assert!(tinted > 100, "{tinted}");

        let anim = animate_synthesis_status(&met, 0, 5).unwrap();
        assert_eq!(anim.iterations(), vec![0, 6, 15, 21, 27]);
        let gif = anim.animation().unwrap();
        assert_eq!(gif.frame_count(), 5);
        assert_eq!(gif.size(), (pic.width(), pic.height()));
        assert_eq!(&gif.gif()[..6], b"GIF89a");
        if let Ok(dir) = std::env::var("PLENOPTIC_STATUS_PNG") {
            gif.save(format!("{dir}/synthesis_status.gif")).unwrap();
        }
    }

    #[test]
    fn status_refuses_a_bad_batch_or_no_progress() {
        let met = synthesized();
        assert!(matches!(
            plot_synthesis_status(&met, 1),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            animate_synthesis_status(&met, 0, 1),
            Err(Error::InvalidArgument { .. })
        ));
        let img = crate::data::white_noise::<f32>(&[1, 1, 16, 16]).unwrap();
        let mut fresh = Metamer::new(img, crate::simulate::Gaussian::new((5, 5)).unwrap()).unwrap();
        fresh.synthesize(2).run().unwrap();
        assert!(matches!(
            animate_synthesis_status(&fresh, 0, 10),
            Err(Error::InvalidArgument { .. })
        ));
        let st = plot_synthesis_status(&fresh, 0).unwrap().framerate(0.0);
        assert!(matches!(st.animation(), Err(Error::InvalidArgument { .. })));
    }

    #[test]
    fn histogram_counts_every_finite_value_once() {
        let v = [0.0f32, 0.01, 0.5, 0.99, 1.0, f32::NAN];
        let c = counts(&v, 0.0, 1.0);
        assert_eq!(c.iter().sum::<usize>(), 5);
        assert_eq!(c[0], 2);
        assert_eq!(c[BINS / 2], 1);
        assert_eq!(c[BINS - 1], 2);
    }

    #[test]
    fn histogram_draws_both_outlines_and_refuses_no_data() {
        let target: Vec<f32> = (0..400).map(|i| (i % 20) as f32 / 19.0).collect();
        let metamer = vec![0.5f32; 400];
        let pic = histogram(&target, &metamer, 380, 300).unwrap();
        let has = |c: [u8; 3]| (0..380).any(|x| (0..300).any(|y| pic.pixel(x, y) == Some(c)));
        assert!(has(TARGET) && has(METAMER));
        assert!(histogram(&[f32::NAN], &[], 380, 300).is_err());
    }
}
