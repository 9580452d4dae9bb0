//! plenoptic's `PortillaSimoncelli` texture statistics.

mod layout;
mod plan;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use layout::STAT_NAMES;

use crate::device::Device;
use crate::error::{Error, Result};
use crate::ops::{ps_statistics, PsLayout};
use crate::simulate::{CoarseToFine, Model, RepresentationGroups, Scale, SteerablePyramidFreq};
use crate::tensor::{dims, image_from_vec, to_cpu, Float, Image, Tape};

/// Statistic groups by name: (values, shape), as [`PortillaSimoncelli::convert_to_dict`]
/// returns them.
pub type StatDict = BTreeMap<&'static str, (Vec<f64>, Vec<usize>)>;

/// plenoptic's `PortillaSimoncelli(image_shape, n_scales=4, n_orientations=4,
/// spatial_corr_width=9)`: the Portilla & Simoncelli (2000) texture statistics of a
/// complex steerable pyramid (pixel statistics, autocorrelations of the band magnitudes
/// and of the low-pass images reconstructed at each scale, their skew and kurtosis,
/// correlations across orientations and scales, the highpass variance).
///
/// As a [`Model`] its representation of an image (batch, channel, h, w) is a 4-D image
/// (batch, channel, 1, n_stats): plenoptic's vector (its `forward` output, shape (batch,
/// channel, n_stats)) with a unit height, in plenoptic's order and without its redundant
/// entries (1046 statistics with the defaults). [`PortillaSimoncelli::convert_to_dict`]
/// names its groups.
///
/// ```no_run
/// use plenoptic as po;
/// use po::Model;
/// let img = po::data::reptile_skin()?;
/// let ps = po::simulate::PortillaSimoncelli::builder((256, 256)).build()?;
/// let rep = ps.apply(&img)?;
/// assert_eq!(po::dims(&rep), [1, 1, 1, 1046]);
/// let stats = ps.convert_to_dict(&rep)?;
/// assert_eq!(stats["magnitude_std"].1, vec![1, 1, 4, 4]);
/// # Ok::<(), po::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PortillaSimoncelli {
    image_shape: (usize, usize),
    n_scales: usize,
    n_orientations: usize,
    spatial_corr_width: usize,
    layout: Arc<PsLayout>,
    groups: Vec<layout::Group>,
    /// Scale of each kept statistic.
    rep_scales: Vec<Scale>,
}

/// Options for [`PortillaSimoncelli`]; finish with [`PortillaSimoncelliBuilder::build`].
#[derive(Clone, Debug)]
pub struct PortillaSimoncelliBuilder {
    image_shape: (usize, usize),
    n_scales: usize,
    n_orientations: usize,
    spatial_corr_width: usize,
}

impl PortillaSimoncelliBuilder {
    /// Number of pyramid scales (default 4).
    pub fn n_scales(mut self, n: usize) -> Self {
        self.n_scales = n;
        self
    }
    /// Number of orientations (default 4).
    pub fn n_orientations(mut self, n: usize) -> Self {
        self.n_orientations = n;
        self
    }
    /// Width of the autocorrelation window (default 9).
    pub fn spatial_corr_width(mut self, w: usize) -> Self {
        self.spatial_corr_width = w;
        self
    }

