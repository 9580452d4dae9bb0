//! plenoptic's gain-control models: `LuminanceGainControl` and
//! `LuminanceContrastGainControl`.

use dfdx::prelude::WithEmptyTape;

use super::frontend;
use super::{CenterSurround, Filters, Model};
use crate::device::Device;
use crate::error::Result;
use crate::ops::gain::{gain, gain_halves, square, Gain};
use crate::ops::Activation;
use crate::tensor::{Float, Image, Tape};
use crate::tools::circular_gaussian2d;
use crate::tools::conv::{conv2d_same, Filter, PadMode};

/// Options shared by the two gain-control builders.
#[derive(Debug, Clone)]
struct Common {
    kernel_size: (usize, usize),
    on_center: bool,
    amplitude_ratio: Option<f64>,
    pad_mode: PadMode,
    pretrained: bool,
    activation: Activation,
}

impl Common {
    fn new(kernel_size: (usize, usize)) -> Self {
        Common {
            kernel_size,
            on_center: true,
            amplitude_ratio: None,
            pad_mode: PadMode::Reflect,
            pretrained: false,
            activation: Activation::Softplus,
        }
    }

    /// Checks the pretrained options; returns the amplitude ratio.
    fn amplitude_ratio(&self, name: &str) -> Result<f64> {
        if self.pretrained {
            frontend::check_pretrained(name, self.kernel_size)?;
        }
        frontend::amplitude_ratio(name, self.pretrained, self.amplitude_ratio)
    }

    /// The centre-surround filter.
    fn center_surround(&self, ratio: f64, center: f64, surround: f64) -> Result<Filter> {
        Ok(CenterSurround::builder(self.kernel_size)
            .on_center(vec![self.on_center])
            .amplitude_ratio(ratio)
            .center_std(center)
            .surround_std(surround)
            .build()?
            .filter()
            .clone())
    }
}

macro_rules! common_setters {
    () => {
        /// On-centre (default) or off-centre filter.
        pub fn on_center(mut self, on: bool) -> Self {
            self.common.on_center = on;
            self
        }
        /// Ratio of centre to surround amplitude, at least 1 (default 1.25).
        pub fn amplitude_ratio(mut self, r: f64) -> Self {
            self.common.amplitude_ratio = Some(r);
            self
        }
        /// Padding mode (default reflect).
        pub fn pad_mode(mut self, mode: PadMode) -> Self {
            self.common.pad_mode = mode;
            self
        }
        /// Use the parameters fitted by Berardino et al. 2017 (default false: standard
        /// deviations as plenoptic's defaults, gain scalars drawn uniformly in [0, 10) from
        /// the crate's seeded generator).
        pub fn pretrained(mut self, yes: bool) -> Self {
            self.common.pretrained = yes;
            self
        }
        /// The output nonlinearity (default softplus).
        pub fn activation(mut self, a: Activation) -> Self {
            self.common.activation = a;
            self
        }
    };
}

/// Luminance gain control (Berardino et al. 2017), as plenoptic's `LuminanceGainControl`:
/// `activation(center_surround(x) / (1 + luminance_scalar * luminance(x)))`, where
/// `luminance` is a Gaussian blur. Takes 1-channel images.
///
/// Defaults as plenoptic: on-centre, amplitude ratio 1.25, centre std 1, surround std 4,
/// luminance std 3, `luminance_scalar` uniform in [0, 10), reflect padding, softplus.
/// `pretrained(true)` uses the fitted values (centre 1.962, surround 4.235, luminance std
/// 4.235, scalar 14.95) and needs kernel size (31, 31).
///
/// ```
/// use plenoptic as po;
/// let model = po::simulate::LuminanceGainControl::builder((31, 31)).pretrained(true)
///     .pad_mode(po::PadMode::Circular).build()?;
/// assert_eq!(model.luminance_scalar(), 14.95f32 as f64);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LuminanceGainControl {
    common: Common,
    amplitude_ratio: f64,
    center_std: f64,
    surround_std: f64,
    luminance_std: f64,
    luminance_scalar: f64,
    center_surround: Filter,
    luminance: Filter,
    /// Both filters, computed from one transform of the input.
    both: Filter,
}

/// Options for [`LuminanceGainControl`]; finish with [`LuminanceGainControlBuilder::build`].
#[derive(Debug, Clone)]
pub struct LuminanceGainControlBuilder {
    common: Common,
}

impl LuminanceGainControlBuilder {
    common_setters!();

