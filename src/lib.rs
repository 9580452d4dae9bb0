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
