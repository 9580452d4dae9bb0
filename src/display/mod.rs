//! Pictures that render inline in evcxr notebooks and save to files.
//!
//! - [`imshow`] (also `po::imshow`): images as a grid of greyscale panels with titles and
//!   range/shape subtitles, as plenoptic's `po.imshow`; returns a [`Figure`].
//! - [`LossPlot`] / [`plot_loss`]: a synthesis loss curve on a log axis.
//! - [`Animate`] / [`animate`]: a synthesis' stored progress as an animated GIF.
//! - [`display_filters`], [`display_eigendistortions`]: models' filters and
//!   eigendistortions.
//!
//! Every picture shows inline when it ends an evcxr cell (each type has an
//! `evcxr_display` method printing evcxr's `EVCXR_BEGIN_CONTENT` protocol), and saves to a
//! file with `save`. Text uses the DejaVu Sans font bundled by the `dejavu` crate, so no
//! system fonts are needed.

mod animate;
mod colormap;
mod evcxr;
mod figure;
mod filters;
mod font;
mod imshow;
mod picture;
mod plot_loss;
mod synthesis;

pub use animate::{Animate, Animation, SynthesisPlot};
pub use colormap::Colormap;
pub use evcxr::evcxr_content;
pub use figure::{Figure, Panel};
pub use filters::display_filters;
pub use imshow::{imshow, show, ImageValues, Imshow, IntoImages, Show, Titles, VRange};
pub use picture::Picture;
pub use plot_loss::LossPlot;
pub use synthesis::{
    animate, display_eigendistortion, display_eigendistortions, display_metamer, plot_loss,
};
