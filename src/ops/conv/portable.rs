//! The portable convolution: each kernel split into rank-1 terms ([`crate::ops::svd`]),
//! the padding folded into the row and column matrices of a separable linear map
//! ([`crate::ops::separable`]), applied with dfdx matmuls on any device.

use dfdx::prelude::{Tape, Tensor};
use dfdx::tensor_ops::Device;

use super::Filter;
use crate::error::{Error, Result};
use crate::ops::backend::nonfinite_count;
use crate::ops::checks::{groups, pads_fit, same_pads};
use crate::ops::separable::{band_rows, Linear, Term};
use crate::ops::svd::rank_terms;
use crate::ops::PadMode;
use crate::tensor::{check_shape4, dims, Float, Shape4};

/// [`ConvKernel`] by the portable functions of this file (the GPU's, and the CPU's under
/// the `portable-cpu` feature).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::ConvKernel<$e> for $dev {
            fn conv2d<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                filt: &super::Filter,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                conv2d(x, filt)
            }
            fn conv2d_same<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                filt: &super::Filter,
                mode: crate::ops::PadMode,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                conv2d_same(x, filt, mode)
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);

/// The correlation of `cin` channels with `filt` (output channels per group `og`), whose
/// frame row `i` is input row `rows(i)` and frame column `j` input column `cols(j)` (none:
/// the constant `fill`), with `ho x wo` outputs.
#[allow(clippy::too_many_arguments)]
fn conv_map(
    filt: &Filter,
    cin: usize,
    og: usize,
    (ho, wo): (usize, usize),
    rows: impl Fn(usize) -> Option<usize>,
    cols: impl Fn(usize) -> Option<usize>,
    fill: f64,
) -> Linear {
    let [cout, cg, kh, kw] = filt.shape();
    let wts = filt.weights();
    let mut terms = Vec::new();
    for o in 0..cout {
        let grp = o / og;
        for j in 0..cg {
            let k = &wts[(o * cg + j) * kh * kw..][..kh * kw];
            for (u, v) in rank_terms(k, kh, kw) {
                terms.push(Term {
                    input: grp * cg + j,
                    output: o,
                    a: band_rows(ho, &u, &rows),
                    b: band_rows(wo, &v, &cols),
                });
            }
        }
    }
    let bias = (fill != 0.0).then(|| {
        // fill * sum of the kernel weights that fall on padding: everything minus the
        // weights on rows and columns that are both inside (a separable indicator)
        let mut bias = Vec::with_capacity(cout * ho * wo);
        for o in 0..cout {
            let mut ks = vec![0.0f64; kh * kw];
            for j in 0..cg {
                let k = &wts[(o * cg + j) * kh * kw..][..kh * kw];
                ks.iter_mut().zip(k).for_each(|(a, b)| *a += b);
            }
            let total: f64 = ks.iter().sum();
            for p in 0..ho {
                let mut m = vec![0.0f64; kw];
                for u in (0..kh).filter(|u| rows(p + u).is_some()) {
                    m.iter_mut()
                        .zip(&ks[u * kw..(u + 1) * kw])
                        .for_each(|(a, b)| *a += b);
                }
                for q in 0..wo {
                    let inside: f64 = (0..kw)
                        .filter(|v| cols(q + v).is_some())
                        .map(|v| m[v])
                        .sum();
                    bias.push(fill * (total - inside));
                }
            }
        }
        bias
    });
    Linear {
        cin,
        cout,
        ho,
        wo,
        terms,
        bias,
    }
}

/// Returns [`Error::NonFinite`] when `x` holds NaN or infinite values (checked on the
/// device, one scalar read back).
fn check_finite_input<E: Float, D: Device<E>, T>(x: &Tensor<Shape4, E, D, T>) -> Result<()> {
    let count = nonfinite_count(x)?;
    if count > 0 {
        return Err(Error::NonFinite {
            what: "convolution input".into(),
            count,
        });
    }
    Ok(())
}

/// Valid 2-D cross-correlation, as [`crate::ops::conv2d`] (torch's `F.conv2d` with
/// `groups = in_channels / filt.shape()[1]`), on any dfdx device. Output
/// `(batch, out_channels, h - kh + 1, w - kw + 1)`. Differentiable with respect to `x`.
///
/// # Errors
/// As [`crate::ops::conv2d`]: [`Error::Empty`], [`Error::KernelTooLarge`],
/// [`Error::ShapeMismatch`] (channels that cannot be grouped), [`Error::NonFinite`]; and
/// [`Error::Backend`] when the device fails.
pub(crate) fn conv2d<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    filt: &Filter,
) -> Result<Tensor<Shape4, E, D, T>> {
    let [batch, cin, h, w] = dims(&x);
    check_shape4(&[batch, cin, h, w], "convolution input")?;
    let [_, _, kh, kw] = filt.shape();
    if kh > h || kw > w {
        return Err(Error::KernelTooLarge {
            kernel: (kh, kw),
            image: (h, w),
        });
    }
    let og = groups(filt, cin)?;
    check_finite_input(&x)?;
    let map = conv_map(filt, cin, og, (h - kh + 1, w - kw + 1), Some, Some, 0.0);
    map.apply(x)
}

/// plenoptic's `same_padding` followed by [`conv2d`], as [`crate::ops::conv2d_same`]: pads
/// `[(kh-1)/2, kh-1-(kh-1)/2, (kw-1)/2, kw-1-(kw-1)/2]` in `mode` (folded into the
/// matrices; a constant fill `v != 0` adds its exact contribution as a bias image), so the
/// output has the input's height and width. Differentiable with respect to `x`.
///
/// # Errors
/// As [`crate::ops::conv2d_same`]: [`Error::Empty`], [`Error::PaddingTooLarge`],
/// [`Error::ShapeMismatch`], [`Error::NonFinite`]; and [`Error::Backend`].
pub(crate) fn conv2d_same<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    filt: &Filter,
    mode: PadMode,
) -> Result<Tensor<Shape4, E, D, T>> {
    let [batch, cin, h, w] = dims(&x);
    check_shape4(&[batch, cin, h, w], "convolution input")?;
    let [_, _, kh, kw] = filt.shape();
    let pads = same_pads((kh, kw));
    pads_fit(mode, pads, h, w)?;
    let og = groups(filt, cin)?;
    check_finite_input(&x)?;
    let fill = match mode {
        PadMode::Constant(v) => v,
        _ => 0.0,
    };
    let map = conv_map(
        filt,
        cin,
        og,
        (h, w),
        |i| mode.source(i, pads[0], h),
        |j| mode.source(j, pads[2], w),
        fill,
    );
    map.apply(x)
}
