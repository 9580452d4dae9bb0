//! 2-D convolution: torch's `conv2d` (cross-correlation, kernel not flipped, no padding)
//! with several output channels and grouped input channels, and the same convolution
//! after plenoptic's `same_padding`, fused into one op.
//!
//! The CPU (`cpu.rs`) convolves by FFT, reading the input through a *frame*: the image, or
//! the image padded on the fly (rows and columns mapped back to the input), so no padded
//! copy is made; with circular padding on an image whose sides are fast FFT sizes, the
//! convolution is a circular one of the image itself (the kernel wraps around), which
//! needs no padding at all. The portable kernel (`portable.rs`, the GPU's) splits each
//! kernel into rank-1 terms and applies them as matrix products, padding folded in.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use realfft::num_complex::Complex;

use crate::error::{Error, Result};
use crate::ops::PadMode;
use crate::tensor::{check_finite, image_from_vec, ByFloat, Float, Image, PerFloat, Tape};
use crate::Device;

/// Cached kernel spectra of one element type, keyed by transform size and kernel shift.
struct SpectraSlot;
impl PerFloat for SpectraSlot {
    type Of<E: Float> = Mutex<HashMap<(usize, usize, usize, usize), Spectra<E>>>;
}
type Spectra<E> = Arc<Vec<Vec<Complex<E>>>>;

/// A bank of convolution filters, shaped like torch's conv weight:
/// (out_channels, in_channels_per_group, height, width). Stored in f64; the FFTs of the
/// filters are computed once per element type and transform size, then reused.
#[derive(Clone)]
pub struct Filter {
    shape: [usize; 4],
    weights: Arc<Vec<f64>>,
    spectra: Arc<ByFloat<SpectraSlot>>,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("shape", &self.shape)
            .finish()
    }
}

impl Filter {
    /// A filter bank from row-major weights of shape
    /// `[out_channels, in_channels_per_group, height, width]`.
    ///
    /// ```
    /// let box3 = plenoptic::tools::Filter::new(vec![1.0 / 9.0; 9], [1, 1, 3, 3]).unwrap();
    /// assert_eq!(box3.kernel_size(), (3, 3));
    /// ```
    ///
    /// # Errors
    /// Empty shape, a buffer of the wrong length, or non-finite weights.
    pub fn new(weights: Vec<f64>, shape: [usize; 4]) -> Result<Self> {
        crate::tensor::check_shape4(&shape, "filter")?;
        if weights.len() != shape.iter().product::<usize>() {
            return Err(Error::shape_mismatch(
                "number of filter weights for the filter's shape",
                [shape.iter().product::<usize>()],
                [weights.len()],
            ));
        }
        check_finite(&weights, "filter")?;
        Ok(Filter {
            shape,
            weights: Arc::new(weights),
            spectra: Default::default(),
        })
    }

    /// `[out_channels, in_channels_per_group, height, width]`.
    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    /// (height, width) of each kernel.
    pub fn kernel_size(&self) -> (usize, usize) {
        (self.shape[2], self.shape[3])
    }

    /// Number of output channels.
    pub fn out_channels(&self) -> usize {
        self.shape[0]
    }

    /// The weights, row-major.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The filters as an image of shape (out_channels, in_channels_per_group, height,
    /// width), e.g. to display them.
    pub fn to_image<E: Float>(&self) -> Image<E> {
        let v = self.weights.iter().map(|&w| E::of_f64(w)).collect();
        image_from_vec(v, &self.shape).expect("filter shape is valid")
    }

    /// Stacks filter banks along the output channels (all must share the other dimensions).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when kernel sizes or input channels differ.
    pub fn concat(filters: &[&Filter]) -> Result<Filter> {
        let first = filters.first().ok_or_else(|| Error::Empty {
            what: "list of filters".into(),
            shape: vec![0],
        })?;
        let mut w = Vec::new();
        let mut out = 0;
        for f in filters {
            if f.shape[1..] != first.shape[1..] {
                return Err(Error::shape_mismatch(
                    "stacked filters (in channels, height, width)",
                    &first.shape[1..],
                    &f.shape[1..],
                ));
            }
            out += f.shape[0];
            w.extend_from_slice(&f.weights);
        }
        Filter::new(w, [out, first.shape[1], first.shape[2], first.shape[3]])
    }

