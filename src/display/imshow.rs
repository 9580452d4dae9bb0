//! [`imshow`]: plenoptic's (and pyrtools') image display, as a builder that makes a
//! [`Figure`].

use dfdx::prelude::{Cpu, Tensor};

use super::colormap::Colormap;
use super::figure::{Figure, Panel};
use crate::error::{Error, Result};

use crate::tensor::{dims, Float, Shape4};

/// How the grey (or colour) range of each panel is chosen, as pyrtools' `vrange`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum VRange {
    /// Each panel from its own minimum to its own maximum (`'indep1'`, the default).
    #[default]
    Indep1,
    /// All panels from the overall minimum to the overall maximum (`'auto1'`).
    Auto1,
    /// Each panel symmetric about 0: `[-m, m]` with `m` its largest absolute value
    /// (`'indep0'`; shown with the `RdBu_r` colour map unless another is chosen).
    Indep0,
    /// All panels symmetric about 0 with the overall largest absolute value (`'auto0'`).
    Auto0,
    /// Each panel its mean plus or minus 2 standard deviations (`'indep2'`).
    Indep2,
    /// All panels the overall mean plus or minus 2 standard deviations (`'auto2'`).
    Auto2,
    /// Each panel `[p10 - (p90 - p10) / 8, p90 + (p90 - p10) / 8]` from its 10th and 90th
    /// percentiles (`'indep3'`).
    Indep3,
    /// As [`VRange::Indep3`] over all panels together (`'auto3'`).
    Auto3,
    /// The same explicit `(min, max)` for every panel; `min < max`, both finite.
    Explicit(f64, f64),
}

impl From<(f64, f64)> for VRange {
    fn from((lo, hi): (f64, f64)) -> Self {
        VRange::Explicit(lo, hi)
    }
}

impl From<(f32, f32)> for VRange {
    fn from((lo, hi): (f32, f32)) -> Self {
        VRange::Explicit(lo as f64, hi as f64)
    }
}

impl VRange {
    /// The colour map pyrtools picks for this range: `RdBu_r` for the symmetric modes,
    /// `gray` otherwise.
    pub fn default_cmap(self) -> Colormap {
        match self {
            VRange::Indep0 | VRange::Auto0 => Colormap::RdBuR,
            _ => Colormap::Gray,
        }
    }

    /// The `(min, max)` of every panel (`panels` holds each panel's values).
    pub(crate) fn ranges(self, panels: &[&[f32]]) -> Result<Vec<(f64, f64)>> {
        let all = || panels.iter().flat_map(|p| p.iter().copied());
        let same = |r: (f64, f64)| vec![r; panels.len()];
        Ok(match self {
            VRange::Explicit(lo, hi) => {
                check_clim((lo, hi))?;
                same((lo, hi))
            }
            VRange::Auto1 => same(min_max(all())),
            VRange::Auto0 => same(sym(min_max(all()))),
            VRange::Auto2 => same(mean_2std(all())),
            VRange::Auto3 => same(percentile_range(all().collect())),
            VRange::Indep1 => panels.iter().map(|p| min_max(p.iter().copied())).collect(),
            VRange::Indep0 => panels
                .iter()
                .map(|p| sym(min_max(p.iter().copied())))
                .collect(),
            VRange::Indep2 => panels
                .iter()
                .map(|p| mean_2std(p.iter().copied()))
                .collect(),
            VRange::Indep3 => panels
                .iter()
                .map(|p| percentile_range(p.to_vec()))
                .collect(),
        })
    }
}

/// Checks an explicit colour range: finite, `min < max`.
pub(crate) fn check_clim((lo, hi): (f64, f64)) -> Result<()> {
    if !(lo.is_finite() && hi.is_finite()) || lo >= hi {
        return Err(Error::invalid(
            "vrange",
            format!("needs finite min < max, got ({lo}, {hi})"),
        ));
    }
    Ok(())
}

fn min_max(v: impl Iterator<Item = f32>) -> (f64, f64) {
    v.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x as f64), hi.max(x as f64))
    })
}