    /// Builds the model.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the image's height or width cannot be halved
    /// `n_scales` times (plenoptic's divisibility error), when the coarsest reconstructed
    /// image (min(h, w) / 2^n_scales pixels) is smaller than `spatial_corr_width`
    /// (plenoptic builds that model and fails in `forward`), for zero scales,
    /// orientations or width, more than 16 orientations, or a pyramid taller than the image
    /// allows.
    pub fn build(self) -> Result<PortillaSimoncelli> {
        let (h, w) = self.image_shape;
        let (n, no, cw) = (self.n_scales, self.n_orientations, self.spatial_corr_width);
        if n == 0 || no == 0 || cw == 0 || no > 16 {
            return Err(Error::invalid(
                "n_scales, n_orientations, spatial_corr_width",
                format!("need n_scales >= 1, 1 <= n_orientations <= 16, spatial_corr_width >= 1 (got {n}, {no}, {cw})"),
            ));
        }
        let div = 1usize << n.min(63);
        if h == 0 || w == 0 || h % div != 0 || w % div != 0 {
            return Err(Error::invalid(
                "image_shape",
                format!(
                    "{h}x{w}: because of how the Portilla-Simoncelli model handles multiscale \
                     representations, it only works with images whose shape can be divided by 2 \
                     n_scales ({n}) times"
                ),
            ));
        }
        if h.min(w) / div < cw {
            return Err(Error::invalid(
                "image_shape",
                format!(
                    "{h}x{w}: the coarsest reconstructed image ({}x{}) is smaller than \
                     spatial_corr_width ({cw}); use fewer scales or a smaller width",
                    h / div,
                    w / div
                ),
            ));
        }
        let pyr = SteerablePyramidFreq::builder((h, w))
            .height(n)
            .order(no - 1)
            .is_complex(true)
            .build()?;
        let plan = plan::plan(&pyr);
        let groups = layout::groups(n, no, cw);
        let mut kept = Vec::new();
        let mut rep_scales = Vec::new();
        let mut i = 0;
        for g in &groups {
            for (k, s) in g.kept.iter().zip(&g.scales) {
                if *k {
                    kept.push(i);
                    rep_scales.push(s.clone());
                }
                i += 1;
            }
        }
        let layout = PsLayout {
            bands_len: plan.len(),
            plan: Arc::new(plan),
            n_scales: n,
            n_orientations: no,
            width: cw,
            dims: pyr.masks().dims.clone(),
            kept,
            resolution: 0.0,
        };
        Ok(PortillaSimoncelli {
            image_shape: (h, w),
            n_scales: n,
            n_orientations: no,
            spatial_corr_width: cw,
            layout: Arc::new(layout),
            groups,
            rep_scales,
        })
    }
}

impl PortillaSimoncelli {
    /// A builder for images of shape `(height, width)`, with plenoptic's defaults.
    pub fn builder(image_shape: (usize, usize)) -> PortillaSimoncelliBuilder {
        PortillaSimoncelliBuilder {
            image_shape,
            n_scales: 4,
            n_orientations: 4,
            spatial_corr_width: 9,
        }
    }

    /// Number of pyramid scales.
    pub fn n_scales(&self) -> usize {
        self.n_scales
    }

    /// Number of orientations.
    pub fn n_orientations(&self) -> usize {
        self.n_orientations
    }

    /// Width of the autocorrelation window.
    pub fn spatial_corr_width(&self) -> usize {
        self.spatial_corr_width
    }

    /// The image shape the model was built for.
    pub fn image_shape(&self) -> (usize, usize) {
        self.image_shape
    }

    /// Number of statistics in the representation (1046 with the defaults).
    pub fn n_stats(&self) -> usize {
        self.rep_scales.len()
    }

    /// The scale of each statistic of the representation (plenoptic's
    /// `_representation_scales`).
    pub fn representation_scales(&self) -> &[Scale] {
        &self.rep_scales
    }

    fn check_input<E: Float, T, D: Device<E>>(&self, x: &Image<E, T, D>) -> Result<()> {
        let [_, _, h, w] = dims(x);
        if (h, w) != self.image_shape {
            return Err(Error::shape_mismatch(
                "PortillaSimoncelli: image height and width against image_shape",
                [self.image_shape.0, self.image_shape.1],
                [h, w],
            ));
        }
        Ok(())
    }

    /// The indices of the statistics that belong to `scales`, in order.
    fn scale_indices(&self, scales: &[Scale]) -> Result<Vec<usize>> {
        let known = self.scales();
        if let Some(s) = scales.iter().find(|s| !known.contains(s)) {
            return Err(Error::invalid(
                "scales",
                format!("{s} is not a scale of this model (its scales: {known:?})"),
            ));
        }
        Ok((0..self.rep_scales.len())
            .filter(|&i| scales.contains(&self.rep_scales[i]))
            .collect())
    }

