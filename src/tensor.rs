//! Images as dfdx tensors: the [`Image`] type, the [`Float`] element types, and helpers to
//! move data in and out and to check shapes.

use std::sync::OnceLock;

use dfdx::dtypes::Dtype;
use dfdx::prelude::{Cpu, HasShape, NoneTape, Tensor, TensorFromVec};
use dfdx::tensor::Storage;

use crate::device::Device;
use crate::error::{Error, Result};

/// The CPU device: where images are made, stored, shown and saved. Models also run on the
/// GPU during synthesis when the `cuda` feature is on (see [`crate::device`]).
pub type Dev = Cpu;

/// The shape of an image: (batch, channel, height, width), known at run time.
pub type Shape4 = (usize, usize, usize, usize);

/// A 4-D image tensor (batch, channel, height, width) with element type `E` (f32 by
/// default), tape `T` (none by default; `OwnedTape` while gradients are recorded) and
/// device `D` (the CPU by default; [`crate::device::Gpu`] with the `cuda` feature).
pub type Image<E = f32, T = NoneTape, D = Cpu> = Tensor<Shape4, E, D, T>;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Links an element type to the CPU device; lets generic code over [`Float`] use dfdx
/// operations on CPU tensors without spelling out device bounds.
pub trait OnDevice: dfdx::dtypes::Dtype {
    /// The device (always [`Dev`]).
    type Device: dfdx::tensor_ops::Device<Self>;
}
impl OnDevice for f32 {
    type Device = Cpu;
}
impl OnDevice for f64 {
    type Device = Cpu;
}

/// The element types the crate computes in: `f32` (synthesis, like plenoptic) and `f64`
/// (eigendistortions, gradient checks).
pub trait Float:
    sealed::Sealed
    + dfdx::dtypes::Dtype
    + num_traits::Float
    + num_traits::FromPrimitive
    + realfft::FftNum
    + OnDevice<Device = Cpu>
    + std::fmt::Display
    + Send
    + Sync
{
    /// Converts from f64 (rounding for f32).
    fn of_f64(v: f64) -> Self;
    /// Converts to f64.
    fn as_f64(self) -> f64;
}
impl Float for f32 {
    fn of_f64(v: f64) -> Self {
        v as f32
    }
    fn as_f64(self) -> f64 {
        self as f64
    }
}
impl Float for f64 {
    fn of_f64(v: f64) -> Self {
        v
    }
    fn as_f64(self) -> f64 {
        self
    }
}

/// A dfdx tape on device `D` (the CPU by default): `NoneTape` (no gradients) or
/// `OwnedTape` (recording).
pub trait Tape<E: Dtype, D: Storage<E> = Cpu>: dfdx::tensor::Tape<E, D> + 'static {}
impl<E: Dtype, D: Storage<E>, T: dfdx::tensor::Tape<E, D> + 'static> Tape<E, D> for T {}

/// The shared CPU device.
pub fn device() -> Dev {
    static DEV: OnceLock<Dev> = OnceLock::new();
    DEV.get_or_init(Dev::default).clone()
}

/// The shape of an image as an array `[batch, channel, height, width]`.
pub fn dims<E, D: Storage<E>, T>(x: &Tensor<Shape4, E, D, T>) -> [usize; 4] {
    let s = *x.shape();
    [s.0, s.1, s.2, s.3]
}

/// Builds an image from a flat row-major buffer and a 4-D shape.
///
/// ```
/// let img = plenoptic::image_from_vec(vec![0.0f32; 6], &[1, 1, 2, 3]).unwrap();
/// assert_eq!(plenoptic::dims(&img), [1, 1, 2, 3]);
/// ```
///
/// # Errors
/// [`Error::Rank`] when `shape` does not have 4 entries, [`Error::Empty`] for a zero-sized
/// dimension, [`Error::ShapeMismatch`] when the buffer's length does not match.
pub fn image_from_vec<E: Float>(data: Vec<E>, shape: &[usize]) -> Result<Image<E>> {
    image_on(&device(), data, shape)
}