fn sym((lo, hi): (f64, f64)) -> (f64, f64) {
    let m = lo.abs().max(hi.abs());
    (-m, m)
}

fn mean_2std(v: impl Iterator<Item = f32> + Clone) -> (f64, f64) {
    let (n, s) = v
        .clone()
        .fold((0usize, 0.0f64), |(n, s), x| (n + 1, s + x as f64));
    let mean = s / n as f64;
    let var = v.map(|x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
    (mean - 2.0 * var.sqrt(), mean + 2.0 * var.sqrt())
}

/// numpy's `percentile` (linear interpolation) of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q / 100.0 * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos - pos.floor());
    if i + 1 < sorted.len() {
        sorted[i] + (sorted[i + 1] - sorted[i]) * frac
    } else {
        sorted[i]
    }
}

fn percentile_range(v: Vec<f32>) -> (f64, f64) {
    let mut s: Vec<f64> = v.into_iter().map(|x| x as f64).collect();
    s.sort_by(f64::total_cmp);
    let (p1, p2) = (percentile(&s, 10.0), percentile(&s, 90.0));
    (p1 - (p2 - p1) / 8.0, p2 + (p2 - p1) / 8.0)
}

/// Panel titles: one for all panels, one per panel, or none at all (which also drops the
/// range/shape subtitle, as pyrtools' `title=None`).
#[derive(Debug, Clone, PartialEq)]
pub enum Titles {
    /// No title and no subtitle.
    None,
    /// The same title on every panel (`""` by default: only the subtitle shows).
    Same(String),
    /// One title per panel, in panel order.
    Each(Vec<String>),
}

impl Default for Titles {
    fn default() -> Self {
        Titles::Same(String::new())
    }
}

impl From<&str> for Titles {
    fn from(t: &str) -> Self {
        Titles::Same(t.to_string())
    }
}
impl From<String> for Titles {
    fn from(t: String) -> Self {
        Titles::Same(t)
    }
}
impl From<&String> for Titles {
    fn from(t: &String) -> Self {
        Titles::Same(t.clone())
    }
}
impl<S: AsRef<str>> From<Vec<S>> for Titles {
    fn from(t: Vec<S>) -> Self {
        Titles::Each(t.iter().map(|s| s.as_ref().to_string()).collect())
    }
}
impl<S: AsRef<str>> From<&[S]> for Titles {
    fn from(t: &[S]) -> Self {
        Titles::Each(t.iter().map(|s| s.as_ref().to_string()).collect())
    }
}
impl<S: AsRef<str>, const N: usize> From<[S; N]> for Titles {
    fn from(t: [S; N]) -> Self {
        Titles::Each(t.iter().map(|s| s.as_ref().to_string()).collect())
    }
}
impl<S: AsRef<str>, const N: usize> From<&[S; N]> for Titles {
    fn from(t: &[S; N]) -> Self {
        Titles::Each(t.iter().map(|s| s.as_ref().to_string()).collect())
    }
}

impl Titles {
    /// One title (or `None`) per panel.
    pub(crate) fn per_panel(&self, n: usize) -> Result<Vec<Option<String>>> {
        match self {
            Titles::None => Ok(vec![None; n]),
            Titles::Same(t) => Ok(vec![Some(t.clone()); n]),
            Titles::Each(v) if v.len() == n => Ok(v.iter().cloned().map(Some).collect()),
            Titles::Each(v) => Err(Error::invalid(
                "title",
                format!(
                    "must have same number of titles and images: {} titles for {n} panels",
                    v.len()
                ),
            )),
        }
    }
}

/// One image's shape `[batch, channel, height, width]` and its values, row-major.
pub type ImageValues = ([usize; 4], Vec<f32>);

/// What [`imshow`] accepts: one image tensor (every batch and channel becomes a panel) or a
/// list of them (`&[&img, &rep]`, `vec![a, b]`, `&images`, ...), f32 or f64, with or
/// without a tape.
pub trait IntoImages {
    /// The images' shapes and values (as f32).
    fn into_images(self) -> Vec<ImageValues>;
}

