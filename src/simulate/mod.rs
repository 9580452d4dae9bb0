//! Models: the [`Model`] trait and plenoptic's built-in models.

mod center_surround;
mod frontend;
mod gain_control;
mod gaussian;
mod laplacian_pyramid;
mod linear_nonlinear;
mod model;
mod on_off;
mod params;
mod portilla_simoncelli;
mod scales;
mod steerable_pyramid;

pub use crate::ops::Activation;
pub use center_surround::{CenterSurround, CenterSurroundBuilder};
pub use gain_control::{
    LuminanceContrastGainControl, LuminanceContrastGainControlBuilder, LuminanceGainControl,
    LuminanceGainControlBuilder,
};
pub use gaussian::{Gaussian, GaussianBuilder};
pub use laplacian_pyramid::LaplacianPyramid;
pub use linear_nonlinear::{LinearNonlinear, LinearNonlinearBuilder};
pub use model::{Filters, Model, RepresentationGroups};
pub use on_off::{OnOff, OnOffBuilder};
pub use params::PerChannel;
pub use portilla_simoncelli::{
    PortillaSimoncelli, PortillaSimoncelliBuilder, StatDict, STAT_NAMES,
};
pub use scales::{CoarseToFine, Scale};
pub use steerable_pyramid::{
    Height, PyrCoeffs, PyrKey, SteerablePyramidFreq, SteerablePyramidFreqBuilder, Steered,
};
