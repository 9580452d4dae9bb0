//! The CPU's ops: the crate's fused FFT and element-wise ops, or, when a test asks for
//! it ([`super::set_gpu_path_on_cpu`]), the GPU's portable ones.

use std::ops::Range;

use dfdx::prelude::{Cpu, Gradients, OwnedTape};

use super::reroute::{self, cvt, reroute1, reroute2};
use super::Device;
use crate::error::Result;
use crate::ops::gain::{Activation, Gain};
use crate::ops::portable;
use crate::ops::{Filter, PadMode};
use crate::tensor::{Float, Image, Tape};

impl<E: Float> Device<E> for Cpu {
    fn conv2d<T: Tape<E>>(x: Image<E, T>, filt: &Filter) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x => portable::conv2d(x, filt));
        }
        crate::ops::conv::conv2d_cpu(x, filt)
    }
    fn conv2d_same<T: Tape<E>>(
        x: Image<E, T>,
        filt: &Filter,
        mode: PadMode,
    ) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x => portable::conv2d_same(x, filt, mode));
        }
        crate::ops::conv::conv2d_same_cpu(x, filt, mode)
    }
    fn pad<T: Tape<E>>(x: Image<E, T>, pads: [usize; 4], mode: PadMode) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x => portable::pad(x, pads, mode));
        }
        crate::ops::pad::pad_cpu(x, pads, mode)
    }
    fn roll<T: Tape<E>>(x: Image<E, T>, shift: (isize, isize)) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x => portable::roll(x, shift));
        }
        Ok(crate::ops::roll::roll_cpu(x, shift))
    }
    fn select_channels<T: Tape<E>>(x: Image<E, T>, range: Range<usize>) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x => portable::select_channels(x, range.clone()));
        }
        crate::ops::channels::select_channels_cpu(x, range)
    }
    fn mask<T: Tape<E>>(x: Image<E, T>, mask: &[f64]) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x => portable::mask(x, mask));
        }
        crate::ops::channels::mask_cpu(x, mask)
    }
    fn map<T: Tape<E>>(x: Image<E, T>, f: impl Fn(E, usize) -> (E, E)) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x => portable::map(x, |v, c| {
                let (a, d) = f(cvt(v), c);
                (cvt(a), cvt(d))
            }));
        }
        Ok(crate::ops::pointwise::map_cpu(x, f))
    }
    fn map2<T: Tape<E>>(
        a: Image<E, T>,
        b: Image<E, T>,
        f: impl Fn(E, E, usize) -> (E, E, E),
    ) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute2!(Image<E, T>, a, b => portable::map2(a, b, |p, q, c| {
                let (v, dp, dq) = f(cvt(p), cvt(q), c);
                (cvt(v), cvt(dp), cvt(dq))
            }));
        }
        crate::ops::pointwise::map2_cpu(a, b, f)
    }
    fn map2_halves<T: Tape<E>>(
        x: Image<E, T>,
        f: impl Fn(E, E, usize) -> (E, E, E),
    ) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x => portable::map2_halves(x, |p, q, c| {
                let (v, dp, dq) = f(cvt(p), cvt(q), c);
                (cvt(v), cvt(dp), cvt(dq))
            }));
        }
        crate::ops::pointwise::map2_halves_cpu(x, f)
    }
    fn sum_squares<T: Tape<E>>(x: Image<E, T>) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x => portable::sum_squares(x));
        }
        Ok(crate::ops::reduce::sum_squares_cpu(x))
    }
    fn mse<T: Tape<E>>(a: Image<E, T>, b: Image<E, T>) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute2!(Image<E, T>, a, b => portable::mse(a, b));
        }
        crate::ops::reduce::mse_cpu(a, b)
    }
    fn gain<T: Tape<E>>(
        num: Image<E, T>,
        den: Image<E, T>,
        gain: Gain,
        scalars: &[f64],
        act: Activation,
    ) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute2!(Image<E, T>, num, den =>
                crate::ops::gain::gain_builtin(num, den, gain, scalars, act));
        }
        crate::ops::gain::gain_cpu(num, den, gain, scalars, act)
    }
    fn gain_halves<T: Tape<E>>(
        x: Image<E, T>,
        gain: Gain,
        scalars: &[f64],
        act: Activation,
    ) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x =>
                crate::ops::gain::gain_halves_builtin(x, gain, scalars, act));
        }
        crate::ops::gain::gain_halves_cpu(x, gain, scalars, act)
    }
    fn activate<T: Tape<E>>(x: Image<E, T>, act: Activation) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x => crate::ops::gain::activate_builtin(x, act));
        }
        Ok(crate::ops::gain::activate_cpu(x, act))
    }
    fn square<T: Tape<E>>(x: Image<E, T>) -> Result<Image<E, T>> {
        if reroute::on() {
            return reroute1!(Image<E, T>, x => x.try_square().map_err(portable::backend));
        }
        Ok(crate::ops::gain::square_cpu(x))
    }
    fn backward_with(y: Image<E, OwnedTape<E, Cpu>>, seed: Vec<E>) -> Result<Gradients<E, Cpu>> {
        if reroute::on() {
            use reroute::{concrete, generic, Concrete};
            return match concrete(y) {
                Concrete::F32Taped(y) => {
                    let s: Vec<f32> = seed.iter().map(|&v| cvt(v)).collect();
                    portable::backward_with(y, &s).map(generic::<Gradients<E, Cpu>, _>)
                }
                Concrete::F64Taped(y) => {
                    let s: Vec<f64> = seed.iter().map(|&v| cvt(v)).collect();
                    portable::backward_with(y, &s).map(generic::<Gradients<E, Cpu>, _>)
                }
                _ => unreachable!("a taped image"),
            };
        }
        crate::synthesize::autodiff::backward_with_cpu(y, seed)
    }
}
