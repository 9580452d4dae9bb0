//! plenoptic's `CenterSurround` model: a difference of Gaussians.

use super::params::{channels, PerChannel};
use super::{Filters, Model};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::tensor::{Float, Image, Tape};
use crate::tools::circular_gaussian2d;
use crate::tools::conv::{conv2d_same, Filter, PadMode};

/// Difference-of-Gaussians filter model, on- or off-centre per channel:
/// `filter = amplitude_ratio * sign * (G_center - G_surround)` where each Gaussian sums to 1
/// inside the window and `sign` is +1 for on-centre channels (as plenoptic 1.3.0 computes it).
/// Defaults as plenoptic: on-centre, amplitude ratio 1.25, centre std 1, surround std 4,
/// reflect padding.
///
/// ```
/// use plenoptic as po;
/// let cs = po::simulate::CenterSurround::builder((31, 31))
///     .center_std(1.962).surround_std(4.235).pad_mode(po::PadMode::Circular).build()?;
/// assert_eq!(cs.filter().shape(), [1, 1, 31, 31]);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CenterSurround {
    kernel_size: (usize, usize),
    pad_mode: PadMode,
    filt: Filter,
}

/// Options for [`CenterSurround`]; finish with [`CenterSurroundBuilder::build`].
#[derive(Debug, Clone)]
pub struct CenterSurroundBuilder {
    kernel_size: (usize, usize),
    on_center: Vec<bool>,
    amplitude_ratio: f64,
    center_std: PerChannel,
    surround_std: PerChannel,
    out_channels: Option<usize>,
    pad_mode: PadMode,
}

impl CenterSurroundBuilder {
    /// On-centre (true) or off-centre, for all channels or one per channel.
    pub fn on_center(mut self, on: impl Into<Vec<bool>>) -> Self {
        self.on_center = on.into();
        self
    }
    /// Ratio of centre to surround amplitude, at least 1 (default 1.25).
    pub fn amplitude_ratio(mut self, r: f64) -> Self {
        self.amplitude_ratio = r;
        self
    }
    /// Centre standard deviation(s) (default 1).
    pub fn center_std(mut self, s: impl Into<PerChannel>) -> Self {
        self.center_std = s.into();
        self
    }
    /// Surround standard deviation(s) (default 4).
    pub fn surround_std(mut self, s: impl Into<PerChannel>) -> Self {
        self.surround_std = s.into();
        self
    }
    /// Number of output channels (default: inferred from the other options).
    pub fn out_channels(mut self, n: usize) -> Self {
        self.out_channels = Some(n);
        self
    }
    /// Padding mode (default reflect).
    pub fn pad_mode(mut self, mode: PadMode) -> Self {
        self.pad_mode = mode;
        self
    }
    /// Builds the model.
    ///
    /// # Errors
    /// Non-positive stds or kernel size, `amplitude_ratio < 1`, or per-channel lists whose
    /// lengths disagree.
    pub fn build(self) -> Result<CenterSurround> {
        if !(self.amplitude_ratio >= 1.0 && self.amplitude_ratio.is_finite()) {
            return Err(Error::invalid(
                "amplitude_ratio",
                format!("{} must be at least 1", self.amplitude_ratio),
            ));
        }
        let explicit = match (self.out_channels, self.on_center.len()) {
            (None, k) if k > 1 => Some(k),
            (o, _) => o,
        };
        let n = channels(
            explicit,
            &[
                ("center_std", &self.center_std),
                ("surround_std", &self.surround_std),
            ],
        )?;
        let on: Vec<bool> = match self.on_center.len() {
            1 => vec![self.on_center[0]; n],
            k if k == n => self.on_center.clone(),
            k => {
                return Err(Error::invalid(
                    "on_center",
                    format!("has {k} values but there are {n} output channels"),
                ))
            }
        };
        for (name, stds) in [
            ("center_std", &self.center_std),
            ("surround_std", &self.surround_std),
        ] {
            if let Some(s) = stds.0.iter().find(|s| !(**s > 0.0 && s.is_finite())) {
                return Err(Error::invalid(name, format!("{s} must be positive")));
            }
        }
        let center = circular_gaussian2d(
            self.kernel_size,
            &self.center_std.expand(n).expect("checked"),
        )?;
        let surround = circular_gaussian2d(
            self.kernel_size,
            &self.surround_std.expand(n).expect("checked"),
        )?;
        let plane = self.kernel_size.0 * self.kernel_size.1;
        let w: Vec<f64> = center
            .weights()
            .iter()
            .zip(surround.weights())
            .enumerate()
            .map(|(i, (c, s))| {
                let sign = if on[i / plane] { 1.0 } else { -1.0 };
                self.amplitude_ratio * (sign * (c - s))
            })
            .collect();
        Ok(CenterSurround {
            kernel_size: self.kernel_size,
            pad_mode: self.pad_mode,
            filt: Filter::new(w, center.shape())?,
        })
    }
}

impl CenterSurround {
    /// Starts a builder for a model with kernels of `kernel_size` (height, width).
    pub fn builder(kernel_size: (usize, usize)) -> CenterSurroundBuilder {
        CenterSurroundBuilder {
            kernel_size,
            on_center: vec![true],
            amplitude_ratio: 1.25,
            center_std: PerChannel::from(1.0),
            surround_std: PerChannel::from(4.0),
            out_channels: None,
            pad_mode: PadMode::Reflect,
        }
    }
    /// The filters, shape (out_channels, 1, kh, kw).
    pub fn filter(&self) -> &Filter {
        &self.filt
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

impl Model for CenterSurround {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        conv2d_same(x, &self.filt, self.pad_mode)
    }
}

impl Filters for CenterSurround {
    fn filters(&self) -> Vec<(Filter, Vec<String>)> {
        let n = self.filt.out_channels();
        let titles = (0..n)
            .map(|i| {
                if n == 1 {
                    "linear filt".to_string()
                } else {
                    format!("linear filt {i}")
                }
            })
            .collect();
        vec![(self.filt.clone(), titles)]
    }
}
