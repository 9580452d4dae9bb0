//! Pictures of MAD competition (plenoptic's `mad_competition` display functions): the MAD
//! image ([`display_synthesized_image`]), both metrics against iteration ([`plot_loss`]),
//! the synthesis status and its animation ([`plot_synthesis_status`], [`animate`]), and
//! the four-synthesis summaries ([`display_synthesized_all`], [`plot_loss_all`]).
//!
//! Every function takes the syntheses as `&dyn MadSynthesis` (a `&MADCompetition` of any
//! metrics coerces), so a notebook cell compiles none of the drawing code.

use super::animate::{check_framerate, encode_gif, pick_frames, same_width, Animation};
use super::figure::Figure;
use super::imshow::{imshow, Imshow};
use super::line_plot::{hstack, legend, Axes, Series};
use super::picture::Picture;
use super::status::histogram_with;
use crate::error::{Error, Result};
use crate::metric::ErasedMetric;
use crate::synthesize::{short_type_name, MADCompetition, MinMax};
use crate::tensor::{cat_batch, dims, select_batch, Image};

/// matplotlib's first two cycle colours: C0 (blue) and C1 (orange).
const C0: [u8; 3] = [31, 119, 180];
const C1: [u8; 3] = [255, 127, 14];
/// Size of one set of axes.
const AXES: (u32, u32) = (420, 320);

/// What the MAD pictures read of a [`MADCompetition`]: implemented for every one (never
/// implement it by hand), so the functions here take `&dyn MadSynthesis`.
pub trait MadSynthesis {
    /// The reference image.
    fn image(&self) -> &Image<f32>;
    /// The initial image (`None` before setup).
    fn initial_image(&self) -> Option<&Image<f32>>;
    /// The current MAD image (`None` before setup).
    fn mad_image(&self) -> Option<&Image<f32>>;
    /// The stored MAD images and their iterations.
    fn saved(&self) -> (&[Image<f32>], &[usize]);
    /// The optimized and reference metrics' values over iterations.
    fn metric_losses(&self) -> (&[f64], &[f64]);
    /// The optimized metric's name, without module paths.
    fn optimized_name(&self) -> String;
    /// Minimized or maximized.
    fn direction(&self) -> MinMax;
}

impl<O: ErasedMetric, R: ErasedMetric> MadSynthesis for MADCompetition<O, R> {
    fn image(&self) -> &Image<f32> {
        MADCompetition::image(self)
    }
    fn initial_image(&self) -> Option<&Image<f32>> {
        MADCompetition::initial_image(self)
    }
    fn mad_image(&self) -> Option<&Image<f32>> {
        MADCompetition::mad_image(self)
    }
    fn saved(&self) -> (&[Image<f32>], &[usize]) {
        (self.saved_mad_image(), self.saved_iterations())
    }
    fn metric_losses(&self) -> (&[f64], &[f64]) {
        (self.optimized_metric_loss(), self.reference_metric_loss())
    }
    fn optimized_name(&self) -> String {
        short_type_name(&self.optimized_metric().name())
    }
    fn direction(&self) -> MinMax {
        self.minmax()
    }
}

/// The not-set-up error.
fn not_set_up() -> Error {
    Error::NotSynthesized {
        what: "the MAD image (run setup or synthesize first)",
    }
}

/// The current MAD image, titled "MADCompetition" (plenoptic's `display_mad_image`).
///
/// ```
/// # use plenoptic as po;
/// # po::synthesize::show_progress(false);
/// # let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
/// # let m = po::metric::from_fn(|a, b| po::ops::mse(a, b));
/// # let mut mad = po::synthesize::MADCompetition::builder(img, m.clone(), m, "min")
/// #     .metric_tradeoff_lambda(1.0).build()?;
/// mad.synthesize(3).run()?;
/// let fig = po::display::mad::display_synthesized_image(&mad).build()?;
/// assert_eq!(fig.panels()[0].title(), Some("MADCompetition"));
/// # Ok::<(), po::Error>(())
/// ```
pub fn display_synthesized_image(mad: &dyn MadSynthesis) -> Imshow {
    match mad.mad_image() {
        Some(x) => imshow(x).title("MADCompetition"),
        None => imshow(mad.image()).fail("mad", not_set_up().to_string()),
    }
}

/// Both metrics against iteration, side by side: "Reference metric loss" and "Optimized
/// metric loss", with a red dot at the shown iteration (plenoptic's `plot_loss`).
#[derive(Debug, Clone, PartialEq)]
pub struct MadLossPlot {
    axes: [Axes; 2],
    legend: bool,
}

fn series(
    values: &[f64],
    color: [u8; 3],
    dashed: bool,
    label: Option<String>,
    dot: Option<usize>,
) -> Series {
    let dot = dot.map(|i| i.min(values.len().saturating_sub(1)));
    Series {
        values: values.to_vec(),
        color,
        dashed,
        label,
        dot,
    }
}