fn values<E: Float, T>(x: &Tensor<Shape4, E, Cpu, T>) -> ImageValues {
    let shape = dims(x);
    if shape.contains(&0) {
        // dfdx cannot read out an empty tensor; `build` reports it as empty
        return (shape, Vec::new());
    }
    let v = x.as_vec().into_iter().map(|e| e.as_f64() as f32).collect();
    (shape, v)
}

impl<E: Float, T> IntoImages for &Tensor<Shape4, E, Cpu, T> {
    fn into_images(self) -> Vec<ImageValues> {
        vec![values(self)]
    }
}
impl<E: Float, T> IntoImages for &[&Tensor<Shape4, E, Cpu, T>] {
    fn into_images(self) -> Vec<ImageValues> {
        self.iter().map(|x| values(x)).collect()
    }
}
impl<E: Float, T> IntoImages for &[Tensor<Shape4, E, Cpu, T>] {
    fn into_images(self) -> Vec<ImageValues> {
        self.iter().map(values).collect()
    }
}
impl<E: Float, T, const N: usize> IntoImages for &[&Tensor<Shape4, E, Cpu, T>; N] {
    fn into_images(self) -> Vec<ImageValues> {
        self.as_slice().into_images()
    }
}
impl<E: Float, T, const N: usize> IntoImages for [&Tensor<Shape4, E, Cpu, T>; N] {
    fn into_images(self) -> Vec<ImageValues> {
        self.as_slice().into_images()
    }
}
impl<E: Float, T, const N: usize> IntoImages for &[Tensor<Shape4, E, Cpu, T>; N] {
    fn into_images(self) -> Vec<ImageValues> {
        self.as_slice().into_images()
    }
}
impl<E: Float, T> IntoImages for Vec<&Tensor<Shape4, E, Cpu, T>> {
    fn into_images(self) -> Vec<ImageValues> {
        self.as_slice().into_images()
    }
}
impl<E: Float, T> IntoImages for &Vec<&Tensor<Shape4, E, Cpu, T>> {
    fn into_images(self) -> Vec<ImageValues> {
        self.as_slice().into_images()
    }
}
impl<E: Float, T> IntoImages for Vec<Tensor<Shape4, E, Cpu, T>> {
    fn into_images(self) -> Vec<ImageValues> {
        self.as_slice().into_images()
    }
}
impl<E: Float, T> IntoImages for &Vec<Tensor<Shape4, E, Cpu, T>> {
    fn into_images(self) -> Vec<ImageValues> {
        self.as_slice().into_images()
    }
}

