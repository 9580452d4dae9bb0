//! Multi-scale models for coarse-to-fine synthesis: [`Scale`] names one part of a model's
//! representation, [`CoarseToFine`] is what `MetamerCTF` needs from a model (plenoptic's
//! `model.scales` and `model(x, scales=...)`).

use std::fmt;

use crate::device::Device;
use crate::error::Result;
use crate::simulate::Model;
use crate::tensor::{Float, Image, Tape};

/// One scale of a multi-scale representation, as an entry of plenoptic's `model.scales`:
/// a pyramid level (`Index(0)` is the finest) or a named group such as
/// `"pixel_statistics"`, `"residual_lowpass"` or `"residual_highpass"`.
///
/// ```
/// use plenoptic::simulate::Scale;
/// assert_eq!(Scale::Index(2).to_string(), "2");
/// assert_eq!(Scale::named("residual_lowpass").to_string(), "residual_lowpass");
/// // (widths and alignment apply, as for strings)
/// assert_eq!(format!("{:>5}|{:<3}|", Scale::named("all"), Scale::Index(2)), "  all|2  |");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scale {
    /// A pyramid level, 0 the finest.
    Index(usize),
    /// A named part of the representation.
    Named(String),
}

impl Scale {
    /// A named scale.
    pub fn named(name: &str) -> Self {
        Scale::Named(name.to_string())
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scale::Index(i) => f.pad(&i.to_string()),
            Scale::Named(s) => f.pad(s),
        }
    }
}

impl From<usize> for Scale {
    fn from(i: usize) -> Self {
        Scale::Index(i)
    }
}

impl From<&str> for Scale {
    fn from(s: &str) -> Self {
        Scale::named(s)
    }
}

/// A model whose representation splits into scales, synthesised coarse to fine by
/// `MetamerCTF` (plenoptic's models with a `scales` attribute and a `scales` argument to
/// `forward`, such as `PortillaSimoncelli`).
pub trait CoarseToFine: Model {
    /// The model's scales in the order coarse-to-fine synthesis visits them (plenoptic's
    /// `model.scales`).
    fn scales(&self) -> Vec<Scale>;

    /// The part of the representation of `x` that belongs to `scales` (plenoptic's
    /// `model(x, scales=scales)`), recorded on `x`'s tape; all of it when `scales` is empty.
    ///
    /// # Errors
    /// [`crate::Error`] for a scale the model does not have, and whatever
    /// [`Model::forward`] refuses.
    fn forward_scales<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
        scales: &[Scale],
    ) -> Result<Image<E, T, D>>;
}
