//! # plenoptic for Rust
//!
//! Synthesis methods for visual models, ported from
//! [plenoptic](https://github.com/plenoptic-org/plenoptic): **metamers** (images a model
//! cannot tell apart from a target) and **eigendistortions** (the distortions a model is most
//! and least sensitive to). Built on [`dfdx`] tensors and autodiff, with FFT convolutions
//! for speed, and pictures that show inline in evcxr Jupyter notebooks.
//!
//! ```
//! use plenoptic as po;
//! let img = po::data::white_noise::<f32>(&[1, 1, 32, 32])?;
//! let model = po::simulate::Gaussian::builder((5, 5)).pad_mode(po::PadMode::Circular).build()?;
//! let rep = po::Model::apply(&model, &img)?;
//! assert_eq!(po::dims(&rep), [1, 1, 32, 32]);
//! # Ok::<(), po::Error>(())
//! ```
//!
//! Layout, one module per plenoptic area: [`data`], [`tools`], [`simulate`],
//! [`synthesize`], [`display`]; the differentiable operations behind them are in [`ops`].

pub mod data;
pub mod device;
pub mod display;
mod error;
pub mod metric;
pub mod ops;
pub mod prelude;
mod shared;
pub mod simulate;
pub mod synthesize;
mod tensor;
pub mod tools;
pub mod warnings;

pub use device::Device;
pub use dfdx;
pub use display::imshow;
pub use error::{BackendError, Error, LoadError, Result};
pub use simulate::Model;
pub use tensor::{
    cast, cat_batch, check_image, dims, image_from_vec, image_on, select_batch, to_cpu, to_device,
    Float, Image, Shape4, Tape,
};
pub use tools::PadMode;

/// This crate's version, and the plenoptic release whose numbers it matches.
///
/// The notebooks' first cell binds it right after `:dep`: evcxr finds the types of a
/// cell's variables with rust-analyzer, which reads the crate and its dependencies the
/// first time a variable's type involves them (about 2.5 s on two cores). Binding this
/// constant in the `:dep` cell does that reading there, so the first cell that loads an
/// image compiles in under a second.
///
/// ```
/// assert_eq!(plenoptic::VERSION.plenoptic, "1.3.0");
/// assert_eq!(plenoptic::VERSION.crate_version, env!("CARGO_PKG_VERSION"));
/// assert_eq!(
///     plenoptic::VERSION.to_string(),
///     format!("plenoptic for Rust {} (plenoptic 1.3.0)", env!("CARGO_PKG_VERSION"))
/// );
/// ```
pub const VERSION: Version = Version {
    crate_version: env!("CARGO_PKG_VERSION"),
    plenoptic: "1.3.0",
};

/// The type of [`VERSION`]; it displays as `plenoptic for Rust 0.1.0 (plenoptic 1.3.0)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    /// This crate's version.
    pub crate_version: &'static str,
    /// The plenoptic (Python) release it ports.
    pub plenoptic: &'static str,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "plenoptic for Rust {} (plenoptic {})",
            self.crate_version, self.plenoptic
        )
    }
}
