//! [`EvcxrDisplay`]: the crate's values show themselves when they end an evcxr notebook cell.
//!
//! evcxr compiles a cell's final expression `x` as `(x).evcxr_display();` and falls back
//! to its debug text when that does not compile. Pictures ([`Figure`](super::Figure),
//! [`LossPlot`](super::LossPlot), [`Animation`](super::Animation), ...) have the method
//! themselves; this trait gives it to the values the crate computes, once it is in scope
//! (`use plenoptic::prelude::*;`):
//!
//! - an image, any 4-D CPU tensor (`po::Image`, f32 or f64, with or without a tape): the
//!   picture `po::imshow` draws;
//! - a `Metamer`: its status figure ([`plot_synthesis_status`](super::plot_synthesis_status)
//!   of the first batch image), or target and initial image before any synthesis;
//! - an `Eigendistortion`: its eigendistortions, titled by rank, or the image before
//!   synthesis;
//! - a loss vector (`metamer.losses()`, any `&[f64]` or `Vec<f64>`): its values as text,
//!   and a loss plot which notebook front-ends show instead (the text stays available to
//!   `text/plain` readers).

use super::evcxr::{evcxr_content, print};
use super::imshow::imshow;
use super::plot_loss::LossPlot;
use super::status::plot_synthesis_status;
use super::synthesis::display_eigendistortions;
use crate::error::Result;
use crate::simulate::Model;
use crate::synthesize::{Eigendistortion, Metamer};
use crate::tensor::{Float, Shape4};
use dfdx::prelude::{Cpu, Tensor};

/// A value that shows itself inline in an evcxr notebook when it ends a cell.
///
/// ```
/// use plenoptic as po;
/// use po::prelude::*;
/// let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
/// let text = img.evcxr_text()?; // what `img` ending a cell prints
/// assert!(text.starts_with("EVCXR_BEGIN_CONTENT image/png\n"));
/// # Ok::<(), po::Error>(())
/// ```
pub trait EvcxrDisplay {
    /// The complete text evcxr reads for this value (one or more
    /// `EVCXR_BEGIN_CONTENT <mime>` ... `EVCXR_END_CONTENT` blocks).
    ///
    /// # Errors
    /// The errors of drawing the picture.
    fn evcxr_text(&self) -> Result<String>;

    /// Prints [`EvcxrDisplay::evcxr_text`] on stdout, or the error on stderr (evcxr calls
    /// this for a cell's final value).
    fn evcxr_display(&self) {
        print(self.evcxr_text())
    }
}

impl<E: Float, T> EvcxrDisplay for Tensor<Shape4, E, Cpu, T> {
    fn evcxr_text(&self) -> Result<String> {
        imshow(self).build()?.to_evcxr()
    }
}

impl<M: Model> EvcxrDisplay for Metamer<M> {
    fn evcxr_text(&self) -> Result<String> {
        if self.losses().is_empty() {
            let b = |x| crate::tensor::select_batch(x, 0..1);
            let (target, init) = (b(self.image())?, b(self.metamer())?);
            return imshow([&target, &init])
                .title(["Target image", "Initial image (not synthesized yet)"])
                .build()?
                .to_evcxr();
        }
        plot_synthesis_status(self, 0)?.render()?.to_evcxr()
    }
}

impl<M: Model> EvcxrDisplay for Eigendistortion<M> {
    fn evcxr_text(&self) -> Result<String> {
        if !self.is_synthesized() {
            return imshow(self.image())
                .title("Image (eigendistortions not synthesized yet)")
                .build()?
                .to_evcxr();
        }
        display_eigendistortions(self).build()?.to_evcxr()
    }
}

impl EvcxrDisplay for [f64] {
    fn evcxr_text(&self) -> Result<String> {
        let text = evcxr_content("text/plain", &format!("{self:?}"));
        if !self.iter().any(|l| *l > 0.0 && l.is_finite()) {
            return Ok(text); // nothing a log axis can show
        }
        Ok(text + &LossPlot::new(self).to_evcxr()?)
    }
}

#[cfg(test)]
mod tests {
    use super::super::evcxr::base64;
    use super::*;

    fn mimes(text: &str) -> Vec<&str> {
        text.lines()
            .filter_map(|l| l.strip_prefix("EVCXR_BEGIN_CONTENT "))
            .collect()
    }

    #[test]
    fn an_image_shows_as_the_picture_imshow_draws() {
        let img = crate::data::white_noise::<f64>(&[1, 1, 16, 16]).unwrap();
        let text = img.evcxr_text().unwrap();
        let png = imshow(&img).build().unwrap().png().unwrap();
        assert_eq!(text, evcxr_content("image/png", &base64(&png)));
    }

    #[test]
    fn a_loss_vector_shows_text_and_a_plot() {
        let losses = vec![1.0, 0.5, 0.25];
        let text = losses.evcxr_text().unwrap();
        assert_eq!(mimes(&text), ["text/plain", "image/png"]);
        assert!(text.contains("[1.0, 0.5, 0.25]"));
        let png = LossPlot::new(&losses).png().unwrap();
        assert!(text.contains(&base64(&png)));
        // nothing positive: the text only
        assert_eq!(
            mimes(&[0.0, -1.0][..].evcxr_text().unwrap()),
            ["text/plain"]
        );
    }

    #[test]
    fn syntheses_show_their_state() {
        crate::synthesize::show_progress(false);
        let img = crate::data::white_noise::<f32>(&[1, 1, 16, 16]).unwrap();
        let model = crate::simulate::Gaussian::new((5, 5)).unwrap();
        let mut met = Metamer::new(img.clone(), model.clone()).unwrap();
        let before = met.evcxr_text().unwrap();
        met.synthesize(3).run().unwrap();
        let after = met.evcxr_text().unwrap();
        assert_ne!(before, after);
        let status = plot_synthesis_status(&met, 0)
            .unwrap()
            .render()
            .unwrap()
            .png()
            .unwrap();
        assert_eq!(after, evcxr_content("image/png", &base64(&status)));

        let mut eig = Eigendistortion::new(img, model).unwrap();
        let before = eig.evcxr_text().unwrap();
        eig.synthesize().max_iter(5).run().unwrap();
        let after = eig.evcxr_text().unwrap();
        assert_ne!(before, after);
        let dists = display_eigendistortions(&eig)
            .build()
            .unwrap()
            .png()
            .unwrap();
        assert_eq!(after, evcxr_content("image/png", &base64(&dists)));
    }
}
