//! Models as trait objects: [`ErasedModel`] is the object-safe face of [`Model`], with one
//! method per concrete forward pass synthesis needs (f32 and f64 images, with and without
//! a tape, on the CPU and, with the `cuda` feature, on the GPU). Every `M: Model` has it
//! through a blanket impl, so the synthesis machinery (the loop, Adam, progress, saving)
//! takes `&dyn ErasedModel` and is compiled once, in the crate, instead of once per model
//! type in every crate that uses it (each evcxr notebook cell is one).

use dfdx::prelude::OwnedTape;

use crate::error::Result;
use crate::simulate::Model;
use crate::tensor::Image;

/// A taped CPU image of element type `E`.
pub type Taped<E> = Image<E, OwnedTape<E, crate::device::Cpu>>;

/// A GPU image of element type `E` (tape-less).
#[cfg(feature = "cuda")]
pub type GpuImage<E> = Image<E, dfdx::prelude::NoneTape, crate::device::Gpu>;

/// A taped GPU image of element type `E`.
#[cfg(feature = "cuda")]
pub type GpuTaped<E> = Image<E, OwnedTape<E, crate::device::Gpu>, crate::device::Gpu>;

/// The object-safe face of a [`Model`]: its forward pass at each concrete image type
/// synthesis uses. Implemented for every `M: Model` (never implement it by hand); the
/// synthesis methods hold their model behind `&dyn ErasedModel`.
///
/// ```
/// use plenoptic as po;
/// use po::synthesize::ErasedModel;
/// let model = po::simulate::Gaussian::builder((5, 5)).build()?;
/// let erased: &dyn ErasedModel = &model;
/// let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
/// assert_eq!(erased.apply_f32(&img)?.as_vec(), po::Model::apply(&model, &img)?.as_vec());
/// # Ok::<(), po::Error>(())
/// ```
pub trait ErasedModel {
    /// The model's type name (recorded in save files, quoted in load errors).
    fn type_name(&self) -> &'static str;
    /// [`Model::apply`] on an f32 CPU image.
    ///
    /// # Errors
    /// The model's errors.
    fn apply_f32(&self, x: &Image<f32>) -> Result<Image<f32>>;
    /// [`Model::forward`] on a taped f32 CPU image.
    ///
    /// # Errors
    /// The model's errors.
    fn forward_f32(&self, x: Taped<f32>) -> Result<Taped<f32>>;
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
    /// [`Model::forward`] on an f32 GPU image.
    ///
    /// # Errors
    /// The model's errors.
    #[cfg(feature = "cuda")]
    fn apply_gpu_f32(&self, x: GpuImage<f32>) -> Result<GpuImage<f32>>;
    /// [`Model::forward`] on a taped f32 GPU image.
    ///
    /// # Errors
    /// The model's errors.
    #[cfg(feature = "cuda")]
    fn forward_gpu_f32(&self, x: GpuTaped<f32>) -> Result<GpuTaped<f32>>;
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

impl<M: Model> ErasedModel for M {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<M>()
    }
    fn apply_f32(&self, x: &Image<f32>) -> Result<Image<f32>> {
        self.apply(x)
    }
    fn forward_f32(&self, x: Taped<f32>) -> Result<Taped<f32>> {
        self.forward(x)
    }
    fn apply_f64(&self, x: &Image<f64>) -> Result<Image<f64>> {
        self.apply(x)
    }
    fn forward_f64(&self, x: Taped<f64>) -> Result<Taped<f64>> {
        self.forward(x)
    }
    #[cfg(feature = "cuda")]
    fn apply_gpu_f32(&self, x: GpuImage<f32>) -> Result<GpuImage<f32>> {
        self.forward(x)
    }
    #[cfg(feature = "cuda")]
    fn forward_gpu_f32(&self, x: GpuTaped<f32>) -> Result<GpuTaped<f32>> {
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
