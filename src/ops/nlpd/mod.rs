//! The normalized Laplacian pyramid distance as one op (plenoptic's `nlpd`): for both
//! images the Laplacian pyramid, each level divided by `sigma + |level| ⋆ filter`, and the
//! mean over levels of the root mean squared difference per level. On the CPU it is one
//! host op with its adjoint written out (`nlpd/cpu.rs`); other devices decline it
//! ([`Fused::Declined`]) and the metric composes the same steps from
//! [`crate::ops::separable_map`], [`crate::ops::conv2d_same`] and element-wise ops
//! (`metric/nlpd.rs`), which the tests check against the fused kernel on the CPU.

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
pub(crate) mod cpu;
#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
mod maps;
#[cfg_attr(not(any(feature = "cuda", feature = "portable-cpu")), allow(dead_code))]
pub(crate) mod portable;

use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::ops::{Fused, SeparableMap};
use crate::tensor::{dims, ByFloat, Float, Image, Tape};
use crate::Device;

/// plenoptic's constant under each level's root: `sqrt(mean squared difference + 1e-10)`.
pub(crate) const EPSILON: f64 = 1e-10;

/// What NLPD computes on images of one size: the Laplacian pyramid's maps between
/// levels and the divisive normalisation's filter and sigma per level.
#[doc(hidden)]
pub struct NlpdPlan {
    /// The image size (h, w) the maps take.
    pub(crate) size: (usize, usize),
    /// Per level but the last: the blur-downsample map to the next level and the
    /// upsample-blur map back (`LaplacianPyramid::maps`).
    pub(crate) maps: Vec<(SeparableMap, SeparableMap)>,
    /// Per level: the 5x5 pooling filter (row-major), correlated with zero padding 2.
    pub(crate) filters: Vec<[f64; 25]>,
    /// Per level: the constant added to the pooled magnitudes.
    pub(crate) sigmas: Vec<f64>,
    /// The CPU kernel's maps and taps in each element type, built on first use.
    pub(crate) host: ByFloat<cpu::HostGeometry>,
}

impl NlpdPlan {
    /// The plan for (h, w) images from the pyramid's maps and the per-level filters
    /// (25 values each) and sigmas.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the numbers of maps, filters and sigmas do not
    /// fit one pyramid, a filter has not 25 values, or the maps do not chain from (h, w).
    pub(crate) fn new(
        size: (usize, usize),
        maps: Vec<(SeparableMap, SeparableMap)>,
        filters: &[Vec<f64>],
        sigmas: &[f64],
    ) -> Result<Self> {
        let levels = maps.len() + 1;
        if filters.len() != levels || sigmas.len() != levels {
            return Err(Error::invalid(
                "NLPD plan",
                format!(
                    "{levels} levels but {} filters and {} sigmas",
                    filters.len(),
                    sigmas.len()
                ),
            ));
        }
        let mut at = size;
        for (down, up) in &maps {
            if down.input_size() != at
                || up.input_size() != down.output_size()
                || up.output_size() != at
            {
                return Err(Error::invalid(
                    "NLPD plan",
                    "the pyramid's maps do not chain from the image size",
                ));
            }
            at = down.output_size();
        }
        let filters = filters
            .iter()
            .map(|f| {
                <[f64; 25]>::try_from(f.as_slice())
                    .map_err(|_| Error::invalid("NLPD plan", "a filter needs 5x5 values"))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(NlpdPlan {
            size,
            maps,
            filters,
            sigmas: sigmas.to_vec(),
            host: ByFloat {
                single: OnceLock::new(),
                double: OnceLock::new(),
            },
        })
    }

    /// The number of levels.
    pub(crate) fn levels(&self) -> usize {
        self.maps.len() + 1
    }
}

/// The fused NLPD kernel of a device: [`nlpd`]. Call the function, not this method.
#[doc(hidden)]
pub trait NlpdKernel<E: Float>: dfdx::tensor::Storage<E> {
    /// [`nlpd`] on this device, or the images back when it has no fused kernel.
    fn nlpd<T: Tape<E, Self>>(
        a: Image<E, T, Self>,
        b: Image<E, T, Self>,
        plan: &NlpdPlan,
    ) -> Result<Fused<E, T, Self>>;
}

/// NLPD of `a` and `b` (of one shape, the plan's size) per plane: shape (batch, channel,
/// 1, 1), or the images back when the device has no fused kernel.
///
/// # Errors
/// [`Error::ShapeMismatch`] for images of different shapes or not of the plan's size;
/// [`Error::NonFinite`] for NaN or infinite values (as the composition's convolution).
pub(crate) fn nlpd<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
    plan: &NlpdPlan,
) -> Result<Fused<E, T, D>> {
    let (da, db) = (dims(&a), dims(&b));
    if da != db {
        return Err(Error::shape_mismatch("the two images of NLPD", da, db));
    }
    if (da[2], da[3]) != plan.size {
        return Err(Error::shape_mismatch(
            "image size (height, width) for the NLPD plan",
            [plan.size.0, plan.size.1],
            [da[2], da[3]],
        ));
    }
    D::nlpd(a, b, plan)
}
