//! plenoptic's `LinearNonlinear` model: a centre-surround filter and a nonlinearity.

use super::frontend;
use super::{CenterSurround, Filters, Model};
use crate::device::Device;
use crate::error::Result;
use crate::ops::gain::activate;
use crate::ops::Activation;
use crate::tensor::{Float, Image, Tape};
use crate::tools::conv::{conv2d_same, Filter, PadMode};

/// Linear-nonlinear model (Berardino et al. 2017): a difference-of-Gaussians filter
/// followed by an activation, `activation(center_surround(x))`, as plenoptic's
/// `LinearNonlinear`. Takes 1-channel images.
///
/// Defaults as plenoptic: on-centre, amplitude ratio 1.25, centre std 1, surround std 4,
/// reflect padding, softplus. `pretrained(true)` uses the fitted values (centre std
/// 0.5339, surround std 6.148) and needs kernel size (31, 31).
///
/// ```
/// use plenoptic as po;
/// let model = po::simulate::LinearNonlinear::builder((31, 31)).pretrained(true)
///     .pad_mode(po::PadMode::Circular).build()?;
/// let rep = po::Model::apply(&model, &po::data::white_noise::<f32>(&[1, 1, 64, 64])?)?;
/// assert_eq!(po::dims(&rep), [1, 1, 64, 64]);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LinearNonlinear {
    kernel_size: (usize, usize),
    pad_mode: PadMode,
    activation: Activation,
    center_std: f64,
    surround_std: f64,
    amplitude_ratio: f64,
    center_surround: Filter,
}

/// Options for [`LinearNonlinear`]; finish with [`LinearNonlinearBuilder::build`].
#[derive(Debug, Clone)]
pub struct LinearNonlinearBuilder {
    kernel_size: (usize, usize),
    on_center: bool,
    amplitude_ratio: Option<f64>,
    pad_mode: PadMode,
    pretrained: bool,
    activation: Activation,
}

impl LinearNonlinearBuilder {
    /// On-centre (default) or off-centre filter.
    pub fn on_center(mut self, on: bool) -> Self {
        self.on_center = on;
        self
    }
    /// Ratio of centre to surround amplitude, at least 1 (default 1.25).
    pub fn amplitude_ratio(mut self, r: f64) -> Self {
        self.amplitude_ratio = Some(r);
        self
    }
    /// Padding mode (default reflect).
    pub fn pad_mode(mut self, mode: PadMode) -> Self {
        self.pad_mode = mode;
        self
    }
    /// Use the parameters fitted by Berardino et al. 2017 (default false).
    pub fn pretrained(mut self, yes: bool) -> Self {
        self.pretrained = yes;
        self
    }
    /// The output nonlinearity (default softplus).
    pub fn activation(mut self, a: Activation) -> Self {
        self.activation = a;
        self
    }
    /// Builds the model.
    ///
    /// # Errors
    /// `pretrained` with a kernel size other than (31, 31) or an amplitude ratio other
    /// than 1.25, a zero kernel size, or an amplitude ratio below 1.
    pub fn build(self) -> Result<LinearNonlinear> {
        const NAME: &str = "LinearNonlinear";
        if self.pretrained {
            frontend::check_pretrained(NAME, self.kernel_size)?;
        }
        let amplitude_ratio =
            frontend::amplitude_ratio(NAME, self.pretrained, self.amplitude_ratio)?;
        let (center_std, surround_std) = if self.pretrained {
            (frontend::f32_value(0.5339), frontend::f32_value(6.148))
        } else {
            (1.0, 4.0)
        };
        let cs = CenterSurround::builder(self.kernel_size)
            .on_center(vec![self.on_center])
            .amplitude_ratio(amplitude_ratio)
            .center_std(center_std)
            .surround_std(surround_std)
            .pad_mode(self.pad_mode)
            .build()?;
        Ok(LinearNonlinear {
            kernel_size: self.kernel_size,
            pad_mode: self.pad_mode,
            activation: self.activation,
            center_std,
            surround_std,
            amplitude_ratio,
            center_surround: cs.filter().clone(),
        })
    }
}

impl LinearNonlinear {
    /// Starts a builder for a model with kernels of `kernel_size` (height, width).
    pub fn builder(kernel_size: (usize, usize)) -> LinearNonlinearBuilder {
        LinearNonlinearBuilder {
            kernel_size,
            on_center: true,
            amplitude_ratio: None,
            pad_mode: PadMode::Reflect,
            pretrained: false,
            activation: Activation::Softplus,
        }
    }
    /// The centre-surround filter, shape (1, 1, kh, kw).
    pub fn center_surround_filter(&self) -> &Filter {
        &self.center_surround
    }
    /// Standard deviation of the centre Gaussian.
    pub fn center_std(&self) -> f64 {
        self.center_std
    }
    /// Standard deviation of the surround Gaussian.
    pub fn surround_std(&self) -> f64 {
        self.surround_std
    }
    /// Ratio of centre to surround amplitude.
    pub fn amplitude_ratio(&self) -> f64 {
        self.amplitude_ratio
    }
    /// The kernel size.
    pub fn kernel_size(&self) -> (usize, usize) {
        self.kernel_size
    }
    /// The padding mode.
    pub fn pad_mode(&self) -> PadMode {
        self.pad_mode
    }
    /// The output nonlinearity.
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

impl Model for LinearNonlinear {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        frontend::check_one_channel("LinearNonlinear", &x)?;
        let y = conv2d_same(x, &self.center_surround, self.pad_mode)?;
        activate(y, self.activation)
    }
}

impl Filters for LinearNonlinear {
    fn filters(&self) -> Vec<(Filter, Vec<String>)> {
        vec![(self.center_surround.clone(), vec!["linear filter".into()])]
    }
}
