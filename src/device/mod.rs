//! Where models run: the CPU, or an NVIDIA GPU when the crate is built with the `cuda`
//! feature and a GPU is present (plenoptic's `DEVICE = "cuda" if available else "cpu"`).
//!
//! Images are made, stored, shown and saved on the CPU ([`crate::Image`]). Synthesis
//! ([`crate::synthesize::Metamer`], [`crate::synthesize::Eigendistortion`]) moves the work to
//! the [`current`] device: the model's forward and backward passes run there, and on the
//! GPU a metamer's whole iteration (its image and optimiser state stay on the device). A
//! model written for the crate (see [`crate::Model`]) is generic over the device, so the
//! same notebook code runs on both.
//!
//! ```
//! use plenoptic as po;
//! println!("{}", po::device::describe()); // "device: cpu ..." or "device: cuda ..."
//! po::device::select(po::device::Kind::Cpu)?; // force the CPU (always possible)
//! assert_eq!(po::device::current(), po::device::Kind::Cpu);
//! # Ok::<(), po::Error>(())
//! ```
//!
//! The ops of [`crate::ops`] dispatch through the kernel traits that [`Device`] bundles:
//! on the CPU they are the crate's fused FFT and element-wise ops; on the GPU they are
//! built from dfdx's own tensor ops (matrix products for the convolutions), which dfdx runs
//! with CUDA kernels and cuBLAS.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::ops::{
    BackwardKernel, ChannelsKernel, ConvKernel, ExpandKernel, GainKernel, NlpdKernel, PadKernel,
    PointwiseKernel, PsStatsKernel, ReduceKernel, RollKernel, SeparableMapKernel, SpectralKernel,
    SsimKernel,
};
use crate::tensor::Float;

/// dfdx's CPU device: where images are made, stored, shown and saved.
pub use dfdx::prelude::Cpu;

/// dfdx's CUDA device, the crate's GPU (only with the `cuda` feature).
#[cfg(feature = "cuda")]
pub type Gpu = dfdx::tensor::Cuda;

mod sealed {
    pub trait Sealed {}
    impl Sealed for dfdx::prelude::Cpu {}
    #[cfg(feature = "cuda")]
    impl Sealed for dfdx::tensor::Cuda {}
}

/// A device the crate's ops run on: dfdx's `Cpu`, and with the `cuda` feature dfdx's
/// `Cuda` ([`Gpu`]). It bundles dfdx's storage traits and one kernel trait per op of
/// [`crate::ops`] (`ConvKernel`, `PadKernel`, ...); call the functions there
/// (`po::ops::conv2d`, ...), which dispatch to the kernels. Sealed: implemented by the
/// crate only.
///
/// ```
/// use plenoptic as po;
/// fn blur<D: po::Device<f32>>(x: po::Image<f32, po::dfdx::prelude::NoneTape, D>) -> po::Result<po::Image<f32, po::dfdx::prelude::NoneTape, D>> {
///     let f = po::tools::circular_gaussian2d((3, 3), &[1.0])?;
///     po::ops::conv2d_same(x, &f, po::PadMode::Reflect)
/// }
/// let y = blur(po::data::white_noise::<f32>(&[1, 1, 8, 8])?)?;
/// assert_eq!(po::dims(&y), [1, 1, 8, 8]);
/// # Ok::<(), po::Error>(())
/// ```
pub trait Device<E: Float>:
    dfdx::tensor::Storage<E>
    + dfdx::tensor::TensorFromVec<E>
    + dfdx::tensor::ZerosTensor<E>
    + dfdx::tensor::CopySlice<E>
    + ConvKernel<E>
    + PadKernel<E>
    + RollKernel<E>
    + ChannelsKernel<E>
    + PointwiseKernel<E>
    + ReduceKernel<E>
    + GainKernel<E>
    + BackwardKernel<E>
    + SeparableMapKernel<E>
    + ExpandKernel<E>
    + SpectralKernel<E>
    + PsStatsKernel<E>
    + SsimKernel<E>
    + NlpdKernel<E>
    + sealed::Sealed
{
}

impl<E: Float> Device<E> for Cpu where
    Cpu: ConvKernel<E>
        + PadKernel<E>
        + RollKernel<E>
        + ChannelsKernel<E>
        + PointwiseKernel<E>
        + ReduceKernel<E>
        + GainKernel<E>
        + BackwardKernel<E>
        + SeparableMapKernel<E>
        + ExpandKernel<E>
        + SpectralKernel<E>
        + PsStatsKernel<E>
        + SsimKernel<E>
        + NlpdKernel<E>
{
}

#[cfg(feature = "cuda")]
impl Device<f32> for Gpu {}
#[cfg(feature = "cuda")]
impl Device<f64> for Gpu {}

/// Where synthesis runs the model.
///
/// ```
/// use plenoptic::device::Kind;
/// assert_eq!(format!("{:>5}|", Kind::Cpu), "  cpu|");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The CPU (dfdx's `Cpu`).
    Cpu,
    /// An NVIDIA GPU (dfdx's `Cuda`, device 0); needs the `cuda` feature.
    Cuda,
}

