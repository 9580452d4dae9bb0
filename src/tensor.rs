//! Images as dfdx tensors: the [`Image`] type, the [`Float`] element types, and helpers to
//! move data in and out and to check shapes.

use std::cell::RefCell;

use dfdx::dtypes::Dtype;
use dfdx::prelude::{Cpu, HasShape, NoneTape, Tensor, TensorFromVec};
use dfdx::tensor::Storage;

use crate::device::cpu;
use crate::error::{Error, Result};

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

/// A family of types indexed by the element type, e.g. a cache of FFT plans in `E` (see
/// [`ByFloat`]). Crate-internal machinery, public only because [`Float`] names it.
#[doc(hidden)]
pub trait PerFloat {
    /// The member of the family for element type `E`.
    type Of<E: Float>;
}

/// One value of the family `F` per element type: what a `TypeId` map would hold, typed.
/// [`Float::pick`] chooses the element type's own.
#[doc(hidden)]
pub struct ByFloat<F: PerFloat> {
    /// The `f32` member.
    pub single: F::Of<f32>,
    /// The `f64` member.
    pub double: F::Of<f64>,
}

impl<F: PerFloat> Default for ByFloat<F>
where
    F::Of<f32>: Default,
    F::Of<f64>: Default,
{
    fn default() -> Self {
        ByFloat {
            single: Default::default(),
            double: Default::default(),
        }
    }
}

/// The element types the crate computes in: `f32` (synthesis, like plenoptic) and `f64`
/// (eigendistortions, gradient checks).
pub trait Float:
    sealed::Sealed
    + dfdx::dtypes::Dtype
    + num_traits::Float
    + num_traits::FromPrimitive
    + realfft::FftNum
    + std::fmt::Display
    + Send
    + Sync
{
    /// Converts from f64 (rounding for f32).
    fn of_f64(v: f64) -> Self;
    /// Converts to f64.
    fn as_f64(self) -> f64;
    /// Calls `f` with this thread's reusable buffer of this type (contents unspecified),
    /// so reading an op's input allocates (and page-faults) only when the buffer grows.
    /// The buffer is taken out during the call: a nested call gets an empty one.
    #[doc(hidden)]
    fn with_scratch<R>(f: impl FnOnce(&mut Vec<Self>) -> R) -> R;
    /// Calls `f` with this thread's pool of reusable buffers of this type (`None` while
    /// the thread is exiting); see `ops::pool`.
    #[doc(hidden)]
    fn with_pool<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> Option<R>;
    /// This type's member of `pair`.
    #[doc(hidden)]
    fn pick<F: PerFloat>(pair: &ByFloat<F>) -> &F::Of<Self>;
}

macro_rules! float_impl {
    ($t:ty, $slot:ident) => {
        impl Float for $t {
            #[allow(clippy::unnecessary_cast)]
            fn of_f64(v: f64) -> Self {
                v as $t
            }
            #[allow(clippy::unnecessary_cast)]
            fn as_f64(self) -> f64 {
                self as f64
            }
            fn with_scratch<R>(f: impl FnOnce(&mut Vec<Self>) -> R) -> R {
                thread_local! {
                    static SCRATCH: RefCell<Vec<$t>> = const { RefCell::new(Vec::new()) };
                }
                let mut buf = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
                let r = f(&mut buf);
                SCRATCH.with(|s| *s.borrow_mut() = buf);
                r
            }
            fn with_pool<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> Option<R> {
                thread_local! {
                    static POOL: RefCell<Vec<Vec<$t>>> = const { RefCell::new(Vec::new()) };
                }
                POOL.try_with(|p| f(&mut p.borrow_mut())).ok()
            }
            fn pick<F: PerFloat>(pair: &ByFloat<F>) -> &F::Of<Self> {
                &pair.$slot
            }
        }
    };
}
float_impl!(f32, single);
float_impl!(f64, double);

/// A dfdx tape on device `D` (the CPU by default): `NoneTape` (no gradients) or
/// `OwnedTape` (recording).
pub trait Tape<E: Dtype, D: Storage<E> = Cpu>: dfdx::tensor::Tape<E, D> + 'static {}
impl<E: Dtype, D: Storage<E>, T: dfdx::tensor::Tape<E, D> + 'static> Tape<E, D> for T {}

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
    image_on(&cpu(), data, shape)
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
pub fn image_on<E: Float, D: TensorFromVec<E>>(
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
pub fn to_device<E: Float, D: TensorFromVec<E>>(x: &Image<E>, dev: &D) -> Image<E, NoneTape, D> {
    dev.tensor_from_vec(x.as_vec(), *x.shape())
}

/// Copies an image from any device to the CPU (no gradient flows through).
pub fn to_cpu<E: Float, D: Storage<E>, T>(x: &Image<E, T, D>) -> Image<E> {
    cpu().tensor_from_vec(x.as_vec(), *x.shape())
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
pub fn check_image<E: Float, T>(x: &Tensor<Shape4, E, Cpu, T>, what: &str) -> Result<()> {
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
pub fn cast<A: Float, B: Float, T>(x: &Tensor<Shape4, A, Cpu, T>) -> Image<B> {
    let v: Vec<B> = x
        .as_vec()
        .into_iter()
        .map(|a| B::of_f64(a.as_f64()))
        .collect();
    cpu().tensor_from_vec(v, *x.shape())
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
    x: &Tensor<Shape4, E, Cpu, T>,
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