/// `mad`'s metric plot with the dot at `iteration` (`None`: the last).
fn loss_axes(mad: &dyn MadSynthesis, iteration: Option<usize>) -> [Axes; 2] {
    let (o, r) = mad.metric_losses();
    let dot = Some(iteration.unwrap_or(usize::MAX));
    let axes = |values: &[f64], name: &str| Axes {
        title: None,
        xlabel: "Synthesis iteration".into(),
        ylabel: name.into(),
        series: vec![series(values, C0, false, None, dot)],
    };
    [
        axes(r, "Reference metric loss"),
        axes(o, "Optimized metric loss"),
    ]
}

/// Both metrics of `mad` against iteration (plenoptic's `plot_loss`); chain
/// [`MadLossPlot::iteration`] to move the dot.
pub fn plot_loss(mad: &dyn MadSynthesis) -> MadLossPlot {
    MadLossPlot {
        axes: loss_axes(mad, None),
        legend: false,
    }
}

impl MadLossPlot {
    /// Puts the red dots at iteration `i` (clamped to the last) instead of the last.
    pub fn iteration(mut self, i: usize) -> Self {
        for ax in &mut self.axes {
            for s in &mut ax.series {
                s.dot = Some(i.min(s.values.len().saturating_sub(1)));
            }
        }
        self
    }

    /// Draws the plot.
    ///
    /// # Errors
    /// [`Error::Empty`] before setup (no metric values); [`Error::Display`].
    pub fn render(&self) -> Result<Picture> {
        let mut parts = vec![
            self.axes[0].render(AXES.0, AXES.1)?,
            self.axes[1].render(AXES.0, AXES.1)?,
        ];
        if self.legend {
            let labelled: Vec<&Series> = self.axes[1].series.iter().collect();
            parts.push(legend(&labelled, AXES.1)?);
        }
        Ok(hstack(&parts))
    }

    /// Writes the plot to `path` as a PNG file.
    ///
    /// # Errors
    /// As [`MadLossPlot::render`]; [`Error::Io`].
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        self.render()?.save(path)
    }

    /// Shows the plot inline in an evcxr notebook.
    pub fn evcxr_display(&self) {
        super::evcxr::print(self.render().and_then(|p| p.to_evcxr()))
    }
}

/// Checks that the four syntheses share one image; returns the metrics' names (the
/// optimized metrics of the first two, or `names`).
fn check_four(m: [&dyn MadSynthesis; 4], names: Option<(&str, &str)>) -> Result<(String, String)> {
    let v0 = m[0].image().as_vec();
    for (k, x) in m.iter().enumerate().skip(1) {
        let d0 = dims(m[0].image());
        if dims(x.image()) != d0 {
            return Err(Error::shape_mismatch(
                format!("the image of MAD synthesis {k} against the first's (all four must share one image)"),
                d0,
                dims(x.image()),
            ));
        }
        let close = v0
            .iter()
            .zip(x.image().as_vec())
            .all(|(a, b)| (a - b).abs() <= 1e-8 + 1e-5 * b.abs());
        if !close {
            return Err(Error::invalid(
                "mad",
                format!("all four MAD syntheses must have the same image; synthesis {k}'s differs"),
            ));
        }
    }
    Ok(match names {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (m[0].optimized_name(), m[1].optimized_name()),
    })
}

/// The full MAD set in one figure, as plenoptic's `display_mad_image_all`: the reference
/// image, the initial (noisy) image of `metric1_min`, then the images that minimize and
/// maximize metric 1 and those that minimize and maximize metric 2, two per row. Metric
/// names come from the optimized metrics (`names` overrides them).
///
/// # Errors
/// [`Error::ShapeMismatch`] or [`Error::InvalidArgument`] when the four syntheses do not
/// share one image; [`Error::NotSynthesized`] when one was not set up.
pub fn display_synthesized_all(
    metric1_min: &dyn MadSynthesis,
    metric2_min: &dyn MadSynthesis,
    metric1_max: &dyn MadSynthesis,
    metric2_max: &dyn MadSynthesis,
    names: Option<(&str, &str)>,
) -> Result<Figure> {
    let four = [metric1_min, metric2_min, metric1_max, metric2_max];
    let (n1, n2) = check_four(four, names)?;
    let b0 = |x: &Image<f32>| select_batch(x, 0..1);
    let init = metric1_min.initial_image().ok_or_else(not_set_up)?;
    let mut images = vec![b0(metric1_min.image())?, b0(init)?];
    for m in [metric1_min, metric1_max, metric2_min, metric2_max] {
        images.push(b0(m.mad_image().ok_or_else(not_set_up)?)?);
    }
    let refs: Vec<&Image<f32>> = images.iter().collect();
    let all = cat_batch(&refs)?;
    imshow(&all)
        .title(vec![
            "Reference image".to_string(),
            "Initial (noisy) image".into(),
            format!("Minimize {n1}"),
            format!("Maximize {n1}"),
            format!("Minimize {n2}"),
            format!("Maximize {n2}"),
        ])
        .col_wrap(2)
        .build()
}

