//! What a notebook (or any user of the crate) brings in with one line,
//! `use plenoptic::prelude::*;`: the [`Model`] trait (to call `apply` and write models),
//! [`Show`] (`img.show()?`) and [`EvcxrDisplay`], which makes images, syntheses and loss
//! vectors show themselves when they end an evcxr cell.
//!
//! ```
//! use plenoptic as po;
//! use po::prelude::*;
//! let img = po::data::white_noise::<f32>(&[1, 1, 8, 8])?;
//! assert!(img.evcxr_text()?.starts_with("EVCXR_BEGIN_CONTENT image/png"));
//! # Ok::<(), po::Error>(())
//! ```

pub use crate::display::{EvcxrDisplay, Show};
pub use crate::simulate::Model;
