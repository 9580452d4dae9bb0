//! plenoptic's `OnOff` model: on- and off-centre channels with luminance and contrast gain
//! control.

use std::sync::{Arc, Mutex};

use dfdx::prelude::WithEmptyTape;

use super::frontend;
use super::{CenterSurround, Filters, Model};
use crate::device::Device;
use crate::error::Result;
use crate::ops::gain::{gain, gain_halves, square, Gain};
use crate::ops::{mask, Activation};
use crate::tensor::{dims, Float, Image, Tape};
use crate::tools::conv::{conv2d_same, Filter, PadMode};
use crate::tools::{circular_gaussian2d, disk_plane};

/// A disk mask cached for one image size.
type DiskCache = Arc<Mutex<Option<((usize, usize), Arc<Vec<f64>>)>>>;

/// On/off-centre model with luminance and contrast gain control (Berardino et al. 2017),
/// as plenoptic's `OnOff`: two channels, an on-centre and an off-centre one, each
/// `activation(l / (1 + contrast_scalar * (sqrt(contrast(l^2)) + 1e-6)))` with
/// `l = center_surround(x) / (1 + luminance_scalar * luminance(x))`, every filter and
/// scalar per channel (the contrast blur is a grouped convolution: each channel blurs its
/// own `l^2`). With `apply_mask(true)` the output is multiplied by
/// [`make_disk`](crate::tools::make_disk) of the image size. Takes 1-channel images;
/// output (batch, 2, h, w).
///
/// Defaults as plenoptic: amplitude ratio 1.25, centre std 1, surround std 4, luminance
/// and contrast std 3, scalars uniform in [0, 10), reflect padding, softplus, no mask.
/// `pretrained(true)` uses the fitted values and needs kernel size (31, 31).
///
/// ```
/// use plenoptic as po;
/// let model = po::simulate::OnOff::builder((31, 31)).pretrained(true).build()?;
/// let rep = po::Model::apply(&model, &po::data::white_noise::<f32>(&[1, 1, 64, 64])?)?;
/// assert_eq!(po::dims(&rep), [1, 2, 64, 64]);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OnOff {
    kernel_size: (usize, usize),
    pad_mode: PadMode,
    activation: Activation,
    apply_mask: bool,
    amplitude_ratio: f64,
    center_std: [f64; 2],
    surround_std: [f64; 2],
    luminance_std: [f64; 2],
    contrast_std: [f64; 2],
    luminance_scalar: [f64; 2],
    contrast_scalar: [f64; 2],
    center_surround: Filter,
    luminance: Filter,
    contrast: Filter,
    /// centre-surround and luminance filters, computed from one transform of the input
    first: Filter,
    disk: DiskCache,
}

/// Options for [`OnOff`]; finish with [`OnOffBuilder::build`].
#[derive(Debug, Clone)]
pub struct OnOffBuilder {
    kernel_size: (usize, usize),
    amplitude_ratio: Option<f64>,
    pad_mode: PadMode,
    pretrained: bool,
    activation: Activation,
    apply_mask: bool,
}

impl OnOffBuilder {
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
    /// Use the parameters fitted by Berardino et al. 2017 (default false: standard
    /// deviations as plenoptic's defaults, gain scalars drawn uniformly in [0, 10) from
    /// the crate's seeded generator).
    pub fn pretrained(mut self, yes: bool) -> Self {
        self.pretrained = yes;
        self
    }
    /// The output nonlinearity (default softplus).
    pub fn activation(mut self, a: Activation) -> Self {
        self.activation = a;
        self
    }
    /// Multiply the output by a soft-edged disk (default false).
    pub fn apply_mask(mut self, yes: bool) -> Self {
        self.apply_mask = yes;
        self
    }
    /// Builds the model.
    ///
    /// # Errors
    /// `pretrained` with a kernel size other than (31, 31) or an amplitude ratio other
    /// than 1.25, a zero kernel size, or an amplitude ratio below 1.
    pub fn build(self) -> Result<OnOff> {
        const NAME: &str = "OnOff";
        if self.pretrained {
            frontend::check_pretrained(NAME, self.kernel_size)?;
        }
        let ratio = frontend::amplitude_ratio(NAME, self.pretrained, self.amplitude_ratio)?;
        let f = |a: f32, b: f32| [frontend::f32_value(a), frontend::f32_value(b)];
        let (
            center_std,
            surround_std,
            luminance_std,
            contrast_std,
            luminance_scalar,
            contrast_scalar,
        ) = if self.pretrained {
            (
                f(1.237, 0.3233),
                f(30.12, 2.184),
                f(76.4, 2.184),
                f(7.49, 2.43),
                f(3.2637, 14.3961),
                f(7.3405, 16.7423),
            )
        } else {
            let l = frontend::random_scalars(2);
            let c = frontend::random_scalars(2);
            (
                [1.0; 2],
                [4.0; 2],
                [3.0; 2],
                [3.0; 2],
                [l[0], l[1]],
                [c[0], c[1]],
            )
        };
        let center_surround = CenterSurround::builder(self.kernel_size)
            .on_center(vec![true, false])
            .amplitude_ratio(ratio)
            .center_std(center_std)
            .surround_std(surround_std)
            .build()?
            .filter()
            .clone();
        let luminance = circular_gaussian2d(self.kernel_size, &luminance_std)?;
        let contrast = circular_gaussian2d(self.kernel_size, &contrast_std)?;
        let first = Filter::concat(&[&center_surround, &luminance])?;
        Ok(OnOff {
            kernel_size: self.kernel_size,
            pad_mode: self.pad_mode,
            activation: self.activation,
            apply_mask: self.apply_mask,
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
            first,
            disk: Default::default(),
        })
    }
}

