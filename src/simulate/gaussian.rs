//! plenoptic's `Gaussian` model: a (bank of) circular Gaussian blur(s).

use super::params::{channels, PerChannel};
use super::{Filters, Model};
use crate::device::Device;
use crate::error::Result;
use crate::tensor::{Float, Image, Tape};
use crate::tools::circular_gaussian2d;
use crate::tools::conv::{conv2d_same, Filter, PadMode};

/// Convolution with isotropic Gaussian kernels that each sum to 1, after `same_padding`.
/// Defaults as plenoptic: std 3, reflect padding, one output channel per std.
///
/// ```
/// use plenoptic as po;
/// let model = po::simulate::Gaussian::builder((31, 31)).std(3.0)
///     .pad_mode(po::PadMode::Circular).build()?;
/// assert_eq!(model.filter().shape(), [1, 1, 31, 31]);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Gaussian {
    kernel_size: (usize, usize),
    std: Vec<f64>,
    pad_mode: PadMode,
    filt: Filter,
}

/// Options for [`Gaussian`]; finish with [`GaussianBuilder::build`].
#[derive(Debug, Clone)]
pub struct GaussianBuilder {
    kernel_size: (usize, usize),
    std: PerChannel,
    pad_mode: PadMode,
    out_channels: Option<usize>,
}

impl GaussianBuilder {
    /// Standard deviation(s): one for all channels or one per channel (default 3).
    pub fn std(mut self, std: impl Into<PerChannel>) -> Self {
        self.std = std.into();
        self
    }
    /// Padding mode (default reflect, as plenoptic).
    pub fn pad_mode(mut self, mode: PadMode) -> Self {
        self.pad_mode = mode;
        self
    }
    /// Number of output channels (default: the number of stds).
    pub fn out_channels(mut self, n: usize) -> Self {
        self.out_channels = Some(n);
        self
    }
    /// Builds the model.
    ///
    /// # Errors
    /// Non-positive std or kernel size, or a std list whose length is not `out_channels`.
    pub fn build(self) -> Result<Gaussian> {
        let n = channels(self.out_channels, &[("std", &self.std)])?;
        let std = self.std.expand(n).expect("checked by channels");
        let filt = circular_gaussian2d(self.kernel_size, &std)?;
        Ok(Gaussian {
            kernel_size: self.kernel_size,
            std,
            pad_mode: self.pad_mode,
            filt,
        })
    }
}

impl Gaussian {
    /// Starts a builder for a model with kernels of `kernel_size` (height, width).
    pub fn builder(kernel_size: (usize, usize)) -> GaussianBuilder {
        GaussianBuilder {
            kernel_size,
            std: PerChannel::from(3.0),
            pad_mode: PadMode::Reflect,
            out_channels: None,
        }
    }
    /// A model with plenoptic's defaults (std 3, reflect padding).
    ///
    /// # Errors
    /// A zero kernel size.
    pub fn new(kernel_size: (usize, usize)) -> Result<Self> {
        Self::builder(kernel_size).build()
    }
    /// The filters, shape (out_channels, 1, kh, kw).
    pub fn filter(&self) -> &Filter {
        &self.filt
    }
    /// The standard deviations, one per output channel.
    pub fn std(&self) -> &[f64] {
        &self.std
    }
    /// The kernel size.
    pub fn kernel_size(&self) -> (usize, usize) {
        self.kernel_size
    }
    /// The padding mode.
    pub fn pad_mode(&self) -> PadMode {
        self.pad_mode
    }
}

impl Model for Gaussian {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        conv2d_same(x, &self.filt, self.pad_mode)
    }
}

impl Filters for Gaussian {
    fn filters(&self) -> Vec<(Filter, Vec<String>)> {
        let n = self.filt.out_channels();
        let titles = (0..n)
            .map(|i| {
                if n == 1 {
                    "gaussian filt".to_string()
                } else {
                    format!("gaussian filt {i}")
                }
            })
            .collect();
        vec![(self.filt.clone(), titles)]
    }
}
