//! Eigendistortions: the image distortions a model is most and least sensitive to, the
//! extreme eigenvectors of its Fisher information matrix `J^T J` at an image.
//!
//! [`Eigendistortion<M>`] owns the model; everything that computes (the checks, the
//! linearization, the power method, LOBPCG, the exact decomposition, loading) takes it as
//! `&dyn ErasedModelF64`, so it is compiled once, in the crate, not once per model type.

mod methods;
mod persist;
mod rsvd;

pub use methods::EigSynthesize;
pub use rsvd::RsvdDraws;

use super::autodiff::check_model_f64;
use super::ErasedModelF64;
use crate::error::{Error, Result};
use crate::simulate::Model;
use crate::tensor::{cast, check_image, dims, Image};

/// Largest number of pixels (batch 1, all channels) for [`Method::Exact`]: it builds the
/// full `n x n` matrix `J^T J` and decomposes it, O(n^3) work.
pub const EXACT_MAX_PIXELS: usize = 4096;

/// How [`Eigendistortion`] finds eigenvectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// plenoptic's default: power iteration for the top `k`, then power iteration on the
    /// matrix shifted by the top eigenvalue for the bottom `k`. Converges slowly at the
    /// bottom (plenoptic's Gaussian gives 9.7e-4 where the truth is ~1e-24).
    #[default]
    Power,
    /// The full Jacobian and a dense eigendecomposition: every eigenpair, exact, for
    /// images of at most [`EXACT_MAX_PIXELS`] pixels.
    Exact,
    /// LOBPCG (locally optimal block conjugate gradient) for the top `k`, then for the
    /// bottom `k`: converges like the Lanczos method (far faster than the power method,
    /// most of all at the bottom end, where it reaches eigenvalues ~1e-8 of the top one
    /// in a few hundred iterations), with one product per vector and iteration and
    /// memory for about a dozen image-sized vectors per wanted eigendistortion.
    Lobpcg,
    /// plenoptic's `randomized_svd`: the top `k` only, from `k + p` random vectors
    /// (oversampling `p`, default 5) sharpened by `q` power steps (default 2), with
    /// plenoptic's estimate of the approximation error
    /// ([`Eigendistortion::approximation_error`]). Random: results vary with the draws
    /// by a few percent (see [`EigSynthesize::draws`] to replay given draws).
    RandomizedSvd,
}

/// Computes eigendistortions of a model at an image, as plenoptic's `Eigendistortion`:
/// the eigenvectors of the Fisher information matrix `J^T J` (`J` the Jacobian of the
/// model's output with respect to the image) with the largest and smallest eigenvalues.
/// Computations run in f64.
///
/// ```
/// use plenoptic as po;
/// use po::synthesize::{Eigendistortion, Method};
/// let img = po::data::white_noise::<f32>(&[1, 1, 16, 16])?;
/// let model = po::simulate::Gaussian::builder((5, 5)).pad_mode(po::PadMode::Circular).build()?;
/// let mut eig = Eigendistortion::new(img, model)?;
/// eig.synthesize().method(Method::Lobpcg).k(2).progress(false).run()?;
/// assert_eq!(po::dims(eig.eigendistortions()?), [4, 1, 16, 16]);
/// assert_eq!(eig.eigenindex()?, &[0, 1, 254, 255]);
/// assert!(eig.eigenvalues()?[0] > eig.eigenvalues()?[3]);
/// # Ok::<(), po::Error>(())
/// ```
pub struct Eigendistortion<M: Model> {
    image: Image<f32>,
    model: M,
    image64: Image<f64>,
    representation: Image<f64>,
    /// `None` until `synthesize` (or a load of a synthesized file).
    result: Option<Eigenpairs>,
}

/// Checks `image` (a batch of one) and `model` at it: the image in f64 and the model's
/// representation of it, as [`Eigendistortion::new`] keeps them.
fn checked(image: &Image<f32>, model: &dyn ErasedModelF64) -> Result<(Image<f64>, Image<f64>)> {
    check_image(image, "image")?;
    let [b, c, h, w] = dims(image);
    if b != 1 {
        return Err(Error::invalid(
            "image",
            format!("eigendistortions need a batch of one image (batch dimension must be 1), got shape {:?}", [b, c, h, w]),
        ));
    }
    let image64: Image<f64> = cast(image);
    let representation = check_model_f64(model, &image64)?;
    Ok((image64, representation))
}

/// What synthesis computes.
#[derive(Debug, Clone)]
struct Eigenpairs {
    eigendistortions: Image<f32>,
    eigenvalues: Vec<f64>,
    eigenindex: Vec<usize>,
    iterations: Vec<usize>,
    /// `RandomizedSvd`'s error estimate (not saved).
    error: Option<f64>,
}