    /// Multiplies every weight by `s`.
    pub fn scaled(&self, s: f64) -> Filter {
        Filter::new(self.weights.iter().map(|w| w * s).collect(), self.shape)
            .expect("scaling keeps the shape")
    }
}

/// The convolution kernels of a device: [`conv2d`] and [`conv2d_same`] (the CPU's by FFT,
/// the GPU's from dfdx matrix products). Call the functions, not these methods.
pub trait ConvKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`conv2d`] on this device.
    fn conv2d<T: Tape<E, Self>>(x: Image<E, T, Self>, filt: &Filter) -> Result<Image<E, T, Self>>;
    /// [`conv2d_same`] on this device.
    fn conv2d_same<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        filt: &Filter,
        mode: PadMode,
    ) -> Result<Image<E, T, Self>>;
}

/// Valid 2-D cross-correlation of `x` (batch, in_channels, h, w) with `filt`, like torch's
/// `F.conv2d(x, filt, groups=g)` with `g = in_channels / filt.shape()[1]` (so a filter with
/// one input channel per output channel applied to a 2-channel image is a grouped
/// convolution, as plenoptic's `OnOff` model uses). Output: (batch, out_channels,
/// h - kh + 1, w - kw + 1). Differentiable with respect to `x`.
///
/// ```
/// use plenoptic as po;
/// let x = po::image_from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[1, 1, 1, 4])?;
/// let f = po::tools::Filter::new(vec![1.0, -1.0], [1, 1, 1, 2])?;
/// let y = po::ops::conv2d(x, &f)?;
/// assert_eq!(po::dims(&y), [1, 1, 1, 3]);
/// assert!(y.as_vec().iter().all(|v| (v + 1.0).abs() < 1e-12));
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// [`Error::KernelTooLarge`] when a kernel does not fit in the image,
/// [`Error::ShapeMismatch`] when the channels cannot be grouped, [`Error::NonFinite`] when
/// the input holds NaN or infinite values (an FFT would spread them over the whole output).
pub fn conv2d<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    filt: &Filter,
) -> Result<Image<E, T, D>> {
    D::conv2d(x, filt)
}

/// plenoptic's `same_padding` followed by [`conv2d`], in one op: the output has the
/// input's height and width. The padding is read on the fly instead of being copied, and
/// circular padding of an image whose sides are fast FFT sizes (products of 2, 3 and 5)
/// becomes a circular convolution of the image itself. Equal to
/// `conv2d(same_padding(x, filt.kernel_size(), mode)?, filt)` up to rounding.
///
/// ```
/// use plenoptic as po;
/// use po::tools::conv::{conv2d, conv2d_same, same_padding, PadMode};
/// let x = po::data::white_noise::<f64>(&[1, 1, 16, 16])?;
/// let f = po::tools::circular_gaussian2d((5, 5), &[1.0])?;
/// let a = conv2d_same(x.clone(), &f, PadMode::Circular)?;
/// let b = conv2d(same_padding(x, (5, 5), PadMode::Circular)?, &f)?;
/// let d = a.as_vec().iter().zip(b.as_vec()).fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
/// assert!(d < 1e-12);
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// [`Error::PaddingTooLarge`] when the mode cannot pad that much (reflect needs
/// `kernel - 1 < 2 * size` roughly: each side's pad smaller than the size),
/// [`Error::ShapeMismatch`] when the channels cannot be grouped, [`Error::NonFinite`] for
/// NaN or infinite input.
pub fn conv2d_same<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    filt: &Filter,
    mode: PadMode,
) -> Result<Image<E, T, D>> {
    D::conv2d_same(x, filt, mode)
}