impl Kind {
    /// `"cpu"` or `"cuda"`, as torch spells devices.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Cpu => "cpu",
            Kind::Cuda => "cuda",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// The device chosen: 0 not yet, 1 the CPU, 2 CUDA; one setting per process (shared by
/// every notebook cell: see `crate::shared`).
fn chosen() -> &'static AtomicU8 {
    static CHOSEN: std::sync::OnceLock<&'static AtomicU8> = std::sync::OnceLock::new();
    crate::shared::shared(&CHOSEN, "device", || AtomicU8::new(0))
}

/// The device synthesis runs on: the one [`select`]ed, or else the GPU when the crate has
/// the `cuda` feature and a GPU answers (unless the environment variable
/// `PLENOPTIC_DEVICE=cpu` says otherwise), or else the CPU.
pub fn current() -> Kind {
    match chosen().load(Ordering::Relaxed) {
        1 => Kind::Cpu,
        2 => Kind::Cuda,
        _ => {
            let forced_cpu = std::env::var("PLENOPTIC_DEVICE").is_ok_and(|v| v == "cpu");
            let k = if !forced_cpu && gpu_available() {
                Kind::Cuda
            } else {
                Kind::Cpu
            };
            chosen().store(if k == Kind::Cuda { 2 } else { 1 }, Ordering::Relaxed);
            k
        }
    }
}

/// Makes synthesis run on `kind` from now on.
///
/// # Errors
/// [`Error::Unavailable`] for [`Kind::Cuda`] when the crate was built without the `cuda`
/// feature or no GPU answers.
pub fn select(kind: Kind) -> Result<()> {
    if kind == Kind::Cuda && !gpu_available() {
        return Err(Error::Unavailable(unavailable_reason()));
    }
    chosen().store(if kind == Kind::Cuda { 2 } else { 1 }, Ordering::Relaxed);
    Ok(())
}

/// One line saying which device synthesis uses, e.g. `device: cpu (built without the
/// cuda feature)` or `device: cuda (GPU 0)`.
pub fn describe() -> String {
    match current() {
        Kind::Cuda => "device: cuda (GPU 0, through dfdx's CUDA backend)".to_string(),
        Kind::Cpu if gpu_available() => "device: cpu (selected; a GPU is available)".into(),
        Kind::Cpu => format!("device: cpu ({})", unavailable_reason()),
    }
}

/// Whether a GPU can be used (the `cuda` feature is on and device 0 starts).
pub fn gpu_available() -> bool {
    #[cfg(feature = "cuda")]
    {
        gpu().is_some()
    }
    #[cfg(not(feature = "cuda"))]
    {
        false
    }
}

fn unavailable_reason() -> String {
    #[cfg(feature = "cuda")]
    {
        gpu_error()
            .map(|e| format!("no GPU: {e}"))
            .unwrap_or_else(|| "a GPU is available".into())
    }
    #[cfg(not(feature = "cuda"))]
    {
        "built without the cuda feature".into()
    }
}

#[cfg(feature = "cuda")]
thread_local! {
    /// dfdx's `Cuda` is neither `Send` nor `Sync`: each thread starts its own handle (on
    /// the same device and primary context).
    static GPU: std::cell::OnceCell<std::result::Result<Gpu, String>> =
        const { std::cell::OnceCell::new() };
}

#[cfg(feature = "cuda")]
fn gpu_cell() -> std::result::Result<Gpu, String> {
    GPU.with(|cell| {
        cell.get_or_init(|| {
            // cudarc panics (instead of returning an error) when the driver library is a
            // stub or absent: catch it, without printing the panic
            let hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let r = std::panic::catch_unwind(|| Gpu::try_build(0, 0));
            std::panic::set_hook(hook);
            r.map_err(|p| {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                format!("the CUDA driver failed while starting device 0 {msg}")
            })
            .and_then(|r| r.map_err(|e| format!("{e:?}")))
        })
        .clone()
    })
}

/// The GPU (device 0), started on first use; `None` when none answers.
#[cfg(feature = "cuda")]
pub fn gpu() -> Option<Gpu> {
    gpu_cell().ok()
}

/// The GPU, or [`Error::Unavailable`] naming why it cannot start.
#[cfg(feature = "cuda")]
pub(crate) fn gpu_or_err() -> Result<Gpu> {
    gpu().ok_or_else(|| Error::Unavailable(unavailable_reason()))
}

#[cfg(feature = "cuda")]
fn gpu_error() -> Option<String> {
    gpu_cell().err()
}

/// The shared CPU device (one handle, cloned: its allocation cache is shared).
///
/// ```
/// let cpu = plenoptic::device::cpu();
/// let x = plenoptic::image_on(&cpu, vec![1.0f32], &[1, 1, 1, 1])?;
/// # Ok::<(), plenoptic::Error>(())
/// ```
pub fn cpu() -> Cpu {
    static CPU: OnceLock<Cpu> = OnceLock::new();
    CPU.get_or_init(Cpu::default).clone()
}
