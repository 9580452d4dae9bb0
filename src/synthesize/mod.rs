//! Synthesis methods: [`Metamer`] (images a model cannot tell apart from a target),
//! [`MetamerCTF`] (the same, coarse to fine, for multi-scale models such as texture
//! statistics), [`Eigendistortion`] (the distortions a model is most and least sensitive
//! to) and [`MADCompetition`] (images two metrics disagree on most), with plenoptic 1.3.0's
//! behaviour. A metamer's [`LossFunction`] is the mean squared error, the L2 norm or a
//! function of the user's.
//!
//! ```
//! use plenoptic as po;
//! use po::synthesize::{Eigendistortion, Metamer, Method};
//! po::synthesize::show_progress(false); // no progress lines in this example
//! let img = po::data::white_noise::<f32>(&[1, 1, 32, 32])?;
//! let model = po::simulate::Gaussian::builder((5, 5)).pad_mode(po::PadMode::Circular).build()?;
//!
//! let mut met = Metamer::new(img.clone(), model.clone())?;
//! met.setup().lr(0.02).run()?;
//! met.synthesize(100).stop_criterion(1e-7).run()?;
//! assert!(met.losses().last().unwrap() < &met.losses()[0]);
//!
//! let mut eig = Eigendistortion::new(img, model)?;
//! eig.synthesize().method(Method::Lobpcg).run()?;
//! assert_eq!(eig.eigenvalues()?.len(), 2);
//! # po::synthesize::show_progress(true);
//! # Ok::<(), po::Error>(())
//! ```
//!
//! Long runs print progress on stdout: on a terminal one line redrawn in place a few times
//! per second, in a notebook (or any other non-terminal) a new line at most once a second;
//! [`show_progress`] turns it off everywhere, `.progress(false)` for one call.
//!
//! # How synthesis is built
//!
//! Every optimised synthesis shares one core (plenoptic's `OptimizedSynthesis`, in
//! `optimized.rs`): the history of losses, gradient norms, pixel changes and stored
//! images, the [`StoreProgress`] setting, the stop test, the progress line and the loop;
//! a method supplies one iteration (its loss and gradient, then its update). A diverging
//! synthesis stops with [`crate::Error::Diverged`] and keeps its last finite state. The
//! metamer's iteration is written once, generic over the device, on per-device kernels
//! (Adam and the objective: the CPU's fused host loops, and the portable ones from dfdx's
//! ops that the GPU runs). Models cross into this machinery as [`ErasedModel`] (metamers)
//! and [`ErasedModelF64`] (eigendistortions, Jacobians) trait objects, so it is compiled
//! once, in the crate, whatever the model type.
//!
//! # The file format of saved syntheses
//!
//! [`Metamer::save`], [`MetamerCTF::save`] and [`Eigendistortion::save`] write one binary file, a
//! self-describing archive of named arrays, format version 2 (every integer
//! little-endian). A 68-byte header:
//!
//! | bytes | content |
//! |---|---|
//! | 16 | magic `b"PLENOPTIC-RS\0ARC"` |
//! | 4 | format version, `u32` (2) |
//! | 32 | what was saved, UTF-8 padded with zero bytes (`Metamer`, `Eigendistortion`) |
//! | 4 | number of records, `u32` |
//! | 8 | length of the whole file in bytes, `u64` |
//! | 4 | CRC-32 of the 64 bytes above |
//!
//! then the records, each: the length of its body (`u64`), the body (a name: `u16`
//! length and UTF-8 text; an element type, `u8`: 1 = f32, 2 = f64, 3 = u64, 4 = UTF-8
//! text; the number of dimensions, `u8`; each dimension, `u64`; the elements row-major),
//! and the CRC-32 of the length and the body. The file ends with the last record.
//!
//! Loading checks the magic, the version, the header's checksum, the kind, the file's
//! length and every record's checksum before it uses anything, so a damaged, cut or
//! extended file, a file of another format version or another kind of synthesis is
//! refused with an [`crate::Error::Load`] whose [`crate::LoadError`] names the problem
//! (the damaged record, both versions, both kinds). It then compares what it can check
//! against what it is loaded with, as plenoptic's `load`: the image (when restoring into
//! a created object), the model's output at the saved image (within [`LoadTolerance`]),
//! the model's type name (module paths aside), and the dtype of each record.
//!
//! A metamer's records: `model_type` (text), `loss_function` (text: `mse`, `l2_norm` or
//! `custom:<name>`), `loss_function_value` (f64: the loss function at (image, metamer),
//! which loading compares, as plenoptic checks a loss function's behaviour), `image`,
//! `target_representation`,
//! `metamer` (f32, 4-D), `allowed_range` (2 f64), `range_penalty_lambda`, `losses`,
//! `gradient_norm`, `pixel_change_norm` (f64), `saved_metamer` (f32, n x B x C x H x W),
//! `saved_iterations` (u64), `store_progress` (u64, once synthesis ran), and once set up
//! the optimiser: `optimizer.lr`, `optimizer.betas`, `optimizer.eps` (f64),
//! `optimizer.amsgrad`, `optimizer.step` (u64), `optimizer.exp_avg`,
//! `optimizer.exp_avg_sq`, `optimizer.max_exp_avg_sq` (f32, the image's shape). An
//! eigendistortion's: `model_type` (text), `image` (f32, 4-D), `representation` (f64,
//! 4-D, the model's output at the image) and, once synthesized, `eigendistortions` (f32,
//! n x C x H x W), `eigenvalues` (f64), `eigenindex`, `iterations` (u64). A
//! `MetamerCTF`'s (kind `MetamerCTF`): a metamer's, and `coarse_to_fine` (text),
//! `ctf.scales`, `ctf.scales_finished`, `ctf.timing_scales` (text, a scale per line as
//! `i:<index>` or `n:<name>`), `ctf.timing.<k>` (u64: start and stop of the k-th stage of
//! `ctf.timing_scales`), `ctf.scales_loss` (f64) and, once synthesized, `ctf.initial_lr`
//! (f64). A file without `loss_function` is an MSE metamer.
//! A MAD competition's (kind `MADCompetition`): the metrics' names, `minmax`, the image, its
//! options and, once set up, the initial and MAD images, both metric histories, the
//! metrics' values at the saved MAD image (which loading recomputes), the shared history
//! and the optimiser's records. Readers ignore records they do not know.

mod adam;
mod archive;
pub mod autodiff;
mod device;
mod eigendistortion;
pub(crate) mod erased;
mod lanes;
mod linalg;
mod lobpcg;
mod loss;
mod mad;
pub(crate) mod metamer;
mod metamer_ctf;
mod objective;
mod optimized;
mod progress;

pub use crate::error::DivergedAt;
pub use adam::AdamOptions;
pub(crate) use archive::short_type_name;
pub use archive::LoadTolerance;
pub use eigendistortion::{EigSynthesize, Eigendistortion, Method, RsvdDraws, EXACT_MAX_PIXELS};
pub use erased::{ErasedCoarseToFine, ErasedModel, ErasedModelF64};
pub use loss::{CustomLoss, LossFn, LossFunction, TapedScalar};
pub use mad::{IntoMinMax, MADCompetition, MADCompetitionBuilder, MadSetup, MadSynthesize, MinMax};
pub use metamer::{Metamer, MetamerBuilder, Setup, Synthesize};
pub use metamer_ctf::{CtfMode, MetamerCTF, MetamerCTFBuilder, SynthesizeCtf, ALL_SCALES};
pub use optimized::{IntoStoreProgress, StoreProgress};
pub use progress::{progress_shown, show_progress};