/// The metrics of the full MAD set, as plenoptic's `plot_loss_all`: left the values of
/// metric 2, right those of metric 1, for all four syntheses (metric 1's in blue, metric
/// 2's in orange; minimizing dashed, maximizing solid), with a legend.
///
/// # Errors
/// As [`display_synthesized_all`].
pub fn plot_loss_all(
    metric1_min: &dyn MadSynthesis,
    metric2_min: &dyn MadSynthesis,
    metric1_max: &dyn MadSynthesis,
    metric2_max: &dyn MadSynthesis,
    names: Option<(&str, &str)>,
) -> Result<MadLossPlot> {
    let (n1, n2) = check_four([metric1_min, metric2_min, metric1_max, metric2_max], names)?;
    let mut left = Vec::new();
    let mut right = Vec::new();
    for (m, color, name, first) in [
        (metric1_min, C0, &n1, true),
        (metric1_max, C0, &n1, true),
        (metric2_min, C1, &n2, false),
        (metric2_max, C1, &n2, false),
    ] {
        let dashed = m.direction() == MinMax::Min;
        let verb = if dashed { "Minimize" } else { "Maximize" };
        let label = Some(format!("{verb} {name}"));
        let (o, r) = m.metric_losses();
        // a synthesis of metric 1 holds metric 2 (left), one of metric 2 holds metric 1
        let (l, rr) = if first { (r, o) } else { (o, r) };
        left.push(series(l, color, dashed, label.clone(), Some(usize::MAX)));
        right.push(series(rr, color, dashed, label, Some(usize::MAX)));
    }
    let axes = |title: &str, series: Vec<Series>| Axes {
        title: Some(title.to_string()),
        xlabel: "Synthesis iteration".into(),
        ylabel: "Loss".into(),
        series,
    };
    Ok(MadLossPlot {
        axes: [axes(&n2, left), axes(&n1, right)],
        legend: true,
    })
}

/// One shown iteration of a MAD synthesis.
#[derive(Debug, Clone)]
struct Frame {
    iteration: usize,
    image: Image<f32>,
}

/// The status of a MAD synthesis at one or more iterations (plenoptic's
/// `plot_synthesis_status` and `animate`): the MAD image, both metrics with a dot at the
/// iteration, and the histogram of the reference and MAD images' pixel values. Ending a
/// cell it shows inline: a picture for one iteration, an animated GIF for several.
#[derive(Debug, Clone)]
pub struct MadStatus {
    frames: Vec<Frame>,
    reference: Vec<f32>,
    axes: [Axes; 2],
    framerate: f64,
}

fn check_batch(mad: &dyn MadSynthesis, batch: usize) -> Result<()> {
    let n = dims(mad.image())[0];
    if batch >= n {
        return Err(Error::invalid(
            "batch",
            format!("index {batch} out of range for a batch of {n}"),
        ));
    }
    Ok(())
}

/// The current state of `mad` for the image at `batch` (plenoptic's
/// `plot_synthesis_status`).
///
/// # Errors
/// [`Error::InvalidArgument`] for a `batch` out of range; [`Error::NotSynthesized`]
/// before setup.
pub fn plot_synthesis_status(mad: &dyn MadSynthesis, batch: usize) -> Result<MadStatus> {
    check_batch(mad, batch)?;
    let x = mad.mad_image().ok_or_else(not_set_up)?;
    let it = mad.metric_losses().0.len().saturating_sub(1);
    status(mad, vec![(it, x)], batch)
}

