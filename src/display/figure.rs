//! [`Figure`]: a grid of image panels, each with title lines and a range/shape subtitle,
//! rendered to one picture (one rich output per notebook cell).

use std::path::Path;

use super::colormap::Colormap;
use super::font::{self, Align};
use super::imshow::check_clim;
use super::picture::Picture;
use crate::error::{Error, Result};

/// Outer margin around the figure, in pixels.
const MARGIN: u32 = 8;
/// Space between columns and between rows of panels, in pixels.
const GAP: u32 = 10;
/// Space between the last text line and the image, in pixels.
const TEXT_GAP: u32 = 4;

/// One image panel of a [`Figure`].
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    values: Vec<f32>,
    shape: (usize, usize),
    zoom: f64,
    title: Option<String>,
    vrange: (f64, f64),
    cmap: Colormap,
    visible: bool,
}

/// Python's `'{:.1e}'`: one decimal, exponent with sign and at least two digits.
pub(crate) fn sci(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{v:.1e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}e{sign}{:02}", exp.abs())
}

/// A zoom factor as the subtitle prints it: whole numbers without decimals.
fn zoom_text(z: f64) -> String {
    if z.fract() == 0.0 && z.abs() < 1e15 {
        format!("{}", z as i64)
    } else {
        format!("{z}")
    }
}

impl Panel {
    pub(crate) fn new(
        values: Vec<f32>,
        shape: (usize, usize),
        zoom: f64,
        title: Option<String>,
        vrange: (f64, f64),
        cmap: Colormap,
    ) -> Self {
        Panel {
            values,
            shape,
            zoom,
            title,
            vrange,
            cmap,
            visible: true,
        }
    }

    /// Whether the panel is drawn (see [`Figure::set_visible`]).
    pub fn visible(&self) -> bool {
        self.visible
    }

    /// The title (`None` when the figure has no titles or subtitles).
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The `(min, max)` mapped to the ends of the colour map.
    pub fn vrange(&self) -> (f64, f64) {
        self.vrange
    }

    /// The image's (height, width), before zooming.
    pub fn shape(&self) -> (usize, usize) {
        self.shape
    }

    /// Display pixels per image pixel.
    pub fn zoom(&self) -> f64 {
        self.zoom
    }

    /// The colour map.
    pub fn cmap(&self) -> Colormap {
        self.cmap
    }

    /// The image values, row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The two subtitle lines pyrtools writes under the title, e.g.
    /// `"range: [0.0e+00, 1.0e+00]\ndims: [256, 256] * 1"`.
    pub fn subtitle(&self) -> String {
        format!(
            "range: [{}, {}]\ndims: [{}, {}] * {}",
            sci(self.vrange.0),
            sci(self.vrange.1),
            self.shape.0,
            self.shape.1,
            zoom_text(self.zoom)
        )
    }

    /// Every text line drawn above the image: title lines then subtitle lines.
    fn lines(&self) -> Vec<String> {
        match &self.title {
            None => vec![],
            Some(t) => t
                .split('\n')
                .map(|l| l.trim().to_string())
                .chain(self.subtitle().lines().map(str::to_string))
                .collect(),
        }
    }

    /// Draws the image, `size` = (height, width) display pixels, top-left at (`x`, `y`).
    fn draw(&self, pic: &mut Picture, x: u32, y: u32, (dh, dw): (usize, usize)) {
        let (h, w) = self.shape;
        // Nearest neighbour at display-pixel centres (matplotlib's `interpolation='none'`
        // on a raster backend): whole zooms repeat pixels, 1/d zooms keep each d x d
        // block's centre pixel.
        let src = |i: usize, n: usize, d: usize| (((2 * i + 1) * n) / (2 * d)).min(n - 1);
        let cols: Vec<usize> = (0..dw).map(|j| src(j, w, dw)).collect();
        let lut = self.cmap.lut();
        let width = pic.width() as usize;
        let rgb = pic.rgb_mut();
        for i in 0..dh {
            let row = &self.values[src(i, h, dh) * w..][..w];
            let start = ((y as usize + i) * width + x as usize) * 3;
            for (j, &c) in cols.iter().enumerate() {
                let color = lut[Colormap::index(row[c] as f64, self.vrange) as usize];
                rgb[start + 3 * j..start + 3 * j + 3].copy_from_slice(&color);
            }
        }
    }
}