impl OnOff {
    /// Starts a builder for a model with kernels of `kernel_size` (height, width).
    pub fn builder(kernel_size: (usize, usize)) -> OnOffBuilder {
        OnOffBuilder {
            kernel_size,
            amplitude_ratio: None,
            pad_mode: PadMode::Reflect,
            pretrained: false,
            activation: Activation::Softplus,
            apply_mask: false,
        }
    }
    /// The centre-surround filters (on, off), shape (2, 1, kh, kw).
    pub fn center_surround_filter(&self) -> &Filter {
        &self.center_surround
    }
    /// The luminance Gaussians (on, off), shape (2, 1, kh, kw).
    pub fn luminance_filter(&self) -> &Filter {
        &self.luminance
    }
    /// The contrast Gaussians (on, off), shape (2, 1, kh, kw).
    pub fn contrast_filter(&self) -> &Filter {
        &self.contrast
    }
    /// Standard deviations of the centre Gaussians (on, off).
    pub fn center_std(&self) -> [f64; 2] {
        self.center_std
    }
    /// Standard deviations of the surround Gaussians (on, off).
    pub fn surround_std(&self) -> [f64; 2] {
        self.surround_std
    }
    /// Ratio of centre to surround amplitude.
    pub fn amplitude_ratio(&self) -> f64 {
        self.amplitude_ratio
    }
    /// Standard deviations of the luminance Gaussians (on, off).
    pub fn luminance_std(&self) -> [f64; 2] {
        self.luminance_std
    }
    /// Standard deviations of the contrast Gaussians (on, off).
    pub fn contrast_std(&self) -> [f64; 2] {
        self.contrast_std
    }
    /// Weights of the luminance in the first normalisation (on, off).
    pub fn luminance_scalar(&self) -> [f64; 2] {
        self.luminance_scalar
    }
    /// Weights of the contrast in the second normalisation (on, off).
    pub fn contrast_scalar(&self) -> [f64; 2] {
        self.contrast_scalar
    }
    /// Whether the output is masked by a disk.
    pub fn apply_mask(&self) -> bool {
        self.apply_mask
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

    /// The disk mask for `size`, computed once per size.
    fn disk(&self, size: (usize, usize)) -> Result<Arc<Vec<f64>>> {
        let mut cache = self.disk.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((s, d)) = cache.as_ref() {
            if *s == size {
                return Ok(d.clone());
            }
        }
        let d = Arc::new(disk_plane(size, None, None)?);
        *cache = Some((size, d.clone()));
        Ok(d)
    }
}

impl Model for OnOff {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        frontend::check_one_channel("OnOff", &x)?;
        let [_, _, h, w] = dims(&x);
        let (act, mode) = (self.activation, self.pad_mode);
        // channels: centre-surround on, off, luminance on, off
        let y = conv2d_same(x, &self.first, mode)?;
        let l = gain_halves(
            y,
            Gain::Luminance,
            &self.luminance_scalar,
            Activation::Identity,
        )?;
        let con = conv2d_same(square(l.with_empty_tape())?, &self.contrast, mode)?;
        let out = gain(l, con, Gain::Contrast, &self.contrast_scalar, act)?;
        if self.apply_mask {
            mask(out, &self.disk((h, w))?)
        } else {
            Ok(out)
        }
    }
}

impl Filters for OnOff {
    fn filters(&self) -> Vec<(Filter, Vec<String>)> {
        let on_off = Some(&["on", "off"][..]);
        vec![
            (
                self.center_surround.clone(),
                frontend::titles("linear filt", 2, on_off),
            ),
            (
                self.luminance.clone(),
                frontend::titles("luminance filt", 2, on_off),
            ),
            (
                self.contrast.clone(),
                frontend::titles("contrast filt", 2, on_off),
            ),
        ]
    }
}