/// The status at every stored iteration (at most `max_frames`, first and last kept), for
/// an animation (plenoptic's `animate`).
///
/// # Errors
/// [`Error::InvalidArgument`] for a `batch` out of range, nothing stored, or
/// `max_frames` < 2.
pub fn animate(mad: &dyn MadSynthesis, batch: usize, max_frames: usize) -> Result<MadStatus> {
    check_batch(mad, batch)?;
    let (saved, its) = mad.saved();
    if saved.is_empty() {
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
    let frames = pick_frames(saved.len(), max_frames)
        .into_iter()
        .map(|i| (its[i], &saved[i]))
        .collect();
    status(mad, frames, batch)
}

fn status(
    mad: &dyn MadSynthesis,
    frames: Vec<(usize, &Image<f32>)>,
    batch: usize,
) -> Result<MadStatus> {
    let frames = frames
        .into_iter()
        .map(|(iteration, x)| {
            Ok(Frame {
                iteration,
                image: select_batch(x, batch..batch + 1)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(MadStatus {
        frames,
        reference: select_batch(mad.image(), batch..batch + 1)?.as_vec(),
        axes: loss_axes(mad, None),
        framerate: 10.0,
    })
}

impl MadStatus {
    /// The iterations shown, one per frame.
    pub fn iterations(&self) -> Vec<usize> {
        self.frames.iter().map(|f| f.iteration).collect()
    }

    /// Frames per second of the animation (default 10; in (0, 50]).
    pub fn framerate(mut self, fps: f64) -> Self {
        self.framerate = fps;
        self
    }

    /// The last frame as a picture.
    ///
    /// # Errors
    /// The drawing errors.
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
    /// As [`MadStatus::render`]; [`Error::InvalidArgument`] for a framerate outside
    /// (0, 50].
    pub fn animation(&self) -> Result<Animation> {
        check_framerate(self.framerate)?;
        // the image panel's width follows its title and range text: every frame gets the
        // widest, so the frames have one size and the plots beside it stay put
        let panels = self
            .frames
            .iter()
            .map(|f| self.image_panel(f))
            .collect::<Result<Vec<_>>>()?;
        let pictures = self
            .frames
            .iter()
            .zip(same_width(panels))
            .map(|(f, img)| self.compose(f, img))
            .collect::<Result<Vec<_>>>()?;
        encode_gif(&pictures, self.iterations(), self.framerate)
    }

    fn render_frame(&self, f: &Frame) -> Result<Picture> {
        self.compose(f, self.image_panel(f)?)
    }

    /// The MAD image of frame `f`, titled.
    fn image_panel(&self, f: &Frame) -> Result<Picture> {
        let [_, _, h, w] = dims(&f.image);
        let side = h.max(w) as f64;
        let zoom = if side > AXES.1 as f64 {
            1.0 / (side / AXES.1 as f64).ceil()
        } else {
            (AXES.1 as f64 / side).floor().max(1.0)
        };
        imshow(&f.image)
            .title(format!("MADCompetition [iteration {}]", f.iteration))
            .zoom(zoom)
            .build()?
            .render()
    }

    /// Frame `f`: its image panel `img`, the metrics with the frame's dots, the histogram.
    fn compose(&self, f: &Frame, img: Picture) -> Result<Picture> {
        let dots = MadLossPlot {
            axes: self.axes.clone(),
            legend: false,
        }
        .iteration(f.iteration);
        let height = img.height().max(AXES.1);
        let hist = histogram_with(
            &self.reference,
            &f.image.as_vec(),
            ["Reference image", "MAD image"],
            380,
            height,
        )?;
        Ok(hstack(&[img, dots.render()?, hist]))
    }

    /// Shows the status inline in an evcxr notebook: a PNG for one frame, an animated GIF
    /// for several.
    pub fn evcxr_display(&self) {
        if self.frames.len() > 1 {
            super::evcxr::print(self.animation().map(|a| a.to_evcxr()))
        } else {
            super::evcxr::print(self.render().and_then(|p| p.to_evcxr()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::image_from_vec;

    /// Frames whose range texts differ in width (a MAD image that leaves [0, 1]) still
    /// make one animation, every frame the size of the widest.
    #[test]
    fn frames_of_different_ranges_animate() {
        let img = |lo: f32, hi: f32| {
            let v = (0..256 * 256)
                .map(|i| lo + (hi - lo) * i as f32 / 65535.0)
                .collect();
            image_from_vec(v, &[1, 1, 256, 256]).unwrap()
        };
        let axes = |t: &str| Axes {
            title: Some(t.into()),
            xlabel: "Synthesis iteration".into(),
            ylabel: "Loss".into(),
            series: vec![series(&[1.0, 0.5, 0.25], C0, false, None, None)],
        };
        let status = MadStatus {
            frames: vec![
                Frame {
                    iteration: 0,
                    image: img(0.0, 1.0),
                },
                Frame {
                    iteration: 480,
                    image: img(-0.0123, 1.25),
                },
            ],
            reference: img(0.0, 1.0).as_vec(),
            axes: [axes("a"), axes("b")],
            framerate: 10.0,
        };
        let widths: Vec<u32> = status
            .frames
            .iter()
            .map(|f| status.render_frame(f).unwrap().width())
            .collect();
        assert_ne!(
            widths[0], widths[1],
            "the test needs frames of different widths"
        );
        let anim = status.animation().unwrap();
        assert_eq!(anim.frame_count(), 2);
        assert_eq!(anim.size().0, widths[0].max(widths[1]));
    }
}
