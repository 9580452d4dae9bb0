//! The CPU's statistics op: per image plane, the layout's spectral bands (in the element
//! type) and [`super::host`]'s statistics, recorded on the tape through
//! [`HostOp1`]. The forward keeps the bands and the intermediates its adjoint needs; the
//! adjoint takes the bands' gradient through the spectral plan's adjoint to the image.

use std::sync::Arc;

use dfdx::prelude::{Cpu, Tensor};

use super::buffers::{self, Kept};
use super::{adjoint, host, resolution, PsLayout};
use crate::ops::pool::{self, Pooled};
use crate::ops::tape::{run1, HostOp1};
use crate::tensor::{dims, ByFloat, Float, PerFloat, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::PsStatsKernel<E> for Cpu {
    fn ps_statistics<T: Tape<E>>(
        x: crate::Image<E, T>,
        layout: &Arc<PsLayout>,
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(ps_statistics(x, layout))
    }
}

/// The op's constructor for each element type, compiled here (see [`HostOp1`]).
struct Maker;
impl PerFloat for Maker {
    type Of<E: Float> = fn(Arc<PsLayout>, [usize; 4]) -> Box<dyn HostOp1<E>>;
}

static MAKE: ByFloat<Maker> = ByFloat {
    single: make::<f32>,
    double: make::<f64>,
};

fn make<E: Kept>(layout: Arc<PsLayout>, shape: [usize; 4]) -> Box<dyn HostOp1<E>> {
    let mut l = (*layout).clone();
    l.resolution = resolution::<E>();
    Box::new(Stats::<E> {
        layout: l,
        shape,
        planes: Vec::new(),
    })
}

/// One image plane's bands, and what its forward kept.
struct Plane<E: Kept> {
    y: Pooled<E>,
    saved: host::Saved<E>,
}

/// The statistics of images of `shape` (batch, channel, h, w).
struct Stats<E: Kept> {
    layout: PsLayout,
    shape: [usize; 4],
    planes: Vec<Plane<E>>,
}

impl<E: Kept> Stats<E> {
    /// Plane `p`'s raw statistics' gradient for the output's gradient `gy`.
    fn raw_grad(&self, gy: &[E], p: usize) -> Vec<f64> {
        let l = &self.layout;
        let nk = l.kept.len();
        let mut g = vec![0.0; l.raw_len()];
        for (k, &i) in l.kept.iter().enumerate() {
            g[i] = gy[p * nk + k].as_f64();
        }
        g
    }
}

impl<E: Kept> HostOp1<E> for Stats<E> {
    fn out_shape(&self) -> Shape4 {
        let [b, c, _, _] = self.shape;
        (b, c, 1, self.layout.kept.len())
    }

    fn forward(&mut self, xv: Pooled<E>, grad: bool) -> crate::Result<Pooled<E>> {
        let [b, c, h, w] = self.shape;
        let l = &self.layout;
        let (nx, ny, nk) = (h * w, l.bands_len, l.kept.len());
        let mut out = pool::take(b * c * nk);
        let mut wk = l.plan.work::<E>();
        for p in 0..b * c {
            let xp = &xv[p * nx..(p + 1) * nx];
            // each band's first statistics pass right after the band, on its thread
            let lent = buffers::lend::<E>();
            let (y, done) = pool::take_filled(ny, |y| {
                l.plan.analyze_then(xp, y, &mut wk, |i, band| {
                    lent.run(|| host::band_job(l, i, band))
                })
            });
            drop(lent);
            let (raw, saved) = host::forward(l, xp, &y, done);
            for (o, &i) in out[p * nk..(p + 1) * nk].iter_mut().zip(&l.kept) {
                *o = E::of_f64(raw[i]);
            }
            if grad {
                self.planes.push(Plane { y, saved });
            }
        }
        l.plan.give_back(wk);
        Ok(out)
    }

    fn adjoint(&mut self, gy: &[E], gx: &mut [E]) {
        let l = &self.layout;
        let [_, _, h, w] = self.shape;
        let nx = h * w;
        let mut wk = l.plan.work::<E>();
        let mut planes = std::mem::take(&mut self.planes);
        for (p, plane) in planes.iter_mut().enumerate() {
            let g = self.raw_grad(gy, p);
            let gxp = &mut gx[p * nx..(p + 1) * nx];
            // (the bands become their gradient: no buffer of their size is allocated)
            let g_pix = adjoint::adjoint_bands(l, &mut plane.y, &plane.saved, &g);
            l.plan.analyze_adjoint(&plane.y, gxp, &mut wk, &g_pix);
        }
        l.plan.give_back(wk);
    }
}

/// [`super::ps_statistics`] on the CPU.
pub(crate) fn ps_statistics<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    layout: &Arc<PsLayout>,
) -> Tensor<Shape4, E, Cpu, T> {
    let op = (E::pick(&MAKE))(layout.clone(), dims(&x));
    run1(x, op).expect("the statistics op refuses no values")
}

// (the statistics have no portable kernel: under `portable-cpu` they are unavailable)
#[cfg(all(test, not(feature = "portable-cpu")))]
mod tests {
    use dfdx::prelude::*;

    use crate::ops::pool::reuse_tensors;
    use crate::simulate::{Model, PortillaSimoncelli};
    use crate::tensor::Float;

    /// The statistics and their gradient (for a fixed seed) of a 128x128 image, bit for
    /// bit, computed on a pool of `threads` threads (inside a synthesis loop's buffer
    /// reuse with `reuse`, twice, so the second call reuses the first one's buffers).
    fn stats_and_grad<E: Float>(threads: usize, reuse: bool) -> (Vec<u64>, Vec<u64>)
    where
        Cpu: crate::Device<E>,
    {
        crate::ops::test_util::on_threads(threads, || {
            let _guard = reuse.then(reuse_tensors);
            let ps = PortillaSimoncelli::builder((128, 128))
                .n_scales(3)
                .build()
                .unwrap();
            let v = (0..128 * 128)
                .map(|i| E::of_f64(((i * 7919 % 251) as f64 / 251.0).sin()))
                .collect();
            let x = crate::tensor::image_from_vec(v, &[1, 1, 128, 128]).unwrap();
            let mut last = (vec![], vec![]);
            for _ in 0..if reuse { 2 } else { 1 } {
                let rep = ps.forward(x.leaky_trace()).unwrap();
                let r = rep.as_vec();
                let seed: Vec<E> = (0..r.len())
                    .map(|i| E::of_f64(((i % 13) as f64 - 6.0) / 7.0))
                    .collect();
                let g = crate::ops::backward_with(rep, seed)
                    .unwrap()
                    .get(&x)
                    .as_vec();
                let bits = |v: Vec<E>| v.iter().map(|a| a.as_f64().to_bits()).collect();
                last = (bits(r), bits(g));
            }
            last
        })
    }

    /// The statistics' pieces run whole on one thread each: the same bits on one, two or
    /// three threads, with and without buffer reuse.
    #[test]
    fn the_same_bits_on_any_number_of_threads() {
        let one = stats_and_grad::<f32>(1, false);
        for (threads, reuse) in [(2, false), (3, false), (2, true), (1, true)] {
            assert!(
                stats_and_grad::<f32>(threads, reuse) == one,
                "f32, {threads} threads, reuse {reuse}"
            );
        }
        let one = stats_and_grad::<f64>(1, false);
        assert!(stats_and_grad::<f64>(2, true) == one, "f64, 2 threads");
    }
}