    /// plenoptic's `remove_scales(representation, scales_to_keep)`: the statistics of a
    /// full representation (batch, channel, 1, n_stats) that belong to `scales`, in order
    /// (tape-less, on the CPU; [`CoarseToFine::forward_scales`] does the same on the tape).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a scale the model does not have;
    /// [`Error::ShapeMismatch`] for a representation of the wrong length.
    pub fn remove_scales<E: Float>(&self, rep: &Image<E>, scales: &[Scale]) -> Result<Image<E>> {
        let idx = self.scale_indices(scales)?;
        let [b, c, one, n] = dims(rep);
        if (one, n) != (1, self.n_stats()) {
            return Err(Error::shape_mismatch(
                "remove_scales: representation against the model's",
                [1, self.n_stats()],
                [one, n],
            ));
        }
        let v = rep.as_vec();
        let mut out = Vec::with_capacity(b * c * idx.len());
        for p in 0..b * c {
            out.extend(idx.iter().map(|&i| v[p * n + i]));
        }
        image_from_vec(out, &[b, c, 1, idx.len()])
    }

    /// plenoptic's `convert_to_dict`: each statistic group of a representation (batch,
    /// channel, 1, n_stats) as (values, shape), the shape (batch, channel, group shape...),
    /// with the redundant entries the representation leaves out as NaN, keyed by the
    /// names of [`STAT_NAMES`].
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a representation that is not the model's full one
    /// (e.g. from `forward_scales`).
    pub fn convert_to_dict<E: Float, T, D: Device<E>>(
        &self,
        rep: &Image<E, T, D>,
    ) -> Result<StatDict> {
        let [b, c, one, n] = dims(rep);
        if (one, n) != (1, self.n_stats()) {
            return Err(Error::shape_mismatch(
                "convert_to_dict: representation against the model's full representation \
                 (statistics removed by scale cannot be converted)",
                [1, self.n_stats()],
                [one, n],
            ));
        }
        let v = to_cpu(rep).as_vec();
        let mut out = BTreeMap::new();
        let mut filled = 0;
        for g in &self.groups {
            let size = g.kept.len();
            let n_kept = g.kept.iter().filter(|k| **k).count();
            let mut vals = Vec::with_capacity(b * c * size);
            for p in 0..b * c {
                let mut it = v[p * n + filled..p * n + filled + n_kept].iter();
                vals.extend(g.kept.iter().map(|k| {
                    if *k {
                        it.next().expect("counted").as_f64()
                    } else {
                        f64::NAN
                    }
                }));
            }
            filled += n_kept;
            let mut shape = vec![b, c];
            shape.extend(&g.shape);
            out.insert(g.name, (vals, shape));
        }
        Ok(out)
    }

