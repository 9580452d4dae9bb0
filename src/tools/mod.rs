//! Tools shared by models and synthesis: convolution helpers, filters, signal helpers,
//! metrics, the seeded generator and model validation.

pub mod conv;
mod filters;
pub mod seed;

pub use conv::{conv2d, same_padding, Filter, PadMode};
pub use filters::circular_gaussian2d;
pub use seed::set_seed;
