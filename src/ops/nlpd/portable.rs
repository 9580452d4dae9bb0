//! The portable devices have no fused NLPD: they hand the images back, and the metric
//! composes NLPD from the separable map, the convolution and element-wise ops.

/// [`NlpdKernel`](super::NlpdKernel) declining, on the portable devices.
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::NlpdKernel<$e> for $dev {
            fn nlpd<T: crate::Tape<$e, $dev>>(
                a: crate::Image<$e, T, $dev>,
                b: crate::Image<$e, T, $dev>,
                _plan: &super::NlpdPlan,
            ) -> crate::Result<super::Fused<$e, T, $dev>> {
                Ok(super::Fused::Declined(a, b))
            }
        }
    };
}

crate::ops::on_portable_devices!(portable_kernel);
