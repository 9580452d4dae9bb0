//! Pictures that render inline in evcxr notebooks and save to files.
//!
//! - [`imshow`] (also `po::imshow`): images as a grid of greyscale panels with titles and
//!   range/shape subtitles, as plenoptic's `po.imshow`; builds a [`Figure`] whose panels
//!   can be re-ranged afterwards ([`Figure::set_clim`]). [`show`] and the [`Show`] trait
//!   (`img.show()?`) take every default.
//! - [`plot_loss`] / [`LossPlot`]: a synthesis' loss against iteration on a log axis.
//! - [`animate`] / [`Animate`]: a synthesis' stored progress as an animated GIF
//!   ([`Animation`]), the metamer next to the loss curve.
//! - [`plot_synthesis_status`] / [`animate_synthesis_status`]: a metamer synthesis in one
//!   picture (metamer, loss, representation error, pixel histogram), or animated.
//! - [`mad`]: MAD competition's pictures (the MAD image, both metrics, the status, the
//!   four-synthesis summaries).
//! - [`display_metamer`], [`display_eigendistortions`], [`display_eigendistortion`],
//!   [`display_filters`]: metamers, eigendistortions and models' filters.
//!
//! With `use plenoptic::prelude::*`, images, metamers, eigendistortions and loss vectors
//! show themselves too ([`EvcxrDisplay`]).
//!
//! Every picture shows inline when it ends an evcxr cell (each type has an
//! `evcxr_display` method printing evcxr's `EVCXR_BEGIN_CONTENT` protocol: PNG for
//! figures and plots, an HTML `<img>` with a GIF data URL for animations), and saves to a
//! file with `save`. Text uses the DejaVu Sans font bundled by the `dejavu` crate, so no
//! system fonts are needed; colours follow matplotlib's `gray` and `RdBu_r` tables
//! exactly.
//!
//! ```
//! use plenoptic as po;
//! let img = po::data::white_noise::<f32>(&[1, 1, 32, 32])?;
//! let fig = po::imshow(&img).title("White noise").zoom(2.0).build()?;
//! let png: Vec<u8> = fig.png()?; // what `fig.save("noise.png")` writes
//! assert_eq!(&png[1..4], b"PNG");
//! # Ok::<(), po::Error>(())
//! ```

mod animate;
mod colormap;
mod evcxr;
mod figure;
mod filters;
mod font;
mod imshow;
mod inline;
mod line_plot;
pub mod mad;
mod picture;
mod plot_loss;
mod pyrshow;
mod rep_plot;
mod status;
mod stem;
mod synthesis;

pub use animate::{Animate, Animation, SynthesisPlot};
pub use colormap::Colormap;
pub use evcxr::evcxr_content;
pub use figure::{Figure, Panel};
pub use filters::display_filters;
pub use imshow::{imshow, show, ImageValues, Imshow, IntoImages, Show, Titles, VRange};
pub use inline::EvcxrDisplay;
pub use picture::Picture;
pub use plot_loss::LossPlot;
pub use pyrshow::pyrshow;
pub use rep_plot::PlotRepresentation;
pub use status::{animate_synthesis_status, plot_synthesis_status, SynthesisStatus};
pub use stem::plot_representation;
pub use synthesis::{
    animate, display_eigendistortion, display_eigendistortion_all, display_eigendistortions,
    display_metamer, plot_loss,
};
