//! Models: the [`Model`] trait and plenoptic's built-in models.

mod center_surround;
mod gaussian;
mod model;
mod params;

pub use center_surround::{CenterSurround, CenterSurroundBuilder};
pub use gaussian::{Gaussian, GaussianBuilder};
pub use model::{Filters, Model};
pub use params::PerChannel;
