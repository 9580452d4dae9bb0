//! The crate's error type: every fallible call returns [`Result`], and each variant names
//! the problem in words a notebook user can act on.

use std::path::PathBuf;

/// Everything that can go wrong in plenoptic, with a message that names the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A buffer or shape did not describe a 4-D (batch, channel, height, width) image.
    #[error("expected a 4-D image (batch, channel, height, width), got shape {shape:?}")]
    Rank {
        /// The shape that was given.
        shape: Vec<usize>,
    },
    /// A tensor with a zero-sized dimension.
    #[error("{what} is empty: shape {shape:?}")]
    Empty {
        /// What was empty.
        what: String,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// NaN or infinite values where finite ones are required.
    #[error("{what} contains {count} non-finite values (NaN or inf)")]
    NonFinite {
        /// What held the values.
        what: String,
        /// How many values were not finite.
        count: usize,
    },
    /// Two things that must agree in shape (or size) do not.
    #[error("shape mismatch: {what}: expected {expected:?}, got {got:?}")]
    ShapeMismatch {
        /// What was checked, e.g. "element-wise op" or "model output against the target
        /// representation".
        what: String,
        /// The shape (or size) required.
        expected: Vec<usize>,
        /// The shape (or size) given.
        got: Vec<usize>,
    },
    /// A convolution kernel larger than the (padded) image it slides over.
    #[error("kernel of size {kernel:?} is larger than the (padded) image of size {image:?}")]
    KernelTooLarge {
        /// Kernel (height, width).
        kernel: (usize, usize),
        /// Image (height, width).
        image: (usize, usize),
    },
    /// A padding amount that the chosen padding mode cannot produce.
    #[error("{mode} padding of {pad} needs a dimension of size {needed} or more, got {size}")]
    PaddingTooLarge {
        /// The padding mode's name.
        mode: &'static str,
        /// The padding asked for on one side.
        pad: usize,
        /// The smallest size the mode accepts for that padding.
        needed: usize,
        /// The dimension's size.
        size: usize,
    },
    /// An argument outside its allowed values.
    #[error("invalid `{name}`: {reason}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A standard image that has not been fetched yet.
    #[error("data file {path} not found; fetch the standard images with `bash kernel-setup/fetch-data.sh` (or set PLENOPTIC_DATA to the folder that holds them)")]
    MissingData {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// An image file that could not be opened or decoded.
    #[error("could not read image {path}: {reason}")]
    ImageRead {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// A model that breaks one of the rules synthesis relies on.
    #[error("invalid model: {0}")]
    InvalidModel(String),
    /// A synthesis set up twice, or after it started: `setup()` runs once, before the first
    /// `synthesize()` (a loaded synthesis is already set up).
    #[error(
        "setup() can only be called once and must be called before synthesize() \
         (a loaded {what} is already set up)"
    )]
    AlreadySetUp {
        /// The synthesis method (`Metamer`, ...).
        what: &'static str,
    },
    /// A synthesis whose numbers stopped being finite. The synthesis keeps the state of its
    /// last finite iteration (image, optimiser, history); a smaller learning rate may help.
    #[error(
        "synthesis diverged at iteration {iteration}: {at} became non-finite (NaN or inf); \
         the state after the last finite iteration is kept (try a smaller learning rate)"
    )]
    Diverged {
        /// The iteration (0-based, counting every iteration of the synthesis) that failed.
        iteration: usize,
        /// The step of that iteration that first met non-finite values.
        at: DivergedAt,
    },
    /// A saved synthesis that does not match what it is loaded with.
    #[error("cannot load {path}: {reason}")]
    Load {
        /// The file.
        path: PathBuf,
        /// What did not match.
        reason: String,
    },
    /// A figure or animation that could not be drawn or encoded.
    #[error("display error: {0}")]
    Display(String),
    /// Reading or writing a file failed.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The tensor library reported an error.
    #[error("tensor backend error: {0}")]
    Backend(String),
    /// The requested device cannot be used (no `cuda` feature, or no GPU answers).
    #[error("device unavailable: {0}")]
    Unavailable(String),
}

/// The step of a synthesis iteration that first met non-finite values ([`Error::Diverged`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DivergedAt {
    /// The model's forward pass (it refused non-finite values inside it).
    Model,
    /// The loss (the model's output or the objective overflowed or is NaN).
    Loss,
    /// The gradient of the loss.
    Gradient,
    /// The optimiser's update of the image or of its own state.
    Optimizer,
}

impl std::fmt::Display for DivergedAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DivergedAt::Model => "the model's forward pass",
            DivergedAt::Loss => "the loss",
            DivergedAt::Gradient => "the gradient",
            DivergedAt::Optimizer => "the optimiser's update",
        })
    }
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::ShapeMismatch`].
    pub fn shape_mismatch(
        what: impl Into<String>,
        expected: impl Into<Vec<usize>>,
        got: impl Into<Vec<usize>>,
    ) -> Self {
        Error::ShapeMismatch {
            what: what.into(),
            expected: expected.into(),
            got: got.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