    /// Builds the model.
    ///
    /// # Errors
    /// `pretrained` with a kernel size other than (31, 31) or an amplitude ratio other
    /// than 1.25, a zero kernel size, or an amplitude ratio below 1.
    pub fn build(self) -> Result<LuminanceGainControl> {
        let c = self.common;
        let ratio = c.amplitude_ratio("LuminanceGainControl")?;
        let f = frontend::f32_value;
        let (center_std, surround_std, luminance_std, luminance_scalar) = if c.pretrained {
            (f(1.962), f(4.235), f(4.235), f(14.95))
        } else {
            (1.0, 4.0, 3.0, frontend::random_scalars(1)[0])
        };
        let center_surround = c.center_surround(ratio, center_std, surround_std)?;
        let luminance = circular_gaussian2d(c.kernel_size, &[luminance_std])?;
        let both = Filter::concat(&[&center_surround, &luminance])?;
        Ok(LuminanceGainControl {
            common: c,
            amplitude_ratio: ratio,
            center_std,
            surround_std,
            luminance_std,
            luminance_scalar,
            center_surround,
            luminance,
            both,
        })
    }
}

impl LuminanceGainControl {
    /// Starts a builder for a model with kernels of `kernel_size` (height, width).
    pub fn builder(kernel_size: (usize, usize)) -> LuminanceGainControlBuilder {
        LuminanceGainControlBuilder {
            common: Common::new(kernel_size),
        }
    }
    /// The centre-surround filter, shape (1, 1, kh, kw).
    pub fn center_surround_filter(&self) -> &Filter {
        &self.center_surround
    }
    /// The luminance Gaussian, shape (1, 1, kh, kw).
    pub fn luminance_filter(&self) -> &Filter {
        &self.luminance
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
    /// Standard deviation of the luminance Gaussian.
    pub fn luminance_std(&self) -> f64 {
        self.luminance_std
    }
    /// Weight of the luminance in the divisive normalisation.
    pub fn luminance_scalar(&self) -> f64 {
        self.luminance_scalar
    }
    /// The kernel size.
    pub fn kernel_size(&self) -> (usize, usize) {
        self.common.kernel_size
    }
    /// The padding mode.
    pub fn pad_mode(&self) -> PadMode {
        self.common.pad_mode
    }
    /// The output nonlinearity.
    pub fn activation(&self) -> Activation {
        self.common.activation
    }
}

impl Model for LuminanceGainControl {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        frontend::check_one_channel("LuminanceGainControl", &x)?;
        let y = conv2d_same(x, &self.both, self.common.pad_mode)?;
        gain_halves(
            y,
            Gain::Luminance,
            &[self.luminance_scalar],
            self.common.activation,
        )
    }
}

impl Filters for LuminanceGainControl {
    fn filters(&self) -> Vec<(Filter, Vec<String>)> {
        vec![
            (self.center_surround.clone(), vec!["linear filt".into()]),
            (self.luminance.clone(), vec!["luminance filt".into()]),
        ]
    }
}

/// Luminance and contrast gain control (Berardino et al. 2017), as plenoptic's
/// `LuminanceContrastGainControl`: with `l = center_surround(x) / (1 + luminance_scalar *
/// luminance(x))`, the output is `activation(l / (1 + contrast_scalar * (sqrt(contrast(l^2))
/// + 1e-6)))`, where `luminance` and `contrast` are Gaussian blurs. Takes 1-channel images.
///
/// Defaults as plenoptic: on-centre, amplitude ratio 1.25, centre std 1, surround std 4,
/// luminance and contrast std 3, both scalars uniform in [0, 10), reflect padding,
/// softplus. `pretrained(true)` uses the fitted values (centre 0.7363, surround 48.37,
/// luminance std 170.99, contrast std 2.658, scalars 2.94 and 34.03) and needs kernel size
/// (31, 31).
///
/// ```
/// use plenoptic as po;
/// let model = po::simulate::LuminanceContrastGainControl::builder((31, 31))
///     .pretrained(true).build()?;
/// assert_eq!(model.contrast_scalar(), 34.03f32 as f64);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LuminanceContrastGainControl {
    common: Common,
    amplitude_ratio: f64,
    center_std: f64,
    surround_std: f64,
    luminance_std: f64,
    contrast_std: f64,
    luminance_scalar: f64,
    contrast_scalar: f64,
    center_surround: Filter,
    luminance: Filter,
    contrast: Filter,
    both: Filter,
}