/// Where everything goes, in pixels.
struct Layout {
    /// Displayed image (height, width).
    image: (usize, usize),
    cell_w: u32,
    band: u32,
    n_lines: usize,
    font_px: f32,
    ascent: f32,
    line_h: f32,
    n_cols: usize,
    n_rows: usize,
}

impl Layout {
    fn size(&self) -> (u32, u32) {
        let (n_cols, n_rows) = (self.n_cols as u32, self.n_rows as u32);
        (
            2 * MARGIN + n_cols * self.cell_w + (n_cols - 1) * GAP,
            2 * MARGIN + n_rows * (self.band + self.image.0 as u32) + (n_rows - 1) * GAP,
        )
    }

    /// Top-left corner of panel `i`'s cell.
    fn cell(&self, i: usize) -> (u32, u32) {
        let (r, c) = ((i / self.n_cols) as u32, (i % self.n_cols) as u32);
        (
            MARGIN + c * (self.cell_w + GAP),
            MARGIN + r * (self.band + self.image.0 as u32 + GAP),
        )
    }

    /// Top-left corner of panel `i`'s image.
    fn image_at(&self, i: usize) -> (u32, u32) {
        let (x, y) = self.cell(i);
        (x + (self.cell_w - self.image.1 as u32) / 2, y + self.band)
    }
}

/// A figure of image panels in a grid, made by [`imshow`](super::imshow). Shows inline in
/// evcxr as one PNG, saves as PNG, and its panels can be re-ranged or re-titled after the
/// fact (as the tutorial's `plot_helper` does with `set_clim`).
///
/// ```
/// use plenoptic as po;
/// let img = po::image_from_vec((0..16).map(|i| i as f32).collect(), &[1, 1, 4, 4])?;
/// let mut fig = po::imshow(&img).title("ramp").zoom(8.0).build()?;
/// fig.set_clim(0, (0.0, 30.0))?;
/// assert_eq!(fig.panels()[0].subtitle(), "range: [0.0e+00, 3.0e+01]\ndims: [4, 4] * 8");
/// let png = fig.png()?;
/// assert_eq!(&png[1..4], b"PNG");
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    panels: Vec<Panel>,
    n_cols: usize,
    display: (usize, usize),
}

impl Figure {
    pub(crate) fn new(panels: Vec<Panel>, n_cols: usize, display: (usize, usize)) -> Result<Self> {
        if panels.is_empty() || n_cols == 0 {
            return Err(Error::Empty {
                what: "figure".into(),
                shape: vec![panels.len()],
            });
        }
        Ok(Figure {
            panels,
            n_cols,
            display,
        })
    }

    /// The panels, in order (row by row).
    pub fn panels(&self) -> &[Panel] {
        &self.panels
    }

    /// Number of panels.
    pub fn len(&self) -> usize {
        self.panels.len()
    }

    /// Always false: a figure has at least one panel.
    pub fn is_empty(&self) -> bool {
        self.panels.is_empty()
    }

