//! The normalized Laplacian pyramid distance (plenoptic's `nlpd` and
//! `normalized_laplacian_pyramid`, Laparra et al. 2016): a 6-level Laplacian pyramid, each
//! level divided by `sigma + |level| * filter` (plenoptic's `DN_filts`, `DN_sigmas`), then
//! the root mean squared difference per level, averaged over levels.

use std::sync::{Arc, Mutex};

use dfdx::prelude::WithEmptyTape;

use super::dn_params::{filter, params};
use super::pair::{broadcast_pair, plane_mean, scale, warn_channels, warn_outside_unit_range};
use super::Metric;
use crate::device::Device;
use crate::error::Result;
use crate::ops::nlpd::{nlpd as nlpd_fused, EPSILON};
use crate::ops::pointwise::inlined::{map, map2};
use crate::ops::{conv2d_same, Fused, NlpdPlan, PadMode};
use crate::simulate::LaplacianPyramid;
use crate::tensor::{dims, Float, Image, Tape};

const N_SCALES: usize = 6;

/// The normalized Laplacian pyramid of `x` (plenoptic's `normalized_laplacian_pyramid`):
/// six levels, fine to coarse (256x256 gives 256 down to 8 pixels), recorded on `x`'s tape
/// (which travels with the first level, as [`LaplacianPyramid::forward`]).
///
/// # Errors
/// [`crate::Error::MissingData`] when `DN_filts.npy` / `DN_sigmas.npy` have not been
/// fetched (`bash kernel-setup/fetch-data.sh`); [`crate::Error::PaddingTooLarge`] for
/// images too small for six levels.
pub fn normalized_laplacian_pyramid_of<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
) -> Result<Vec<Image<E, T, D>>> {
    let p = params()?;
    let c = dims(&x)[1];
    let levels = LaplacianPyramid::new(N_SCALES, true)?.forward(x)?;
    let mut out = Vec::with_capacity(N_SCALES);
    for (i, l) in levels.into_iter().enumerate() {
        let abs = map(l.with_empty_tape(), |v, _| {
            let s = if v > E::zero() {
                E::one()
            } else if v < E::zero() {
                -E::one()
            } else {
                E::zero()
            };
            (v.abs(), s)
        })?;
        let pooled = conv2d_same(abs, &filter(p, i, c)?, PadMode::Constant(0.0))?;
        let sigma = E::of_f64(p.sigmas[i]);
        out.push(map2(l, pooled, move |l, f, _| {
            let d = sigma + f;
            (l / d, d.recip(), -l / (d * d))
        })?);
    }
    Ok(out)
}

/// The normalized Laplacian pyramid distance (plenoptic's `po.metric.nlpd`): per level the
/// root mean squared difference (plus 1e-10 under the root), averaged over the six levels;
/// shape (batch, channel, 1, 1). Needs the NLPD parameters fetched by
/// `bash kernel-setup/fetch-data.sh`.
///
/// ```no_run
/// use plenoptic as po;
/// use po::metric::{Metric, Nlpd};
/// let a = po::data::einstein()?;
/// let b = po::data::curie()?;
/// let d = Nlpd.forward(a, b)?; // 1.3507
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Nlpd;

impl Metric for Nlpd {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        a: Image<E, T, D>,
        b: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let (da, db) = (dims(&a), dims(&b));
        let (a, b) = broadcast_pair(a, b, "nlpd")?;
        warn_channels(da, db, "NLPD");
        warn_outside_unit_range(&a, &b, "NLPD");
        let [_, _, h, w] = dims(&a);
        // the CPU's fused kernel, or the same steps composed from other ops
        match nlpd_fused(a, b, &*plan(h, w)?)? {
            Fused::Done(d) => Ok(d),
            Fused::Declined(a, b) => composed(a, b),
        }
    }
}

/// NLPD's plan for (h, w) images: the six-level pyramid's maps, the filters and sigmas;
/// the plans of the last few sizes are kept (with what the CPU kernel builds from them).
pub(crate) fn plan(h: usize, w: usize) -> Result<Arc<NlpdPlan>> {
    static PLANS: Mutex<Vec<Arc<NlpdPlan>>> = Mutex::new(Vec::new());
    let mut plans = PLANS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = plans.iter().find(|p| p.size == (h, w)) {
        return Ok(p.clone());
    }
    let p = params()?;
    let maps = LaplacianPyramid::new(N_SCALES, true)?.maps(h, w)?;
    let plan = Arc::new(NlpdPlan::new((h, w), maps, &p.filters, &p.sigmas)?);
    if plans.len() >= KEPT_PLANS {
        plans.remove(0);
    }
    plans.push(plan.clone());
    Ok(plan)
}

/// How many image sizes' plans [`plan`] keeps.
const KEPT_PLANS: usize = 4;

/// [`Nlpd`] of two images of one shape, composed from the pyramid, the convolution and
/// element-wise ops (the portable devices' way, and the fused kernel's check).
pub(crate) fn composed<E: Float, D: Device<E>, T: Tape<E, D>>(
    a: Image<E, T, D>,
    b: Image<E, T, D>,
) -> Result<Image<E, T, D>> {
    let ya = normalized_laplacian_pyramid_of(a)?;
    let yb = normalized_laplacian_pyramid_of(b)?;
    let two = E::of_f64(2.0);
    let eps = E::of_f64(EPSILON);
    let mut total: Option<Image<E, T, D>> = None;
    for (x, y) in ya.into_iter().zip(yb) {
        let sq = map2(x, y, move |p, q, _| {
            let d = p - q;
            (d * d, two * d, -two * d)
        })?;
        let dist = map(plane_mean(sq)?, move |v, _| {
            let r = (v + eps).sqrt();
            (r, (two * r).recip())
        })?;
        total = Some(match total {
            None => dist,
            Some(t) => map2(t, dist, |p, q, _| (p + q, E::one(), E::one()))?,
        });
    }
    scale(total.expect("six levels"), 1.0 / N_SCALES as f64)
}

/// [`Nlpd`] of two images: shape (batch, channel, 1, 1).
///
/// # Errors
/// As [`Nlpd`]: [`crate::Error::ShapeMismatch`] for sizes that do not broadcast,
/// [`crate::Error::MissingData`] without the NLPD parameters.
pub fn nlpd(a: &Image<f32>, b: &Image<f32>) -> Result<Image<f32>> {
    Nlpd.forward(a.clone(), b.clone())
}

/// [`normalized_laplacian_pyramid_of`] an f32 image, without a tape.
///
/// # Errors
/// As [`normalized_laplacian_pyramid_of`].
pub fn normalized_laplacian_pyramid(x: &Image<f32>) -> Result<Vec<Image<f32>>> {
    normalized_laplacian_pyramid_of(x.clone())
}
