//! Models as trait objects: [`ErasedModel`] and [`ErasedModelF64`] are object-safe faces of
//! [`Model`], each with the concrete forward passes one kind of synthesis needs. Every
//! `M: Model` has both through blanket impls, so the synthesis machinery (the loop, Adam,
//! progress, saving, the eigen-solvers, the checks) takes `&dyn ErasedModel` or
//! `&dyn ErasedModelF64` and is compiled once, in the crate, instead of once per model type
//! in every crate that uses it (each evcxr notebook cell is one).
//!
//! A crate that turns a model into one of these trait objects compiles the model's forward
//! pass at each method of that trait (their vtable), so each trait holds only what its
//! users call: a metamer cell compiles one forward pass (f32, taped) per device, an
//! eigendistortion cell two (f64, with and without a tape).

use dfdx::prelude::{OwnedTape, SplitTape, Trace};

use crate::error::Result;
use crate::simulate::{CoarseToFine, Model, Scale};
use crate::tensor::Image;

/// A taped CPU image of element type `E`.
pub type Taped<E> = Image<E, OwnedTape<E, crate::device::Cpu>>;

/// A GPU image of element type `E` (tape-less).
#[cfg(feature = "cuda")]
pub type GpuImage<E> = Image<E, dfdx::prelude::NoneTape, crate::device::Gpu>;

/// A taped GPU image of element type `E`.
#[cfg(feature = "cuda")]
pub type GpuTaped<E> = Image<E, OwnedTape<E, crate::device::Gpu>, crate::device::Gpu>;

/// The f32 face of a [`Model`], what metamer synthesis uses: its taped forward pass on
/// each device. Implemented for every `M: Model` (never implement it by hand).
///
/// ```
/// use plenoptic as po;
/// use po::dfdx::prelude::Trace;
/// use po::synthesize::ErasedModel;
/// let model = po::simulate::Gaussian::builder((5, 5)).build()?;
/// let erased: &dyn ErasedModel = &model;
/// let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
/// let rep = erased.forward_f32(img.leaky_trace())?;
/// assert_eq!(rep.as_vec(), po::Model::apply(&model, &img)?.as_vec());
/// # Ok::<(), po::Error>(())
/// ```
pub trait ErasedModel {
    /// The model's type name (recorded in save files, quoted in load errors).
    fn type_name(&self) -> &'static str;
    /// [`Model::forward`] on a taped f32 CPU image.
    ///
    /// # Errors
    /// The model's errors.
    fn forward_f32(&self, x: Taped<f32>) -> Result<Taped<f32>>;
    /// [`Model::forward`] on a taped f32 GPU image.
    ///
    /// # Errors
    /// The model's errors.
    #[cfg(feature = "cuda")]
    fn forward_gpu_f32(&self, x: GpuTaped<f32>) -> Result<GpuTaped<f32>>;
}

impl<M: Model> ErasedModel for M {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<M>()
    }
    fn forward_f32(&self, x: Taped<f32>) -> Result<Taped<f32>> {
        self.forward(x)
    }
    #[cfg(feature = "cuda")]
    fn forward_gpu_f32(&self, x: GpuTaped<f32>) -> Result<GpuTaped<f32>> {
        self.forward(x)
    }
}

/// The face of a [`CoarseToFine`] model that coarse-to-fine synthesis
/// ([`crate::synthesize::MetamerCTF`]) uses: its scales and the taped f32 forward pass of
/// a subset of them on each device, beside [`ErasedModel`]'s full forward pass.
/// Implemented for every `M: CoarseToFine` (never implement it by hand).
///
/// ```
/// use plenoptic as po;
/// use po::dfdx::prelude::Trace;
/// use po::simulate::{CoarseToFine, Scale};
/// use po::synthesize::ErasedCoarseToFine;
/// # struct TwoScales;
/// # impl po::Model for TwoScales {
/// #     fn forward<E: po::Float, D: po::Device<E>, T: po::Tape<E, D>>(&self, x: po::Image<E, T, D>) -> po::Result<po::Image<E, T, D>> { Ok(x) }
/// # }
/// # impl CoarseToFine for TwoScales {
/// #     fn scales(&self) -> Vec<Scale> { vec![Scale::Index(1), Scale::Index(0)] }
/// #     fn forward_scales<E: po::Float, D: po::Device<E>, T: po::Tape<E, D>>(&self, x: po::Image<E, T, D>, _: &[Scale]) -> po::Result<po::Image<E, T, D>> { Ok(x) }
/// # }
/// let erased: &dyn ErasedCoarseToFine = &TwoScales;
/// assert_eq!(erased.scales(), vec![Scale::Index(1), Scale::Index(0)]);
/// let img = po::data::white_noise::<f32>(&[1, 1, 8, 8])?;
/// let rep = erased.forward_scales_f32(img.leaky_trace(), &[Scale::Index(1)])?;
/// assert_eq!(po::dims(&rep), [1, 1, 8, 8]);
/// # Ok::<(), po::Error>(())
/// ```
pub trait ErasedCoarseToFine: ErasedModel {
    /// [`CoarseToFine::scales`].
    fn scales(&self) -> Vec<Scale>;
    /// [`CoarseToFine::forward_scales`] on a taped f32 CPU image.
    ///
    /// # Errors
    /// The model's errors.
    fn forward_scales_f32(&self, x: Taped<f32>, scales: &[Scale]) -> Result<Taped<f32>>;
    /// [`CoarseToFine::forward_scales`] on a taped f32 GPU image.
    ///
    /// # Errors
    /// The model's errors.
    #[cfg(feature = "cuda")]
    fn forward_scales_gpu_f32(&self, x: GpuTaped<f32>, scales: &[Scale]) -> Result<GpuTaped<f32>>;
}

