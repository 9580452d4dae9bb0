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
    /// A data file (such as NLPD's `DN_filts.npy`) that could not be read or parsed.
    #[error("could not read data file {path}: {reason}")]
    DataRead {
        /// The file.
        path: PathBuf,
        /// What was wrong.
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
    /// A saved synthesis that cannot be loaded: the file is damaged, of another format
    /// version or kind, or does not match what it is loaded with.
    #[error("cannot load {path}: {reason}")]
    Load {
        /// The file.
        path: PathBuf,
        /// Why, as a [`LoadError`] to match on.
        reason: LoadError,
    },
    /// An accessor called before the synthesis that computes what it returns.
    #[error("{what} not computed yet: run synthesize first (or load a synthesized file)")]
    NotSynthesized {
        /// What was asked for, e.g. "the eigendistortions".
        what: &'static str,
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
    /// The tensor library (dfdx) reported an error, e.g. the GPU ran out of memory.
    #[error("tensor backend error in {op}: {source}")]
    Backend {
        /// The operation that failed (`"conv2d"`, `"backward pass"`, ...).
        op: &'static str,
        /// The backend's error.
        #[source]
        source: BackendError,
    },
    /// The requested device cannot be used (no `cuda` feature, or no GPU answers).
    #[error("device unavailable: {0}")]
    Unavailable(String),
}

/// An error of the tensor backend: dfdx 0.13's device errors (`Cpu`'s `CpuError`,
/// `Cuda`'s `CudaError`) reach the crate's generic code only as `Debug + Display` (a
/// device's `Err` type), so this keeps what they say, in both forms, as a standard error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError {
    message: String,
    debug: String,
}

impl BackendError {
    /// Keeps `e`'s message (its `Display`) and its `Debug` form.
    ///
    /// ```
    /// let e = plenoptic::BackendError::new(plenoptic::dfdx::tensor::CpuError::OutOfMemory);
    /// assert_eq!(e.message(), "CpuError::OutOfMemory");
    /// assert_eq!(e.debug(), "OutOfMemory");
    /// ```
    pub fn new(e: impl std::fmt::Debug + std::fmt::Display) -> Self {
        BackendError {
            message: e.to_string(),
            debug: format!("{e:?}"),
        }
    }

    /// The backend's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The backend's error as `Debug` prints it (its variant and fields).
    pub fn debug(&self) -> &str {
        &self.debug
    }
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BackendError {}

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

    /// [`Error::Backend`] for the backend's error `e` in the operation `op`.
    pub fn backend(op: &'static str, e: impl std::fmt::Debug + std::fmt::Display) -> Self {
        Error::Backend {
            op,
            source: BackendError::new(e),
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

/// Why a saved synthesis could not be loaded ([`Error::Load`]'s `reason`): match on it to
/// tell a damaged file from a file that belongs to another model or image.
///
/// ```
/// use plenoptic as po;
/// use po::LoadError;
/// let path = std::env::temp_dir().join("plenoptic-load-error-doc.plen");
/// std::fs::write(&path, b"not a saved synthesis")?;
/// let model = po::simulate::Gaussian::builder((5, 5)).build()?;
/// match po::synthesize::Eigendistortion::load(&path, model) {
///     Err(po::Error::Load { reason: LoadError::NotArchive, .. }) => {}
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LoadError {
    /// The file does not start with the magic bytes of a file saved by plenoptic.
    NotArchive,
    /// The file was written in another format version.
    Version {
        /// The version in the file.
        found: u32,
        /// The version this plenoptic reads and writes.
        expected: u32,
    },
    /// The file ends before its last record.
    Truncated {
        /// Its length in bytes.
        found: u64,
        /// The length its header records (`None` when the header itself is cut).
        expected: Option<u64>,
    },
    /// The file goes on after its last record (bytes were appended).
    TrailingBytes {
        /// How many bytes follow the last record.
        extra: u64,
    },
    /// A record, or the header, whose bytes no longer match its checksum.
    Corrupt {
        /// The record's name as read (`header` for the header), with its position.
        record: String,
    },
    /// The file holds another kind of synthesis.
    Kind {
        /// The kind in the file, e.g. `Metamer`.
        found: String,
        /// The kind being loaded, e.g. `Eigendistortion`.
        expected: String,
    },
    /// A record the loader needs is not in the file.
    Missing {
        /// The record's name.
        record: String,
    },
    /// A record that is intact but cannot be used (wrong element type or shape for what
    /// it holds).
    Invalid {
        /// The record's name.
        record: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The saved synthesis differs from what it is loaded with (model, image, dtype,
    /// options).
    Mismatch {
        /// What differs: `image`, `model output`, `model`, or a record (for its dtype).
        what: String,
        /// How it differs, starting with what property: `values (...)`, `shape: ...`,
        /// `names: ...`, `dtype: ...`.
        detail: String,
    },
    /// Restoring into an object that has already been set up or synthesized.
    NotFresh {
        /// The kind of synthesis, e.g. `Eigendistortion`.
        what: String,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NotArchive => write!(
                f,
                "not a file saved by plenoptic (wrong magic bytes at its start)"
            ),
            LoadError::Version { found, expected } => write!(
                f,
                "the file is in format version {found}, this plenoptic reads version \
                 {expected}: load it with the plenoptic that saved it and save it again \
                 (if no plenoptic writes version {found}, the file is damaged)"
            ),
            LoadError::Truncated {
                found,
                expected: Some(e),
            } => write!(
                f,
                "the file is truncated: it has {found} of its {e} bytes (an interrupted \
                 save or copy); load a complete copy"
            ),
            LoadError::Truncated {
                found,
                expected: None,
            } => write!(
                f,
                "the file is truncated: it ends after {found} bytes, inside its header"
            ),
            LoadError::TrailingBytes { extra } => write!(
                f,
                "the file has {extra} unexpected bytes after its last record: it was \
                 changed after it was saved; load an intact copy"
            ),
            LoadError::Corrupt { record } => write!(
                f,
                "{record} is damaged (its checksum does not match its bytes): the file \
                 changed after it was saved; load an intact copy"
            ),
            LoadError::Kind { found, expected } => write!(
                f,
                "the file holds a saved {found}, which cannot be loaded as {expected}: \
                 load it with {found}::load"
            ),
            LoadError::Missing { record } => write!(
                f,
                "the file has no `{record}` record (it was not saved by this kind of \
                 synthesis)"
            ),
            LoadError::Invalid { record, detail } => {
                write!(f, "record `{record}` cannot be used: {detail}")
            }
            LoadError::Mismatch { what, detail } => {
                write!(f, "saved and initialized {what} have different {detail}")
            }
            LoadError::NotFresh { what } => write!(
                f,
                "restore can only be called on a just-created {what} (this one has \
                 already been set up or synthesized); create a new one, or use \
                 {what}::load"
            ),
        }
    }
}

impl std::error::Error for LoadError {}
