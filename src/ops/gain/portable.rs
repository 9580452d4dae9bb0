//! The portable gain steps: the same formulas from dfdx operations.

use dfdx::prelude::{HasShape, PutTape, SplitTape, Tensor};
use dfdx::shapes::Axes3;
use dfdx::tensor_ops::BroadcastTo;

use super::{scalar_for, Activation, Gain};
use crate::error::Result;
use crate::ops::backend::backend;
use crate::tensor::{dims, Float, Shape4};

/// [`GainKernel`] by the portable functions of this file (the GPU's, and the CPU's under
/// the `portable-cpu` feature).
#[allow(unused_macros)]
macro_rules! portable_kernel {
    ($dev:ty, $e:ty) => {
        impl super::GainKernel<$e> for $dev {
            fn gain<T: crate::Tape<$e, $dev>>(
                num: crate::Image<$e, T, $dev>,
                den: crate::Image<$e, T, $dev>,
                gain: super::Gain,
                scalars: &[f64],
                act: super::Activation,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                self::gain(num, den, gain, scalars, act)
            }
            fn gain_halves<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                gain: super::Gain,
                scalars: &[f64],
                act: super::Activation,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                self::gain_halves(x, gain, scalars, act)
            }
            fn activate<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
                act: super::Activation,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                self::activate(x, act)
            }
            fn square<T: crate::Tape<$e, $dev>>(
                x: crate::Image<$e, T, $dev>,
            ) -> crate::Result<crate::Image<$e, T, $dev>> {
                self::square(x)
            }
        }
    };
}
crate::ops::on_portable_devices!(portable_kernel);

/// `x * x` from dfdx operations.
pub(crate) fn square<E, D, T>(x: Any4<E, D, T>) -> Result<Any4<E, D, T>>
where
    E: Float,
    D: dfdx::tensor_ops::Device<E>,
    T: dfdx::tensor::Tape<E, D>,
{
    x.try_square().map_err(backend("square"))
}

/// A tensor of the crate's 4-D shape on any dfdx device.
type Any4<E, D, T> = Tensor<Shape4, E, D, T>;

/// `act(x)` from dfdx operations.
pub(crate) fn activate<E, D, T>(x: Any4<E, D, T>, act: Activation) -> Result<Any4<E, D, T>>
where
    E: Float,
    D: dfdx::tensor_ops::Device<E>,
    T: dfdx::tensor::Tape<E, D>,
{
    match act {
        Activation::Identity => Ok(x),
        Activation::Relu => x.try_relu().map_err(backend("activation")),
        Activation::Softplus => crate::ops::pointwise::softplus_portable(x),
    }
}

/// `act(gain(num, den))` from dfdx operations (the CPU fuses it).
pub(crate) fn gain<E, D, T>(
    num: Any4<E, D, T>,
    den: Any4<E, D, T>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Any4<E, D, T>>
where
    E: Float,
    D: dfdx::tensor_ops::Device<E>,
    T: dfdx::tensor::Tape<E, D>,
{
    let shape = *num.shape();
    crate::ops::checks::same_shape("element-wise op on", dims(&num), dims(&den))?;
    scalar_for(scalars, shape.1)?;
    let den = match gain {
        Gain::Luminance => den,
        Gain::Contrast => den.clamp(1e-30, 1e30).sqrt() + E::of_f64(1e-6),
    };
    let scaled = if scalars.len() == 1 || scalars.iter().all(|&v| v == scalars[0]) {
        den * E::of_f64(scalars[0])
    } else {
        let s: Vec<E> = scalars.iter().map(|&v| E::of_f64(v)).collect();
        let st = num.device().tensor_from_vec(s, (shape.1,));
        den * st.broadcast_like::<Shape4, Axes3<0, 2, 3>>(&shape)
    };
    activate(num / (scaled + E::one()), act)
}

/// [`gain`] with `num` the first half of the channels of `x` and `den` the second.
pub(crate) fn gain_halves<E, D, T>(
    x: Any4<E, D, T>,
    gain: Gain,
    scalars: &[f64],
    act: Activation,
) -> Result<Any4<E, D, T>>
where
    E: Float,
    D: dfdx::tensor_ops::Device<E>,
    T: dfdx::tensor::Tape<E, D>,
{
    let c2 = dims(&x)[1];
    let half = crate::ops::checks::halves(c2)?;
    // x feeds both halves: the first carries the tape, the second gets an empty one that
    // the division merges back
    let (x, tape) = x.split_tape();
    let num = crate::ops::channels::select_channels_portable(x.clone().put_tape(tape), 0..half)?;
    let (num, tape) = num.split_tape();
    let den = crate::ops::channels::select_channels_portable(x.put_tape(tape), half..c2)?;
    let (den, tape) = den.split_tape();
    self::gain(
        num.put_tape(tape),
        den.put_tape(T::default()),
        gain,
        scalars,
        act,
    )
}
