//! The CPU's statistics op: [`super::host`] per image plane in f64, recorded on the tape
//! through [`HostOp2`]. The forward keeps the intermediates its adjoint needs.

use std::sync::Arc;

use dfdx::prelude::{Cpu, Tensor};

use super::buffers::{self, Buf};
use super::{adjoint, host, resolution, PsLayout};
use crate::ops::pool::{self, Pooled};
use crate::ops::tape::{run2, HostOp2};
use crate::tensor::{dims, ByFloat, Float, PerFloat, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::PsStatsKernel<E> for Cpu {
    fn ps_statistics<T: Tape<E>>(
        x: crate::Image<E, T>,
        bands: crate::Image<E, T>,
        layout: &Arc<PsLayout>,
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(ps_statistics(x, bands, layout))
    }
}

/// The op's constructor for each element type, compiled here (see [`HostOp2`]).
struct Maker;
impl PerFloat for Maker {
    type Of<E: Float> = fn(Arc<PsLayout>, [usize; 4]) -> Box<dyn HostOp2<E>>;
}

static MAKE: ByFloat<Maker> = ByFloat {
    single: make::<f32>,
    double: make::<f64>,
};

fn make<E: Float>(layout: Arc<PsLayout>, shape: [usize; 4]) -> Box<dyn HostOp2<E>> {
    let mut l = (*layout).clone();
    l.resolution = resolution::<E>();
    Box::new(Stats::<E> {
        layout: l,
        shape,
        planes: Vec::new(),
    })
}

/// One image plane's image in f64, its bands, and what its forward kept.
struct Plane<E: Float> {
    x: Buf,
    y: Pooled<E>,
    saved: host::Saved,
}

/// The statistics of images of `shape` (batch, channel, h, w).
struct Stats<E: Float> {
    layout: PsLayout,
    shape: [usize; 4],
    planes: Vec<Plane<E>>,
}

impl<E: Float> Stats<E> {
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

impl<E: Float> HostOp2<E> for Stats<E> {
    fn out_shape(&self) -> Shape4 {
        let [b, c, _, _] = self.shape;
        (b, c, 1, self.layout.kept.len())
    }

    fn forward(&mut self, xv: Pooled<E>, yv: &[E], grad: bool) -> crate::Result<Pooled<E>> {
        let [b, c, h, w] = self.shape;
        let l = &self.layout;
        let (nx, ny, nk) = (h * w, l.bands_len, l.kept.len());
        let mut out = pool::take(b * c * nk);
        for p in 0..b * c {
            let x = buffers::collect(nx, xv[p * nx..(p + 1) * nx].iter().map(|v| v.as_f64()));
            let y = &yv[p * ny..(p + 1) * ny];
            let (raw, saved) = host::forward(l, &x, y);
            for (o, &i) in out[p * nk..(p + 1) * nk].iter_mut().zip(&l.kept) {
                *o = E::of_f64(raw[i]);
            }
            if grad {
                let mut yk = pool::take(ny);
                yk.copy_from_slice(y);
                self.planes.push(Plane { x, y: yk, saved });
            }
        }
        Ok(out)
    }

    fn adjoint_a(&self, gy: &[E], ga: &mut [E]) {
        let [_, _, h, w] = self.shape;
        let nx = h * w;
        for (p, plane) in self.planes.iter().enumerate() {
            let g = self.raw_grad(gy, p);
            adjoint::adjoint_image(&plane.x, &g, &mut ga[p * nx..(p + 1) * nx]);
        }
    }

    fn adjoint_b(&self, gy: &[E], gb: &mut [E]) {
        let l = &self.layout;
        let ny = l.bands_len;
        let mut t = pool::take(ny);
        for (p, plane) in self.planes.iter().enumerate() {
            let g = self.raw_grad(gy, p);
            adjoint::adjoint_bands(l, &plane.y, &plane.saved, &g, &mut t);
            for (a, v) in gb[p * ny..(p + 1) * ny].iter_mut().zip(t.iter()) {
                *a += *v;
            }
        }
    }
}

/// [`super::ps_statistics`] on the CPU.
pub(crate) fn ps_statistics<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    bands: Tensor<Shape4, E, Cpu, T>,
    layout: &Arc<PsLayout>,
) -> Tensor<Shape4, E, Cpu, T> {
    let op = (E::pick(&MAKE))(layout.clone(), dims(&x));
    run2(x, bands, op).expect("the statistics op refuses no values")
}
