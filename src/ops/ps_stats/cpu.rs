//! The CPU's statistics op: [`super::host`] per image plane in f64, on the tape.

use std::sync::Arc;

use dfdx::prelude::{Cpu, Tensor};

use super::{host, resolution, PsLayout};
use crate::ops::pool;
use crate::ops::tape::{record2, values};
use crate::tensor::{dims, Float, Shape4, Tape};

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

fn f64s<E: Float>(v: &[E]) -> Vec<f64> {
    v.iter().map(|a| a.as_f64()).collect()
}

/// [`super::ps_statistics`] on the CPU.
pub(crate) fn ps_statistics<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    bands: Tensor<Shape4, E, Cpu, T>,
    layout: &Arc<PsLayout>,
) -> Tensor<Shape4, E, Cpu, T> {
    let [b, c, h, w] = dims(&x);
    let mut l = (**layout).clone();
    l.resolution = resolution::<E>();
    let l = Arc::new(l);
    let (x, xv) = values(x);
    let (bands, yv) = values(bands);
    let (nx, ny, nk) = (h * w, l.bands_len, l.kept.len());
    let xs = Arc::new(f64s(&xv));
    let ys = Arc::new(f64s(&yv));
    drop((xv, yv));
    let mut out = pool::take(b * c * nk);
    for p in 0..b * c {
        let raw = host::forward(&l, &xs[p * nx..(p + 1) * nx], &ys[p * ny..(p + 1) * ny]);
        for (o, &i) in out[p * nk..(p + 1) * nk].iter_mut().zip(&l.kept) {
            *o = E::of_f64(raw[i]);
        }
    }
    // one adjoint computes both inputs' gradients; the first call keeps the second's
    let shared: Arc<std::sync::Mutex<Option<Vec<f64>>>> = Arc::default();
    let (l2, xs2, ys2, sh2) = (l.clone(), xs.clone(), ys.clone(), shared.clone());
    let both = move |gy: &[E]| -> (Vec<f64>, Vec<f64>) {
        let mut gx = vec![0.0; b * c * nx];
        let mut gb = vec![0.0; b * c * ny];
        for p in 0..b * c {
            let mut g = vec![0.0; l2.raw_len()];
            for (k, &i) in l2.kept.iter().enumerate() {
                g[i] = gy[p * nk + k].as_f64();
            }
            host::adjoint(
                &l2,
                &xs2[p * nx..(p + 1) * nx],
                &ys2[p * ny..(p + 1) * ny],
                &g,
                &mut gx[p * nx..(p + 1) * nx],
                &mut gb[p * ny..(p + 1) * ny],
            );
        }
        (gx, gb)
    };
    let both = Arc::new(both);
    let both2 = both.clone();
    let sh1 = shared;
    record2(
        x,
        bands,
        out,
        (b, c, 1, nk),
        move |gy, gx| {
            let (a, bb) = both(gy);
            *sh1.lock().expect("lock") = Some(bb);
            for (t, v) in gx.iter_mut().zip(a) {
                *t += E::of_f64(v);
            }
        },
        move |gy, gb| {
            let v = match sh2.lock().expect("lock").take() {
                Some(v) => v,
                None => both2(gy).1,
            };
            for (t, v) in gb.iter_mut().zip(v) {
                *t += E::of_f64(v);
            }
        },
    )
}
