//! The representation error of a synthesis status drawn as the model draws its
//! representation (plenoptic's `model.plot_representation`): automatically as stem plots
//! for models with [`crate::simulate::Model::representation_groups`] (Portilla-Simoncelli),
//! or with any picture through [`PlotRepresentation`] and
//! [`SynthesisStatus::representation_plot`].

use super::picture::Picture;
use super::status::SynthesisStatus;
use super::stem::stem_groups;
use crate::error::Result;
use crate::simulate::{PortillaSimoncelli, RepresentationGroups};
use crate::tensor::Image;

/// Models that draw their own representation (as plenoptic's models with a
/// `plot_representation` method: Portilla-Simoncelli's statistic groups as stem plots).
///
/// ```
/// use plenoptic as po;
/// use po::display::{imshow, Picture, PlotRepresentation};
/// struct Channels;
/// impl PlotRepresentation for Channels {
///     fn plot_representation(&self, rep: &po::Image<f32>, title: &str, _: Option<(f64, f64)>) -> po::Result<Picture> {
///         imshow(rep).title(title).build()?.render()
///     }
/// }
/// let rep = po::data::white_noise::<f32>(&[1, 1, 8, 8])?;
/// assert!(Channels.plot_representation(&rep, "rep", None)?.width() > 8);
/// # Ok::<(), po::Error>(())
/// ```
pub trait PlotRepresentation {
    /// A picture of `rep` (a representation of this model, one image of the batch) titled
    /// `title`, with the value axis spanning `ylim` when given (else fitted to the data).
    ///
    /// # Errors
    /// A `rep` of another shape than this model's representation; drawing errors.
    fn plot_representation(
        &self,
        rep: &Image<f32>,
        title: &str,
        ylim: Option<(f64, f64)>,
    ) -> Result<Picture>;
}

impl SynthesisStatus {
    /// Draws the representation error of every frame with `model`'s own
    /// [`PlotRepresentation`], in place of the picture the status chose (an image, or the
    /// stem plots of the model's [`crate::simulate::Model::representation_groups`]). In an animation every frame's axis spans the first frame's
    /// largest absolute error, symmetric about 0 (plenoptic's `ylim=None` in `animate`).
    ///
    /// # Errors
    /// The model's drawing errors.
    pub fn representation_plot(mut self, model: &dyn PlotRepresentation) -> Result<Self> {
        let ylim = self.shared_ylim();
        for f in &mut self.frames {
            f.rep_panel =
                Some(model.plot_representation(&f.rep_error, "Representation error", ylim)?);
        }
        Ok(self)
    }

    /// In an animation, the first frame's largest absolute error, symmetric about 0.
    fn shared_ylim(&self) -> Option<(f64, f64)> {
        if self.frames.len() < 2 {
            return None;
        }
        let m = self.frames[0]
            .rep_error
            .as_vec()
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs() as f64));
        Some((-m.max(1e-12), m.max(1e-12)))
    }

    /// Draws each frame's representation error as the stem plots of its groups
    /// ([`crate::simulate::Model::representation_groups`], one entry per frame); frames
    /// without groups keep the image.
    pub(super) fn groups_plot(
        mut self,
        groups: Vec<Option<Result<RepresentationGroups>>>,
    ) -> Result<Self> {
        let ylim = self.shared_ylim();
        for (f, g) in self.frames.iter_mut().zip(groups) {
            if let Some(g) = g {
                f.rep_panel = Some(stem_groups(&g?, ylim)?);
            }
        }
        Ok(self)
    }
}

impl PlotRepresentation for PortillaSimoncelli {
    /// [`super::plot_representation`] (plenoptic's stem plots of the statistic groups) of
    /// the first image of the batch; the groups carry their own titles, so `title` is not
    /// drawn.
    fn plot_representation(
        &self,
        rep: &Image<f32>,
        _title: &str,
        ylim: Option<(f64, f64)>,
    ) -> Result<Picture> {
        super::plot_representation(self, rep, 0, ylim)
    }
}