    /// plenoptic's `_representation_for_plotting`: the groups that
    /// [`crate::display::plot_representation`] draws, from batch entry `batch` of `rep`
    /// averaged over channels: `pixels+var_highpass` (7 values),
    /// `std+skew+kurtosis recon`, `magnitude_std`, and for the autocorrelations and
    /// cross-correlations the root of the sum of squares over their first two axes
    /// (redundant entries left out).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a batch entry `rep` does not have; as
    /// [`Self::convert_to_dict`].
    pub fn representation_for_plotting<E: Float, T, D: Device<E>>(
        &self,
        rep: &Image<E, T, D>,
        batch: usize,
    ) -> Result<Vec<(String, Vec<f64>)>> {
        let [b, c, _, _] = dims(rep);
        if batch >= b {
            return Err(Error::invalid(
                "batch",
                format!("{batch} >= batch size {b}"),
            ));
        }
        let d = self.convert_to_dict(rep)?;
        // batch entry `batch`, mean over channels
        let get = |name: &str| -> (Vec<f64>, Vec<usize>) {
            let (v, shape) = &d[name];
            let size: usize = shape[2..].iter().product();
            let mut out = vec![0.0; size];
            for ch in 0..c {
                let o = (batch * c + ch) * size;
                out.iter_mut()
                    .zip(&v[o..o + size])
                    .for_each(|(a, x)| *a += x / c as f64);
            }
            (out, shape[2..].to_vec())
        };
        let cat = |names: &[&str]| -> Vec<f64> { names.iter().flat_map(|n| get(n).0).collect() };
        let mut out = vec![
            (
                "pixels+var_highpass".to_string(),
                cat(&["pixel_statistics", "var_highpass_residual"]),
            ),
            (
                "std+skew+kurtosis recon".to_string(),
                cat(&[
                    "std_reconstructed",
                    "skew_reconstructed",
                    "kurtosis_reconstructed",
                ]),
            ),
            ("magnitude_std".to_string(), get("magnitude_std").0),
        ];
        for name in [
            "auto_correlation_reconstructed",
            "auto_correlation_magnitude",
            "cross_orientation_correlation_magnitude",
            "cross_scale_correlation_magnitude",
            "cross_scale_correlation_real",
        ] {
            if name.starts_with("cross_scale") && self.n_scales == 1 {
                continue;
            }
            let (v, shape) = get(name);
            let (a, rest) = (shape[0] * shape[1], v.len() / (shape[0] * shape[1]).max(1));
            let norms = (0..rest)
                .map(|j| {
                    (0..a)
                        .map(|i| v[i * rest + j])
                        .filter(|x| !x.is_nan())
                        .map(|x| x * x)
                        .sum::<f64>()
                        .sqrt()
                })
                .collect();
            out.push((name.to_string(), norms));
        }
        Ok(out)
    }

    /// One statistic group of a representation, by name: plenoptic's
    /// `convert_to_dict(rep)[name]`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a name not in [`STAT_NAMES`]; as
    /// [`Self::convert_to_dict`].
    pub fn statistic<E: Float, T, D: Device<E>>(
        &self,
        rep: &Image<E, T, D>,
        name: &str,
    ) -> Result<(Vec<f64>, Vec<usize>)> {
        let mut d = self.convert_to_dict(rep)?;
        let key = STAT_NAMES.iter().find(|n| **n == name).ok_or_else(|| {
            Error::invalid(
                "name",
                format!("{name:?} is not a Portilla-Simoncelli statistic ({STAT_NAMES:?})"),
            )
        })?;
        Ok(d.remove(key).expect("every group is in the dict"))
    }
}

impl Model for PortillaSimoncelli {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        self.check_input(&x)?;
        ps_statistics(x, &self.layout)
    }

    /// [`Self::representation_for_plotting`] of batch entry 0, in 3 rows (2 for one
    /// scale), as plenoptic's `plot_representation` lays them out.
    fn representation_groups(&self, rep: &Image<f32>) -> Option<Result<RepresentationGroups>> {
        let rows = if self.n_scales > 1 { 3 } else { 2 };
        Some(
            self.representation_for_plotting(rep, 0)
                .map(|groups| RepresentationGroups { groups, rows }),
        )
    }
}

impl CoarseToFine for PortillaSimoncelli {
    /// plenoptic's `scales`: `pixel_statistics`, `residual_lowpass`, the scales coarse to
    /// fine, `residual_highpass`.
    fn scales(&self) -> Vec<Scale> {
        [
            Scale::named("pixel_statistics"),
            Scale::named("residual_lowpass"),
        ]
        .into_iter()
        .chain((0..self.n_scales).rev().map(Scale::Index))
        .chain(std::iter::once(Scale::named("residual_highpass")))
        .collect()
    }

    fn forward_scales<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
        scales: &[Scale],
    ) -> Result<Image<E, T, D>> {
        if scales.is_empty() {
            return self.forward(x);
        }
        self.check_input(&x)?;
        let idx = self.scale_indices(scales)?;
        let mut layout = (*self.layout).clone();
        layout.kept = idx.iter().map(|&i| self.layout.kept[i]).collect();
        ps_statistics(x, &Arc::new(layout))
    }
}
