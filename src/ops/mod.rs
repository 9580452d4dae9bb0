//! Differentiable operations that dfdx lacks, one folder per op: `<op>/mod.rs` holds the
//! public function, generic over the device, and the op's kernel trait (`ConvKernel`,
//! ...), which every [`crate::Device`] implements; `<op>/cpu.rs` the CPU's kernel (the
//! crate's fused FFT and element-wise loops, registered on dfdx's tape with their
//! adjoints, see `tape.rs`); `<op>/portable.rs` the same op built from dfdx's own tensor
//! operations (matrix products for convolution, padding and shifts), generic over any
//! dfdx device: the GPU's kernel, and the CPU's under the test feature `portable-cpu`.
//! The unit tests compare the two on the CPU, values and gradients.
//!
//! Nothing here uses dfdx's `slice`, whose CPU backward assigns instead of accumulating.

pub(crate) mod backend;
pub(crate) mod backward;
pub(crate) mod channels;
pub(crate) mod checks;
pub(crate) mod conv;
pub(crate) mod expand;
pub(crate) mod fft;
pub(crate) mod gain;
pub(crate) mod nlpd;
pub(crate) mod pad;
#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod par;
pub(crate) mod pointwise;
pub(crate) mod pool;
pub(crate) mod ps_stats;
pub(crate) mod reduce;
pub(crate) mod roll;
pub(crate) mod separable;
pub(crate) mod separable_map;
pub(crate) mod simd;
pub(crate) mod spectral;
pub(crate) mod ssim;
pub(crate) mod svd;
pub(crate) mod tape;

#[cfg(test)]
mod portable_tests;
#[cfg(test)]
pub(crate) mod test_util;

pub use backward::{backward_with, BackwardKernel};
pub use channels::{mask, select_channels, ChannelsKernel};
pub use conv::{conv2d, conv2d_same, ConvKernel, Filter};
pub use expand::{expand, ExpandKernel};
pub use gain::Activation;
#[doc(hidden)]
pub use gain::{Gain, GainKernel};
#[doc(hidden)]
pub use nlpd::{NlpdKernel, NlpdPlan};
pub use pad::{pad, PadKernel, PadMode};
pub use pointwise::{map, map2, map2_halves, softplus, PointwiseKernel};
pub use ps_stats::{ps_statistics, PsLayout, PsStatsKernel};
pub use reduce::{mse, sum_squares, ReduceKernel};
pub use roll::{roll, RollKernel};
pub use separable_map::{separable_map, SeparableMap, SeparableMapKernel};
pub use spectral::{
    spectral_analysis, spectral_synthesis, SpectralBand, SpectralKernel, SpectralPlan,
};
#[doc(hidden)]
pub use ssim::{Fused, SsimKernel, SsimWindow};

/// Invokes `$m!(device, element type)` for every device whose kernels are the portable
/// ones: the GPU (`cuda` feature) and, under the test feature `portable-cpu`, the CPU.
macro_rules! on_portable_devices {
    ($m:ident) => {
        #[cfg(feature = "cuda")]
        $m!(crate::device::Gpu, f32);
        #[cfg(feature = "cuda")]
        $m!(crate::device::Gpu, f64);
        #[cfg(feature = "portable-cpu")]
        $m!(dfdx::prelude::Cpu, f32);
        #[cfg(feature = "portable-cpu")]
        $m!(dfdx::prelude::Cpu, f64);
    };
}
pub(crate) use on_portable_devices;