impl Eigenpairs {
    /// See [`Eigendistortion::eigendistortion`]; `image_dims` are the image's.
    fn pick(&self, image_dims: [usize; 4], index: isize) -> Result<Image<f32>> {
        let [_, c, h, w] = image_dims;
        let n = (c * h * w) as isize;
        let i = if index < 0 { n + index } else { index };
        let pos = (i >= 0)
            .then(|| self.eigenindex.iter().position(|e| *e as isize == i))
            .flatten()
            .ok_or_else(|| {
                Error::invalid(
                    "index",
                    format!(
                        "eigendistortion {index} was not computed (computed: {:?})",
                        self.eigenindex
                    ),
                )
            })?;
        crate::tensor::select_batch(&self.eigendistortions, pos..pos + 1)
    }
}

impl<M: Model> std::fmt::Debug for Eigendistortion<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.result.as_ref();
        f.debug_struct("Eigendistortion")
            .field("image_shape", &dims(&self.image))
            .field("eigenvalues", &r.map(|r| &r.eigenvalues))
            .field("eigenindex", &r.map(|r| &r.eigenindex))
            .finish()
    }
}

impl<M: Model> Eigendistortion<M> {
    /// Eigendistortions of `model` at `image` (a batch of one image, any channels).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the batch is not 1; [`Error::NonFinite`] or
    /// [`Error::Empty`] for a bad image; [`Error::InvalidModel`] (or the model's own
    /// error) when the model cannot be used.
    pub fn new(image: Image<f32>, model: M) -> Result<Self> {
        let (image64, representation) = checked(&image, &model)?;
        Ok(Eigendistortion {
            image,
            model,
            image64,
            representation,
            result: None,
        })
    }

    /// The image.
    pub fn image(&self) -> &Image<f32> {
        &self.image
    }
    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }
    /// The model's representation of the image (f64).
    pub fn representation(&self) -> &Image<f64> {
        &self.representation
    }
    /// What synthesis computed, or [`Error::NotSynthesized`] naming `what`.
    fn result(&self, what: &'static str) -> Result<&Eigenpairs> {
        self.result.as_ref().ok_or(Error::NotSynthesized { what })
    }
    /// Whether [`Self::synthesize`] has run (or a synthesized file was loaded): the
    /// accessors below return [`Error::NotSynthesized`] until then.
    pub fn is_synthesized(&self) -> bool {
        self.result.is_some()
    }
    /// The eigendistortions, unit norm, one per batch entry (`2k x C x H x W`: top `k`
    /// then bottom `k`, or all `n` for `Exact`, eigenvalues descending).
    ///
    /// # Errors
    /// [`Error::NotSynthesized`] before `synthesize`.
    pub fn eigendistortions(&self) -> Result<&Image<f32>> {
        Ok(&self.result("the eigendistortions")?.eigendistortions)
    }
    /// The eigenvalues of `J^T J` (absolute values) matching [`Self::eigendistortions`].
    ///
    /// # Errors
    /// [`Error::NotSynthesized`] before `synthesize`.
    pub fn eigenvalues(&self) -> Result<&[f64]> {
        Ok(&self.result("the eigenvalues")?.eigenvalues)
    }
    /// The rank of each eigendistortion among all `n` eigenvalues (0 = largest,
    /// `n - 1` = smallest).
    ///
    /// # Errors
    /// [`Error::NotSynthesized`] before `synthesize`.
    pub fn eigenindex(&self) -> Result<&[usize]> {
        Ok(&self.result("the eigenindex")?.eigenindex)
    }
    /// Iterations (operator products per end) the last synthesis used.
    ///
    /// # Errors
    /// [`Error::NotSynthesized`] before `synthesize`.
    pub fn iterations(&self) -> Result<&[usize]> {
        Ok(&self.result("the iterations")?.iterations)
    }

    /// plenoptic's estimate of the spectral approximation error of the last
    /// [`Method::RandomizedSvd`] run (the mean over 20 random vectors `w` of
    /// `|F w - Q Qᵀ F w|`, `Q` the range found); `None` for the other methods and after a
    /// load.
    ///
    /// # Errors
    /// [`Error::NotSynthesized`] before `synthesize`.
    pub fn approximation_error(&self) -> Result<Option<f64>> {
        Ok(self.result("the approximation error")?.error)
    }

    /// The eigendistortion of rank `index` (as in [`Self::eigenindex`]; negative counts
    /// from the end, so -1 is the smallest eigenvalue's), as a 1 x C x H x W image.
    ///
    /// # Errors
    /// [`Error::NotSynthesized`] before `synthesize`; [`Error::InvalidArgument`] when
    /// that rank was not computed.
    pub fn eigendistortion(&self, index: isize) -> Result<Image<f32>> {
        self.result("the eigendistortions")?
            .pick(dims(&self.image), index)
    }
}
