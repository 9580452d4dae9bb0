//! The CPU's spectral op: host FFTs in the element type ([`super::SpectralPlan`]),
//! recorded on the tape with their adjoints through [`HostOp1`].

use std::sync::Arc;

use dfdx::prelude::{Cpu, Tensor};

use super::SpectralPlan;
use crate::ops::pool::{self, Pooled};
use crate::ops::tape::{run1, HostOp1};
use crate::tensor::{dims, ByFloat, Float, PerFloat, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::SpectralKernel<E> for Cpu {
    fn spectral_analysis<T: Tape<E>>(
        x: crate::Image<E, T>,
        plan: &Arc<SpectralPlan>,
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(analysis(x, plan))
    }

    fn spectral_synthesis<T: Tape<E>>(
        y: crate::Image<E, T>,
        plan: &Arc<SpectralPlan>,
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(synthesis(y, plan))
    }
}

/// The op's constructor for each element type, compiled here (see [`HostOp1`]).
struct Maker;
impl PerFloat for Maker {
    type Of<E: Float> = fn(Arc<SpectralPlan>, [usize; 4], bool) -> Box<dyn HostOp1<E>>;
}

static MAKE: ByFloat<Maker> = ByFloat {
    single: make::<f32>,
    double: make::<f64>,
};

fn make<E: Float>(plan: Arc<SpectralPlan>, shape: [usize; 4], synth: bool) -> Box<dyn HostOp1<E>> {
    Box::new(Spectral { plan, shape, synth })
}

/// The analysis (image to bands) or, with `synth`, the synthesis (bands to image) of
/// `plan` on inputs of `shape`.
struct Spectral {
    plan: Arc<SpectralPlan>,
    shape: [usize; 4],
    synth: bool,
}

impl Spectral {
    /// Input and output values per image plane.
    fn sizes(&self) -> (usize, usize) {
        let (n_img, n_bands) = (self.plan.h * self.plan.w, self.plan.len());
        if self.synth {
            (n_bands, n_img)
        } else {
            (n_img, n_bands)
        }
    }
}

impl<E: Float> HostOp1<E> for Spectral {
    fn out_shape(&self) -> Shape4 {
        let [b, c, _, _] = self.shape;
        if self.synth {
            (b, c, self.plan.h, self.plan.w)
        } else {
            self.plan.out_shape(b, c)
        }
    }

    fn forward(&mut self, x: Pooled<E>, _grad: bool) -> crate::Result<Pooled<E>> {
        let [b, c, _, _] = self.shape;
        let (n_in, n_out) = self.sizes();
        let mut out = pool::take(b * c * n_out);
        let mut wk = self.plan.work::<E>();
        for p in 0..b * c {
            let x = &x[p * n_in..(p + 1) * n_in];
            let o = &mut out[p * n_out..(p + 1) * n_out];
            if self.synth {
                self.plan.synthesize(x, o, &mut wk);
            } else {
                self.plan.analyze(x, o, &mut wk);
            }
        }
        self.plan.give_back(wk);
        Ok(out)
    }

    fn adjoint(&mut self, gy: &[E], gx: &mut [E]) {
        let [b, c, _, _] = self.shape;
        let (n_in, n_out) = self.sizes();
        let mut wk = self.plan.work::<E>();
        for p in 0..b * c {
            let (g, o) = (
                &gy[p * n_out..(p + 1) * n_out],
                &mut gx[p * n_in..(p + 1) * n_in],
            );
            if self.synth {
                self.plan.synthesize_adjoint(g, o, &mut wk);
            } else {
                self.plan.analyze_adjoint(g, o, &mut wk, &[]);
            }
        }
        self.plan.give_back(wk);
    }
}

/// [`super::spectral_analysis`] on the CPU.
pub(crate) fn analysis<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    plan: &Arc<SpectralPlan>,
) -> Tensor<Shape4, E, Cpu, T> {
    let op = (E::pick(&MAKE))(plan.clone(), dims(&x), false);
    run1(x, op).expect("the spectral op refuses no values")
}

/// [`super::spectral_synthesis`] on the CPU.
pub(crate) fn synthesis<E: Float, T: Tape<E>>(
    y: Tensor<Shape4, E, Cpu, T>,
    plan: &Arc<SpectralPlan>,
) -> Tensor<Shape4, E, Cpu, T> {
    let op = (E::pick(&MAKE))(plan.clone(), dims(&y), true);
    run1(y, op).expect("the spectral op refuses no values")
}
