//! Separable linear maps of the last two dimensions, `Y = A X Bᵀ` for every (height,
//! width) plane: correlations with separable kernels (padding folded in), strided
//! down-sampling, zero-insertion up-sampling and plane means, as one op. plenoptic's
//! Laplacian pyramid (`blur_downsample`, `upsample_blur`), SSIM's Gaussian window and
//! MS-SSIM's 2x2 average pooling are all of this form.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::ops::checks::{linear_fill, same_frame};
use crate::ops::separable::Row;
use crate::ops::PadMode;
use crate::tensor::{dims, Float, Image, Tape};
use crate::Device;

/// A linear map of images of size (h, w) to images of size (ho, wo) that acts on rows and
/// columns separately: output pixel `(p, q)` is `sum A[p][i] B[q][j] X[i][j]`, where `A`
/// (`ho` rows) and `B` (`wo` rows) are sparse, given as `(input index, weight)` pairs.
///
/// ```
/// use plenoptic::ops::{separable_map, SeparableMap};
/// // a 2x2 average pooling of a 2x4 image
/// let pool = SeparableMap::new((2, 4), vec![vec![(0, 0.5), (1, 0.5)]],
///     vec![vec![(0, 0.5), (1, 0.5)], vec![(2, 0.5), (3, 0.5)]])?;
/// let x = plenoptic::image_from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], &[1, 1, 2, 4])?;
/// assert_eq!(separable_map(x, &pool)?.as_vec(), vec![3.5, 5.5]);
/// # Ok::<(), plenoptic::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SeparableMap {
    input: (usize, usize),
    rows: Arc<Vec<Row>>,
    cols: Arc<Vec<Row>>,
}

impl SeparableMap {
    /// The map with row matrix `rows` (one entry per output row, over the `h` input rows)
    /// and column matrix `cols` (one per output column, over the `w` input columns) for
    /// inputs of size `input = (h, w)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty size or output, an index past the input or a
    /// weight that is not finite.
    pub fn new(
        input: (usize, usize),
        rows: Vec<Vec<(usize, f64)>>,
        cols: Vec<Vec<(usize, f64)>>,
    ) -> Result<Self> {
        let (h, w) = input;
        if h == 0 || w == 0 || rows.is_empty() || cols.is_empty() {
            return Err(Error::invalid(
                "separable map",
                format!(
                    "input {input:?} and output ({}, {}) must not be empty",
                    rows.len(),
                    cols.len()
                ),
            ));
        }
        for (what, m, n) in [("row", &rows, h), ("column", &cols, w)] {
            if let Some(&(i, v)) = m.iter().flatten().find(|(i, v)| *i >= n || !v.is_finite()) {
                return Err(Error::invalid(
                    "separable map",
                    format!("{what} entry ({i}, {v}) is past the input size {n} or not finite"),
                ));
            }
        }
        Ok(SeparableMap {
            input,
            rows: Arc::new(rows),
            cols: Arc::new(cols),
        })
    }

    /// Correlation with the separable kernel `row_taps ⊗ col_taps` (torch's `conv2d`,
    /// kernel not flipped) with `stride`, after plenoptic's `same_padding` for that kernel
    /// in `pad` mode (`None`: no padding, a valid correlation). Output size
    /// `(n + pad - k) / stride + 1` per dimension.
    ///
    /// ```
    /// use plenoptic::ops::{PadMode, SeparableMap};
    /// let m = SeparableMap::correlate((8, 6), &[0.25, 0.5, 0.25], &[1.0], Some(PadMode::Reflect), 2)?;
    /// assert_eq!(m.output_size(), (4, 3));
    /// # Ok::<(), plenoptic::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for empty taps, a zero stride or a constant fill other
    /// than 0 (not linear); [`Error::PaddingTooLarge`] when the mode cannot pad that much;
    /// [`Error::KernelTooLarge`] when a kernel does not fit a valid correlation.
    pub fn correlate(
        input: (usize, usize),
        row_taps: &[f64],
        col_taps: &[f64],
        pad: Option<PadMode>,
        stride: usize,
    ) -> Result<Self> {
        if stride == 0 || row_taps.is_empty() || col_taps.is_empty() {
            return Err(Error::invalid(
                "separable map",
                "stride and kernel size must be positive",
            ));
        }
        linear_fill(pad)?;
        let axis = |n: usize, taps: &[f64]| -> Result<Vec<Row>> {
            let k = taps.len();
            let (_, src) = same_frame(n, k, pad)?;
            let n_out = (src.len() - k) / stride + 1;
            Ok((0..n_out)
                .map(|p| {
                    let mut row: Row = Vec::with_capacity(k);
                    for (u, &t) in taps.iter().enumerate() {
                        if let Some(s) = src[p * stride + u] {
                            match row.iter_mut().find(|e| e.0 == s) {
                                Some(e) => e.1 += t,
                                None => row.push((s, t)),
                            }
                        }
                    }
                    row
                })
                .collect())
        };
        SeparableMap::new(input, axis(input.0, row_taps)?, axis(input.1, col_taps)?)
    }

    /// The mean of each plane: output size (1, 1).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty size.
    pub fn plane_mean(input: (usize, usize)) -> Result<Self> {
        let (h, w) = input;
        let row = |n: usize| vec![(0..n).map(|i| (i, 1.0 / n as f64)).collect::<Row>()];
        SeparableMap::new(input, row(h), row(w))
    }

    /// The input size (h, w) the map takes.
    pub fn input_size(&self) -> (usize, usize) {
        self.input
    }

    /// The output size (ho, wo).
    pub fn output_size(&self) -> (usize, usize) {
        (self.rows.len(), self.cols.len())
    }

    pub(crate) fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub(crate) fn cols(&self) -> &[Row] {
        &self.cols
    }
}

/// The separable-map kernel of a device: [`separable_map`]. Call the function, not this
/// method.
pub trait SeparableMapKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`separable_map`] on this device, for an input of the map's size.
    fn separable_map<T: Tape<E, Self>>(
        x: Image<E, T, Self>,
        map: &SeparableMap,
    ) -> Result<Image<E, T, Self>>;
}

/// Applies `map` to every (height, width) plane of `x`: (batch, channel, h, w) to (batch,
/// channel, ho, wo). Differentiable with respect to `x`.
///
/// ```
/// use plenoptic::ops::{separable_map, SeparableMap};
/// let x = plenoptic::image_from_vec(vec![1.0f32, 2.0, 3.0, 6.0], &[1, 1, 2, 2])?;
/// let m = separable_map(x, &SeparableMap::plane_mean((2, 2))?)?;
/// assert_eq!(m.as_vec(), vec![3.0]);
/// # Ok::<(), plenoptic::Error>(())
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`] when `x`'s height and width are not the map's input size.
pub fn separable_map<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    map: &SeparableMap,
) -> Result<Image<E, T, D>> {
    let [_, _, h, w] = dims(&x);
    if (h, w) != map.input {
        return Err(Error::shape_mismatch(
            "image size (height, width) for the separable map",
            [map.input.0, map.input.1],
            [h, w],
        ));
    }
    D::separable_map(x, map)
}