/// Shows images as a grid of panels, as plenoptic's `po.imshow`: every batch and channel
/// of every image is one greyscale panel with a title and a subtitle giving the plotted
/// range and the shape (`range: [-1.2e-01, 3.4e-01]`, `dims: [256, 256] * 1`).
/// Configure with the builder's methods, then [`Imshow::build`] the [`Figure`]; a bare
/// `po::imshow(&img)` at the end of a notebook cell also shows inline.
///
/// ```
/// use plenoptic as po;
/// use po::display::VRange;
/// let img = po::image_from_vec((0..64).map(|i| i as f32 / 63.0).collect(), &[1, 1, 8, 8])?;
/// let rep = po::image_from_vec(vec![0.5f32; 16], &[1, 1, 4, 4])?;
/// let fig = po::imshow(&[&img, &rep])
///     .title(["Original image", "Model output"])
///     .vrange(VRange::Auto1)
///     .zoom(2.0)
///     .build()?;
/// assert_eq!(fig.len(), 2);
/// assert_eq!(fig.panels()[1].subtitle(), "range: [0.0e+00, 1.0e+00]\ndims: [4, 4] * 4");
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .build() to make the figure"]
pub struct Imshow {
    images: Vec<ImageValues>,
    titles: Titles,
    vrange: VRange,
    zoom: f64,
    col_wrap: Option<usize>,
    cmap: Option<Colormap>,
    /// An error found while gathering the images, reported by `build`.
    pending: Option<(&'static str, String)>,
}

/// Starts an [`Imshow`] figure of `images`: one image (each batch and channel a panel) or
/// a list of images.
pub fn imshow(images: impl IntoImages) -> Imshow {
    Imshow {
        images: images.into_images(),
        titles: Titles::default(),
        vrange: VRange::default(),
        zoom: 1.0,
        col_wrap: None,
        cmap: None,
        pending: None,
    }
}

/// A figure of `images` with every option at its default (plenoptic's `po.imshow(img)`).
///
/// # Errors
/// As [`Imshow::build`].
pub fn show(images: impl IntoImages) -> Result<Figure> {
    imshow(images).build()
}

/// `img.show()?`: any image tensor as a [`Figure`] with default options (each batch and
/// channel a panel), for a notebook cell that just wants to look at a tensor.
///
/// ```
/// use plenoptic::display::Show;
/// let img = plenoptic::data::white_noise::<f64>(&[2, 1, 8, 8])?;
/// assert_eq!(img.show()?.len(), 2);
/// # Ok::<(), plenoptic::Error>(())
/// ```
pub trait Show {
    /// The tensor as a figure.
    ///
    /// # Errors
    /// As [`Imshow::build`].
    fn show(&self) -> Result<Figure>;
}

impl<E: Float, T> Show for Tensor<Shape4, E, Cpu, T> {
    fn show(&self) -> Result<Figure> {
        imshow(self).build()
    }
}

impl Imshow {
    /// Panel titles: one string for every panel, or one per panel (`["a", "b"]`); `'\n'`
    /// starts a new line.
    pub fn title(mut self, titles: impl Into<Titles>) -> Self {
        self.titles = titles.into();
        self
    }

    /// No titles and no range/shape subtitles (pyrtools' `title=None`).
    pub fn no_title(mut self) -> Self {
        self.titles = Titles::None;
        self
    }

    /// The colour range of each panel (default [`VRange::Indep1`]); a `(min, max)` pair
    /// gives an explicit range.
    pub fn vrange(mut self, vrange: impl Into<VRange>) -> Self {
        self.vrange = vrange.into();
        self
    }

    /// Display pixels per image pixel (default 1): an integer enlarges, `1/d` for a
    /// divisor `d` of the image size shrinks. `zoom * size` must be whole numbers.
    pub fn zoom(mut self, zoom: f64) -> Self {
        self.zoom = zoom;
        self
    }

    /// At most `n` panels per row (default: all panels in one row).
    pub fn col_wrap(mut self, n: usize) -> Self {
        self.col_wrap = Some(n);
        self
    }

    /// The colour map (default: `gray`, or `RdBu_r` for [`VRange::Indep0`] and
    /// [`VRange::Auto0`], as pyrtools).
    pub fn cmap(mut self, cmap: Colormap) -> Self {
        self.cmap = Some(cmap);
        self
    }

    /// Makes `build` fail with [`Error::InvalidArgument`] naming `name` (for helpers that
    /// find a problem before the figure is built).
    pub(crate) fn fail(mut self, name: &'static str, reason: impl Into<String>) -> Self {
        self.pending = Some((name, reason.into()));
        self
    }

