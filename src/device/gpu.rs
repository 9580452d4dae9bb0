//! The GPU's ops (`cuda` feature): every op is built from dfdx's own tensor operations
//! (`ops::portable`, `ops::gain`'s builtins), which dfdx runs with its CUDA kernels and
//! cuBLAS.

use std::ops::Range;

use dfdx::prelude::{Gradients, OwnedTape};

use super::{Device, Gpu};
use crate::error::Result;
use crate::ops::gain::{Activation, Gain};
use crate::ops::{Filter, PadMode};
use crate::tensor::{Image, Tape};

/// The GPU: every op is built from dfdx's own tensor operations (see `ops::portable`),
/// which dfdx runs with its CUDA kernels and cuBLAS. `map`, `map2` and `map2_halves`
/// evaluate their closures on the host (a copy each way).
macro_rules! gpu_device {
    ($e:ty) => {
        impl Device<$e> for Gpu {
            fn conv2d<T: Tape<$e, Gpu>>(x: Image<$e, T, Gpu>, filt: &Filter) -> Result<Image<$e, T, Gpu>> {
                crate::ops::portable::conv2d(x, filt)
            }
            fn conv2d_same<T: Tape<$e, Gpu>>(
                x: Image<$e, T, Gpu>,
                filt: &Filter,
                mode: PadMode,
            ) -> Result<Image<$e, T, Gpu>> {
                crate::ops::portable::conv2d_same(x, filt, mode)
            }
            fn pad<T: Tape<$e, Gpu>>(
                x: Image<$e, T, Gpu>,
                pads: [usize; 4],
                mode: PadMode,
            ) -> Result<Image<$e, T, Gpu>> {
                crate::ops::portable::pad(x, pads, mode)
            }
            fn roll<T: Tape<$e, Gpu>>(
                x: Image<$e, T, Gpu>,
                shift: (isize, isize),
            ) -> Result<Image<$e, T, Gpu>> {
                crate::ops::portable::roll(x, shift)
            }
            fn select_channels<T: Tape<$e, Gpu>>(
                x: Image<$e, T, Gpu>,
                range: Range<usize>,
            ) -> Result<Image<$e, T, Gpu>> {
                crate::ops::portable::select_channels(x, range)
            }
            fn mask<T: Tape<$e, Gpu>>(x: Image<$e, T, Gpu>, mask: &[f64]) -> Result<Image<$e, T, Gpu>> {
                crate::ops::portable::mask(x, mask)
            }
            fn map<T: Tape<$e, Gpu>>(
                x: Image<$e, T, Gpu>,
                f: impl Fn($e, usize) -> ($e, $e),
            ) -> Result<Image<$e, T, Gpu>> {
                crate::ops::portable::map(x, f)
            }
            fn map2<T: Tape<$e, Gpu>>(
                a: Image<$e, T, Gpu>,
                b: Image<$e, T, Gpu>,
                f: impl Fn($e, $e, usize) -> ($e, $e, $e),
            ) -> Result<Image<$e, T, Gpu>> {
                crate::ops::portable::map2(a, b, f)
            }
            fn map2_halves<T: Tape<$e, Gpu>>(
                x: Image<$e, T, Gpu>,
                f: impl Fn($e, $e, usize) -> ($e, $e, $e),
            ) -> Result<Image<$e, T, Gpu>> {
                crate::ops::portable::map2_halves(x, f)
            }
            fn sum_squares<T: Tape<$e, Gpu>>(x: Image<$e, T, Gpu>) -> Result<Image<$e, T, Gpu>> {
                crate::ops::portable::sum_squares(x)
            }
            fn mse<T: Tape<$e, Gpu>>(
                a: Image<$e, T, Gpu>,
                b: Image<$e, T, Gpu>,
            ) -> Result<Image<$e, T, Gpu>> {
                crate::ops::portable::mse(a, b)
            }
            fn gain<T: Tape<$e, Gpu>>(
                num: Image<$e, T, Gpu>,
                den: Image<$e, T, Gpu>,
                gain: Gain,
                scalars: &[f64],
                act: Activation,
            ) -> Result<Image<$e, T, Gpu>> {
                crate::ops::gain::gain_builtin(num, den, gain, scalars, act)
            }
            fn gain_halves<T: Tape<$e, Gpu>>(
                x: Image<$e, T, Gpu>,
                gain: Gain,
                scalars: &[f64],
                act: Activation,
            ) -> Result<Image<$e, T, Gpu>> {
                crate::ops::gain::gain_halves_builtin(x, gain, scalars, act)
            }
            fn activate<T: Tape<$e, Gpu>>(
                x: Image<$e, T, Gpu>,
                act: Activation,
            ) -> Result<Image<$e, T, Gpu>> {
                crate::ops::gain::activate_builtin(x, act)
            }
            fn square<T: Tape<$e, Gpu>>(x: Image<$e, T, Gpu>) -> Result<Image<$e, T, Gpu>> {
                x.try_square().map_err(crate::ops::portable::backend)
            }
            fn backward_with(
                y: Image<$e, OwnedTape<$e, Gpu>, Gpu>,
                seed: Vec<$e>,
            ) -> Result<Gradients<$e, Gpu>> {
                crate::ops::portable::backward_with(y, &seed)
            }
        }
    };
}
gpu_device!(f32);
gpu_device!(f64);
