//! The [`Model`] trait: what synthesis needs from a model.

use crate::device::{Cpu, Device};
use crate::error::Result;
use crate::tensor::{Float, Image, Tape};

/// An image model: maps a 4-D image (batch, channel, height, width) to a 4-D
/// representation. Models are fixed functions (nothing is learned during synthesis), and
/// must be differentiable: build `forward` from the crate's ops (`same_padding`, `conv2d`,
/// `map`, `map2`, ...) or from dfdx operations, and it works with any tape and in f32 and f64.
///
/// The tutorial's Gaussian model, written in a notebook:
/// ```
/// use plenoptic as po;
/// use po::tools::{conv::{conv2d, same_padding, PadMode}, circular_gaussian2d, Filter};
/// use po::Model; // brings `apply` into scope
///
/// struct Gaussian {
///     filt: Filter,
/// }
///
/// impl po::Model for Gaussian {
///     fn forward<E: po::Float, D: po::Device<E>, T: po::Tape<E, D>>(&self, x: po::Image<E, T, D>) -> po::Result<po::Image<E, T, D>> {
///         let x = same_padding(x, self.filt.kernel_size(), PadMode::Circular)?;
///         conv2d(x, &self.filt)
///     }
/// }
///
/// let model = Gaussian { filt: circular_gaussian2d((31, 31), &[3.0])? };
/// let img = po::data::white_noise::<f32>(&[1, 1, 64, 64])?;
/// let rep = model.apply(&img)?;
/// assert_eq!(po::dims(&rep), [1, 1, 64, 64]);
/// # Ok::<(), po::Error>(())
/// ```
pub trait Model {
    /// The model's representation of `x`, recorded on `x`'s tape.
    ///
    /// # Errors
    /// Whatever the model's operations refuse (wrong shapes, ...).
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>>;

    /// The representation of `x` without recording gradients (plenoptic's `model(x)`).
    ///
    /// # Errors
    /// As [`Model::forward`].
    fn apply<E: Float>(&self, x: &Image<E>) -> Result<Image<E>>
    where
        Cpu: Device<E>,
    {
        self.forward(x.clone())
    }

    /// The groups in which status figures draw a representation of this model (plenoptic's
    /// `_representation_for_plotting`, used when a model has `plot_representation`): one
    /// stem plot per group. `None` (the default): the figures show the representation as
    /// an image. [`crate::simulate::PortillaSimoncelli`] returns its statistic groups.
    ///
    /// ```
    /// use plenoptic as po;
    /// use po::Model;
    /// let img = po::data::white_noise::<f32>(&[1, 1, 32, 32])?;
    /// let ps = po::simulate::PortillaSimoncelli::builder((32, 32))
    ///     .n_scales(2)
    ///     .spatial_corr_width(5)
    ///     .build()?;
    /// let groups = ps.representation_groups(&ps.apply(&img)?).unwrap()?;
    /// assert_eq!(groups.groups[0].0, "pixels+var_highpass");
    /// assert!(po::simulate::Gaussian::new((5, 5))?.representation_groups(&img).is_none());
    /// # Ok::<(), po::Error>(())
    /// ```
    ///
    /// # Errors
    /// Inside the `Some`: a `rep` that is not this model's representation.
    fn representation_groups(&self, rep: &Image<f32>) -> Option<Result<RepresentationGroups>> {
        let _ = rep;
        None
    }
}

/// A representation as named groups of values for stem plots (one panel per group),
/// laid out in `rows` rows: what [`Model::representation_groups`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct RepresentationGroups {
    /// (title, values) per group, in drawing order.
    pub groups: Vec<(String, Vec<f64>)>,
    /// Rows of panels.
    pub rows: usize,
}

impl<M: Model> Model for &M {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        (**self).forward(x)
    }

    fn representation_groups(&self, rep: &Image<f32>) -> Option<Result<RepresentationGroups>> {
        (**self).representation_groups(rep)
    }
}

/// Models with linear filters worth looking at (plenoptic's `display_filters` shows them).
pub trait Filters {
    /// The model's filter banks, each with a title per output channel, in plenoptic's
    /// `display_filters` order.
    fn filters(&self) -> Vec<(crate::tools::Filter, Vec<String>)>;
}