impl<M: CoarseToFine> ErasedCoarseToFine for M {
    fn scales(&self) -> Vec<Scale> {
        CoarseToFine::scales(self)
    }
    fn forward_scales_f32(&self, x: Taped<f32>, scales: &[Scale]) -> Result<Taped<f32>> {
        self.forward_scales(x, scales)
    }
    #[cfg(feature = "cuda")]
    fn forward_scales_gpu_f32(&self, x: GpuTaped<f32>, scales: &[Scale]) -> Result<GpuTaped<f32>> {
        self.forward_scales(x, scales)
    }
}

/// `model`'s representation of the f32 CPU image `x`, by its taped forward pass (the tape
/// is dropped): the f32 output without a second forward pass compiled for the model.
///
/// # Errors
/// The model's errors.
pub(crate) fn apply_f32(model: &dyn ErasedModel, x: &Image<f32>) -> Result<Image<f32>> {
    Ok(model.forward_f32(x.leaky_trace())?.split_tape().0)
}

/// The f64 face of a [`Model`], what eigendistortions, the Jacobian products and
/// [`crate::tools::validate_model`] use: its forward pass with and without a tape on each
/// device. Implemented for every `M: Model` (never implement it by hand).
///
/// ```
/// use plenoptic as po;
/// use po::synthesize::ErasedModelF64;
/// let model = po::simulate::Gaussian::builder((5, 5)).build()?;
/// let erased: &dyn ErasedModelF64 = &model;
/// let img = po::data::white_noise::<f64>(&[1, 1, 16, 16])?;
/// assert_eq!(erased.apply_f64(&img)?.as_vec(), po::Model::apply(&model, &img)?.as_vec());
/// # Ok::<(), po::Error>(())
/// ```
pub trait ErasedModelF64 {
    /// The model's type name (recorded in save files, quoted in load errors).
    fn type_name(&self) -> &'static str;
    /// [`Model::apply`] on an f64 CPU image.
    ///
    /// # Errors
    /// The model's errors.
    fn apply_f64(&self, x: &Image<f64>) -> Result<Image<f64>>;
    /// [`Model::forward`] on a taped f64 CPU image.
    ///
    /// # Errors
    /// The model's errors.
    fn forward_f64(&self, x: Taped<f64>) -> Result<Taped<f64>>;
    /// [`Model::forward`] on an f64 GPU image.
    ///
    /// # Errors
    /// The model's errors.
    #[cfg(feature = "cuda")]
    fn apply_gpu_f64(&self, x: GpuImage<f64>) -> Result<GpuImage<f64>>;
    /// [`Model::forward`] on a taped f64 GPU image.
    ///
    /// # Errors
    /// The model's errors.
    #[cfg(feature = "cuda")]
    fn forward_gpu_f64(&self, x: GpuTaped<f64>) -> Result<GpuTaped<f64>>;
}

impl<M: Model> ErasedModelF64 for M {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<M>()
    }
    fn apply_f64(&self, x: &Image<f64>) -> Result<Image<f64>> {
        self.apply(x)
    }
    fn forward_f64(&self, x: Taped<f64>) -> Result<Taped<f64>> {
        self.forward(x)
    }
    #[cfg(feature = "cuda")]
    fn apply_gpu_f64(&self, x: GpuImage<f64>) -> Result<GpuImage<f64>> {
        self.forward(x)
    }
    #[cfg(feature = "cuda")]
    fn forward_gpu_f64(&self, x: GpuTaped<f64>) -> Result<GpuTaped<f64>> {
        self.forward(x)
    }
}