/// Builds an image on device `dev` (the device of a model's input, `x.device()`, inside a
/// [`crate::Model::forward`] generic over the device) from a flat row-major buffer.
///
/// ```
/// use plenoptic as po;
/// let cpu = po::device::cpu();
/// let img = po::image_on(&cpu, vec![1.0f32, 2.0], &[1, 1, 1, 2])?;
/// assert_eq!(img.as_vec(), vec![1.0, 2.0]);
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// As [`image_from_vec`].
pub fn image_on<E: Float, D: Device<E>>(
    dev: &D,
    data: Vec<E>,
    shape: &[usize],
) -> Result<Image<E, NoneTape, D>> {
    let s = check_shape4(shape, "image")?;
    let n: usize = shape.iter().product();
    if data.len() != n {
        return Err(Error::shape_mismatch(
            format!("buffer length for shape {shape:?}"),
            [n],
            [data.len()],
        ));
    }
    Ok(dev.tensor_from_vec(data, s))
}

/// Copies a CPU image to device `dev` (a copy on the CPU itself).
pub fn to_device<E: Float, D: Device<E>>(x: &Image<E>, dev: &D) -> Image<E, NoneTape, D> {
    dev.tensor_from_vec(x.as_vec(), *x.shape())
}

/// Copies an image from any device to the CPU (no gradient flows through).
pub fn to_cpu<E: Float, D: Device<E>, T>(x: &Image<E, T, D>) -> Image<E> {
    device().tensor_from_vec(x.as_vec(), *x.shape())
}

/// Checks that `shape` is 4-D with no zero-sized dimension.
pub(crate) fn check_shape4(shape: &[usize], what: &str) -> Result<Shape4> {
    if shape.len() != 4 {
        return Err(Error::Rank {
            shape: shape.to_vec(),
        });
    }
    if shape.contains(&0) {
        return Err(Error::Empty {
            what: what.to_string(),
            shape: shape.to_vec(),
        });
    }
    Ok((shape[0], shape[1], shape[2], shape[3]))
}

/// Checks that an image has no zero-sized dimension and only finite values.
///
/// # Errors
/// [`Error::Empty`] or [`Error::NonFinite`], naming `what`.
pub fn check_image<E: Float, T>(x: &Tensor<Shape4, E, Dev, T>, what: &str) -> Result<()> {
    check_shape4(&dims(x), what)?;
    check_finite(&x.as_vec(), what)
}

/// Checks that every value is finite.
pub(crate) fn check_finite<E: Float>(v: &[E], what: &str) -> Result<()> {
    let count = v.iter().filter(|x| !x.is_finite()).count();
    if count > 0 {
        return Err(Error::NonFinite {
            what: what.to_string(),
            count,
        });
    }
    Ok(())
}

/// Converts an image to another element type (no gradient flows through).
pub fn cast<A: Float, B: Float, T>(x: &Tensor<Shape4, A, Dev, T>) -> Image<B> {
    let v: Vec<B> = x
        .as_vec()
        .into_iter()
        .map(|a| B::of_f64(a.as_f64()))
        .collect();
    device().tensor_from_vec(v, *x.shape())
}

/// Concatenates images along the batch dimension (all other dimensions must agree).
///
/// # Errors
/// [`Error::Empty`] for an empty list, [`Error::ShapeMismatch`] when shapes differ.
pub fn cat_batch<E: Float>(images: &[&Image<E>]) -> Result<Image<E>> {
    let first = images.first().ok_or_else(|| Error::Empty {
        what: "list of images".into(),
        shape: vec![0],
    })?;
    let [_, c, h, w] = dims(first);
    let mut data = Vec::new();
    let mut b = 0;
    for img in images {
        let d = dims(img);
        if d[1..] != [c, h, w] {
            return Err(Error::shape_mismatch(
                "images concatenated along the batch (channel, height, width)",
                [c, h, w],
                &d[1..],
            ));
        }
        b += d[0];
        data.extend(img.as_vec());
    }
    image_from_vec(data, &[b, c, h, w])
}

/// The images `start..end` of the batch, as a new image (no gradient flows through).
///
/// # Errors
/// [`Error::InvalidArgument`] for an empty or out-of-range selection.
pub fn select_batch<E: Float, T>(
    x: &Tensor<Shape4, E, Dev, T>,
    range: std::ops::Range<usize>,
) -> Result<Image<E>> {
    let [b, c, h, w] = dims(x);
    if range.start >= range.end || range.end > b {
        return Err(Error::invalid(
            "range",
            format!("{range:?} is not a non-empty part of a batch of {b}"),
        ));
    }
    let n = c * h * w;
    let v = x.as_vec()[range.start * n..range.end * n].to_vec();
    image_from_vec(v, &[range.end - range.start, c, h, w])
}
