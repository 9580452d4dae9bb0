//! Tools shared by models and synthesis: convolution helpers, filters, signal helpers,
//! metrics, the seeded generator and model validation.

pub mod conv;
mod filters;
mod metrics;
pub mod seed;
pub(crate) mod signal;
mod validate;

pub use conv::{conv2d, conv2d_same, same_padding, Filter, PadMode};
pub use filters::circular_gaussian2d;
pub use metrics::{l2_norm, mse};
pub use seed::set_seed;
pub(crate) use signal::disk_plane;
pub use signal::{make_disk, rescale};
pub use validate::validate_model;
