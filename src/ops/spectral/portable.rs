//! The spectral op on the portable devices (the GPU, and the CPU under `portable-cpu`):
//! not written yet, so it refuses with [`Error::Unavailable`].

use crate::error::Error;

fn unavailable() -> Error {
    Error::Unavailable(
        "the spectral op (steerable pyramid, Portilla-Simoncelli) has no GPU kernel yet: \
         run it on the CPU (po::device::select(po::device::Kind::Cpu))"
            .into(),
    )
}

/// [`super::SpectralKernel`] on a portable device: refused (see the module doc).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::SpectralKernel<$e> for $dev {
            fn spectral_analysis<T: crate::Tape<$e, $dev>>(
                _x: crate::Image<$e, T, $dev>,
                _plan: &std::sync::Arc<super::SpectralPlan>,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                Err(unavailable())
            }

            fn spectral_synthesis<T: crate::Tape<$e, $dev>>(
                _y: crate::Image<$e, T, $dev>,
                _plan: &std::sync::Arc<super::SpectralPlan>,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                Err(unavailable())
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);