    /// Number of panel columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    fn panel_mut(&mut self, panel: usize) -> Result<&mut Panel> {
        let n = self.panels.len();
        self.panels.get_mut(panel).ok_or_else(|| {
            Error::invalid(
                "panel",
                format!("index {panel} out of range for {n} panels"),
            )
        })
    }

    /// Sets panel `panel`'s colour range to `(min, max)` (the subtitle follows), like
    /// matplotlib's `ax.images[0].set_clim(min, max)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an index out of range or `min >= max`.
    pub fn set_clim(&mut self, panel: usize, clim: (f64, f64)) -> Result<()> {
        check_clim(clim)?;
        self.panel_mut(panel)?.vrange = clim;
        Ok(())
    }

    /// Replaces panel `panel`'s title (`'\n'` starts a new line).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an index out of range.
    pub fn set_title(&mut self, panel: usize, title: impl Into<String>) -> Result<()> {
        self.panel_mut(panel)?.title = Some(title.into());
        Ok(())
    }

    /// Sets panel `panel`'s colour map.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an index out of range.
    pub fn set_cmap(&mut self, panel: usize, cmap: Colormap) -> Result<()> {
        self.panel_mut(panel)?.cmap = cmap;
        Ok(())
    }

    /// Shows or hides panel `panel` (matplotlib's `ax.set_visible`): a hidden panel keeps
    /// its place in the grid, left blank.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an index out of range.
    pub fn set_visible(&mut self, panel: usize, visible: bool) -> Result<()> {
        self.panel_mut(panel)?.visible = visible;
        Ok(())
    }

    fn layout(&self) -> Result<Layout> {
        let image = self.display;
        let font_px = (image.0 as f32 * 16.0 / 256.0).clamp(11.0, 20.0);
        let (ascent, line_h) = font::metrics(font_px)?;
        let mut n_lines = 0;
        let mut text_w: f32 = 0.0;
        for p in &self.panels {
            let lines = p.lines();
            n_lines = n_lines.max(lines.len());
            for l in &lines {
                text_w = text_w.max(font::text_width(l, font_px)?);
            }
        }
        let band = if n_lines == 0 {
            0
        } else {
            (n_lines as f32 * line_h).ceil() as u32 + TEXT_GAP
        };
        let n_cols = self.n_cols.min(self.panels.len());
        Ok(Layout {
            image,
            cell_w: (image.1 as u32).max(text_w.ceil() as u32 + 4),
            band,
            n_lines,
            font_px,
            ascent,
            line_h,
            n_cols,
            n_rows: self.panels.len().div_ceil(n_cols),
        })
    }

    /// (width, height) of the rendered picture in pixels.
    ///
    /// # Errors
    /// [`Error::Display`] if the font cannot be loaded.
    pub fn size(&self) -> Result<(u32, u32)> {
        Ok(self.layout()?.size())
    }

    /// Where panel `panel`'s image lies in the rendered picture: `(x, y, width, height)`
    /// in pixels, or `None` for an index out of range.
    ///
    /// # Errors
    /// [`Error::Display`] if the font cannot be loaded.
    pub fn image_bounds(&self, panel: usize) -> Result<Option<(u32, u32, u32, u32)>> {
        if panel >= self.panels.len() {
            return Ok(None);
        }
        let l = self.layout()?;
        let (x, y) = l.image_at(panel);
        Ok(Some((x, y, l.image.1 as u32, l.image.0 as u32)))
    }

    /// Draws the figure.
    ///
    /// # Errors
    /// [`Error::Display`] if the font cannot be loaded.
    pub fn render(&self) -> Result<Picture> {
        let l = self.layout()?;
        let (w, h) = l.size();
        let mut pic = Picture::white(w, h);
        for (i, p) in self.panels.iter().enumerate().filter(|(_, p)| p.visible) {
            let (x, y) = l.image_at(i);
            p.draw(&mut pic, x, y, l.image);
            let lines = p.lines();
            let (_, cy) = l.cell(i);
            let centre = x as f32 + l.image.1 as f32 / 2.0;
            // Lines sit just above the image; shorter titles leave room at the top.
            let first = l.n_lines - lines.len();
            for (k, line) in lines.iter().enumerate() {
                let baseline = cy as f32 + l.ascent + (first + k) as f32 * l.line_h;
                font::draw_text(
                    &mut pic,
                    line,
                    l.font_px,
                    centre,
                    baseline,
                    Align::Center,
                    [0; 3],
                )?;
            }
        }
        Ok(pic)
    }

    /// The figure as PNG bytes.
    ///
    /// # Errors
    /// As [`Figure::render`] and [`Picture::png`].
    pub fn png(&self) -> Result<Vec<u8>> {
        self.render()?.png()
    }

    /// Writes the figure to `path` as a PNG file.
    ///
    /// # Errors
    /// As [`Figure::png`], and [`Error::Io`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.render()?.save(path)
    }

    /// The exact text evcxr reads to show this figure (`image/png`, base64).
    ///
    /// # Errors
    /// As [`Figure::png`].
    pub fn to_evcxr(&self) -> Result<String> {
        self.render()?.to_evcxr()
    }

    /// Shows the figure inline in an evcxr notebook (evcxr calls this for a cell's value).
    pub fn evcxr_display(&self) {
        super::evcxr::print(self.to_evcxr())
    }
}
