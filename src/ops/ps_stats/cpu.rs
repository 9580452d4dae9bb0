//! The CPU's statistics op: [`super::host`] per image plane in f64, recorded on the tape
//! through [`HostOp2`]. The forward keeps the intermediates its adjoint needs.

use std::sync::{Arc, Mutex};

use dfdx::prelude::{Cpu, Tensor};

use super::buffers::{self, Buf};
use super::{host, resolution, PsLayout};
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
    Box::new(Stats {
        layout: l,
        shape,
        planes: Vec::new(),
        pending: Mutex::new(Pending::default()),
    })
}

/// One image plane's inputs in f64 and what its forward kept.
struct Plane {
    x: Buf,
    y: Buf,
    saved: host::Saved,
}

/// The gradient of the input whose adjoint has not run yet (one adjoint computes both).
#[derive(Default)]
struct Pending {
    image: Option<Buf>,
    bands: Option<Buf>,
}

/// The statistics of images of `shape` (batch, channel, h, w).
struct Stats {
    layout: PsLayout,
    shape: [usize; 4],
    planes: Vec<Plane>,
    pending: Mutex<Pending>,
}

impl Stats {
    /// Both inputs' gradients for the output's gradient `gy`.
    fn both<E: Float>(&self, gy: &[E]) -> (Buf, Buf) {
        let l = &self.layout;
        let [b, c, h, w] = self.shape;
        let (nx, ny, nk) = (h * w, l.bands_len, l.kept.len());
        let mut gx = buffers::zeros(b * c * nx);
        let mut gb = buffers::zeros(b * c * ny);
        let mut g = vec![0.0; l.raw_len()];
        for (p, plane) in self.planes.iter().enumerate() {
            g.iter_mut().for_each(|v| *v = 0.0);
            for (k, &i) in l.kept.iter().enumerate() {
                g[i] = gy[p * nk + k].as_f64();
            }
            host::adjoint(
                l,
                &plane.x,
                &plane.y,
                &plane.saved,
                &g,
                &mut gx[p * nx..(p + 1) * nx],
                &mut gb[p * ny..(p + 1) * ny],
            );
        }
        (gx, gb)
    }
}

fn add_into<E: Float>(g: &mut [E], v: &[f64]) {
    for (t, v) in g.iter_mut().zip(v) {
        *t += E::of_f64(*v);
    }
}

impl<E: Float> HostOp2<E> for Stats {
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
            let y = buffers::collect(ny, yv[p * ny..(p + 1) * ny].iter().map(|v| v.as_f64()));
            let (raw, saved) = host::forward(l, &x, &y);
            for (o, &i) in out[p * nk..(p + 1) * nk].iter_mut().zip(&l.kept) {
                *o = E::of_f64(raw[i]);
            }
            if grad {
                self.planes.push(Plane { x, y, saved });
            }
        }
        Ok(out)
    }

    fn adjoint_a(&self, gy: &[E], ga: &mut [E]) {
        let taken = self.pending.lock().expect("lock").image.take();
        let v = taken.unwrap_or_else(|| {
            let (gx, gb) = self.both(gy);
            self.pending.lock().expect("lock").bands = Some(gb);
            gx
        });
        add_into(ga, &v);
    }

    fn adjoint_b(&self, gy: &[E], gb: &mut [E]) {
        let taken = self.pending.lock().expect("lock").bands.take();
        let v = taken.unwrap_or_else(|| {
            let (gx, gb) = self.both(gy);
            self.pending.lock().expect("lock").image = Some(gx);
            gb
        });
        add_into(gb, &v);
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
