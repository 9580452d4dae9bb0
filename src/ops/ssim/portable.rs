//! The portable devices have no fused SSIM: they hand the images back, and the metric
//! composes SSIM from the separable map and element-wise ops.

/// [`SsimKernel`](super::SsimKernel) declining, on the portable devices.
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::SsimKernel<$e> for $dev {
            fn ssim_mean<T: crate::Tape<$e, $dev>>(
                a: crate::Image<$e, T, $dev>,
                b: crate::Image<$e, T, $dev>,
                _window: &super::SsimWindow,
                _weighted: bool,
            ) -> crate::Result<super::Fused<$e, T, $dev>> {
                Ok(super::Fused::Declined(a, b))
            }
        }
    };
}

crate::ops::on_portable_devices!(portable_kernel);