/// Options for [`LuminanceContrastGainControl`]; finish with
/// [`LuminanceContrastGainControlBuilder::build`].
#[derive(Debug, Clone)]
pub struct LuminanceContrastGainControlBuilder {
    common: Common,
}

impl LuminanceContrastGainControlBuilder {
    common_setters!();

    /// Builds the model.
    ///
    /// # Errors
    /// `pretrained` with a kernel size other than (31, 31) or an amplitude ratio other
    /// than 1.25, a zero kernel size, or an amplitude ratio below 1.
    pub fn build(self) -> Result<LuminanceContrastGainControl> {
        let c = self.common;
        let ratio = c.amplitude_ratio("LuminanceContrastGainControl")?;
        let f = frontend::f32_value;
        let (
            center_std,
            surround_std,
            luminance_std,
            contrast_std,
            luminance_scalar,
            contrast_scalar,
        ) = if c.pretrained {
            (f(0.7363), f(48.37), f(170.99), f(2.658), f(2.94), f(34.03))
        } else {
            let s = frontend::random_scalars(2);
            (1.0, 4.0, 3.0, 3.0, s[0], s[1])
        };
        let center_surround = c.center_surround(ratio, center_std, surround_std)?;
        let luminance = circular_gaussian2d(c.kernel_size, &[luminance_std])?;
        let contrast = circular_gaussian2d(c.kernel_size, &[contrast_std])?;
        let both = Filter::concat(&[&center_surround, &luminance])?;
        Ok(LuminanceContrastGainControl {
            common: c,
            amplitude_ratio: ratio,
            center_std,
            surround_std,
            luminance_std,
            contrast_std,
            luminance_scalar,
            contrast_scalar,
            center_surround,
            luminance,
            contrast,
            both,
        })
    }
}

impl LuminanceContrastGainControl {
    /// Starts a builder for a model with kernels of `kernel_size` (height, width).
    pub fn builder(kernel_size: (usize, usize)) -> LuminanceContrastGainControlBuilder {
        LuminanceContrastGainControlBuilder {
            common: Common::new(kernel_size),
        }
    }
    /// The centre-surround filter, shape (1, 1, kh, kw).
    pub fn center_surround_filter(&self) -> &Filter {
        &self.center_surround
    }
    /// The luminance Gaussian, shape (1, 1, kh, kw).
    pub fn luminance_filter(&self) -> &Filter {
        &self.luminance
    }
    /// The contrast Gaussian, shape (1, 1, kh, kw).
    pub fn contrast_filter(&self) -> &Filter {
        &self.contrast
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
    /// Standard deviation of the luminance Gaussian.
    pub fn luminance_std(&self) -> f64 {
        self.luminance_std
    }
    /// Standard deviation of the contrast Gaussian.
    pub fn contrast_std(&self) -> f64 {
        self.contrast_std
    }
    /// Weight of the luminance in the first normalisation.
    pub fn luminance_scalar(&self) -> f64 {
        self.luminance_scalar
    }
    /// Weight of the contrast in the second normalisation.
    pub fn contrast_scalar(&self) -> f64 {
        self.contrast_scalar
    }
    /// The kernel size.
    pub fn kernel_size(&self) -> (usize, usize) {
        self.common.kernel_size
    }
    /// The padding mode.
    pub fn pad_mode(&self) -> PadMode {
        self.common.pad_mode
    }
    /// The output nonlinearity.
    pub fn activation(&self) -> Activation {
        self.common.activation
    }
}

impl Model for LuminanceContrastGainControl {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        frontend::check_one_channel("LuminanceContrastGainControl", &x)?;
        let (act, mode) = (self.common.activation, self.common.pad_mode);
        let y = conv2d_same(x, &self.both, mode)?;
        let l = gain_halves(
            y,
            Gain::Luminance,
            &[self.luminance_scalar],
            Activation::Identity,
        )?;
        let con = conv2d_same(square(l.with_empty_tape())?, &self.contrast, mode)?;
        gain(l, con, Gain::Contrast, &[self.contrast_scalar], act)
    }
}

impl Filters for LuminanceContrastGainControl {
    fn filters(&self) -> Vec<(Filter, Vec<String>)> {
        vec![
            (self.center_surround.clone(), vec!["linear filt".into()]),
            (self.luminance.clone(), vec!["luminance filt".into()]),
            (self.contrast.clone(), vec!["contrast filt".into()]),
        ]
    }
}