    /// Makes the figure.
    ///
    /// # Errors
    /// [`Error::Empty`] for no images or an empty image, [`Error::NonFinite`] for NaN or
    /// infinite values, [`Error::ShapeMismatch`] for images whose sizes are not whole
    /// multiples of the largest one (or that need different zooms in height and width),
    /// [`Error::InvalidArgument`] for a zoom that is not positive or gives a fractional
    /// size, `col_wrap` 0, a title count that does not match the panels, or an explicit
    /// range with `min >= max`.
    pub fn build(self) -> Result<Figure> {
        let Imshow {
            images,
            titles,
            vrange,
            zoom,
            col_wrap,
            cmap,
            pending,
        } = self;
        if let Some((name, reason)) = pending {
            return Err(Error::invalid(name, reason));
        }
        if images.is_empty() {
            return Err(Error::Empty {
                what: "list of images to show".into(),
                shape: vec![0],
            });
        }
        let mut planes: Vec<((usize, usize), &[f32])> = Vec::new();
        for (shape, v) in &images {
            crate::tensor::check_shape4(shape, "image to show")?;
            crate::tensor::check_finite(v, "image to show")?;
            let [_, _, h, w] = *shape;
            planes.extend(v.chunks_exact(h * w).map(|p| ((h, w), p)));
        }
        if col_wrap == Some(0) {
            return Err(Error::invalid("col_wrap", "must be at least 1, got 0"));
        }
        let titles = titles.per_panel(planes.len())?;
        let (max_shape, factors) = find_zooms(&planes)?;
        let display = check_zoom(zoom, max_shape)?;
        let values: Vec<&[f32]> = planes.iter().map(|p| p.1).collect();
        let ranges = vrange.ranges(&values)?;
        let cmap = cmap.unwrap_or(vrange.default_cmap());
        let panels = planes
            .iter()
            .zip(titles)
            .zip(ranges)
            .zip(factors)
            .map(|((((shape, v), title), range), factor)| {
                Panel::new(v.to_vec(), *shape, zoom * factor as f64, title, range, cmap)
            })
            .collect();
        let n_cols = col_wrap.unwrap_or(planes.len()).min(planes.len());
        Figure::new(panels, n_cols, display)
    }

    /// Builds the figure and shows it inline in evcxr (or prints the error), so that a
    /// bare `po::imshow(&img)` ending a notebook cell displays.
    pub fn evcxr_display(&self) {
        match self.clone().build() {
            Ok(fig) => fig.evcxr_display(),
            Err(e) => eprintln!("cannot display: {e}"),
        }
    }
}

/// pyrtools' `find_zooms`: the largest height and width, and the whole factor each panel
/// is enlarged by to reach them.
fn find_zooms(planes: &[((usize, usize), &[f32])]) -> Result<((usize, usize), Vec<usize>)> {
    let max_h = planes.iter().map(|p| p.0 .0).max().unwrap_or(1);
    let max_w = planes.iter().map(|p| p.0 .1).max().unwrap_or(1);
    let mut factors = Vec::with_capacity(planes.len());
    for &((h, w), _) in planes {
        if max_h % h != 0 || max_w % w != 0 {
            return Err(Error::shape_mismatch(
                "All images must be able to be 'zoomed in' to the largest image. That is, the \
                 largest image (expected) must be a scalar multiple of all images (got)",
                [max_h, max_w],
                [h, w],
            ));
        }
        if max_h / h != max_w / w {
            return Err(Error::shape_mismatch(
                "Both height and width must be multiplied by same amount to reach the \
                 largest image (expected)",
                [max_h, max_w],
                [h, w],
            ));
        }
        factors.push(max_h / h);
    }
    Ok(((max_h, max_w), factors))
}

/// pyrtools' zoom rule: a positive number with `zoom * max_shape` whole; returns the
/// displayed (height, width).
pub(crate) fn check_zoom(zoom: f64, (h, w): (usize, usize)) -> Result<(usize, usize)> {
    if !(zoom.is_finite() && zoom > 0.0) {
        return Err(Error::invalid(
            "zoom",
            format!("must be a positive number, got {zoom}"),
        ));
    }
    let whole = |s: usize| {
        let z = zoom * s as f64;
        let r = z.round();
        ((z - r).abs() <= 1e-9 * z.max(1.0) && r >= 1.0).then_some(r as usize)
    };
    match (whole(h), whole(w)) {
        (Some(dh), Some(dw)) => Ok((dh, dw)),
        _ => Err(Error::invalid(
            "zoom",
            format!(
                "zoom * signal.shape must result in integers! zoom {zoom} times image size \
                 [{h}, {w}] gives [{}, {}]; use an integer zoom, or 1/d for a divisor d of \
                 the size",
                zoom * h as f64,
                zoom * w as f64
            ),
        )),
    }
}
