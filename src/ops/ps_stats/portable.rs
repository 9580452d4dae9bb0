//! The statistics op on the portable devices (the GPU, and the CPU under
//! `portable-cpu`): not written yet, so it refuses with [`Error::Unavailable`].

use crate::error::Error;

fn unavailable() -> Error {
    Error::Unavailable(
        "the Portilla-Simoncelli statistics have no GPU kernel yet: run them on the CPU \
         (po::device::select(po::device::Kind::Cpu))"
            .into(),
    )
}

/// [`super::PsStatsKernel`] on a portable device: refused (see the module doc).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::PsStatsKernel<$e> for $dev {
            fn ps_statistics<T: crate::Tape<$e, $dev>>(
                _x: crate::Image<$e, T, $dev>,
                _layout: &std::sync::Arc<super::PsLayout>,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                Err(unavailable())
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);
