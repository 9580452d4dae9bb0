//! Finite-difference gradient checks in f64 (relative error < 1e-6) for every op and every
//! model, and adjoint identities `<A x, y> = <x, A^T y>` for the linear ops. Each op is
//! wrapped in a small `Model`, so one checker (tests/core_common) serves them all.

mod common;

use common::reference::{adjoint_pair, all_modes, grad_check, linear_modes, rand_image};
use dfdx::prelude::WithEmptyTape;
use plenoptic as po;
use po::ops;
use po::simulate::{
    Activation, CenterSurround, Gaussian, LinearNonlinear, LuminanceContrastGainControl,
    LuminanceGainControl, OnOff,
};
use po::tools::Filter;
use po::{Device, Float, Image, Model, PadMode, Result, Tape};

const TOL: f64 = 1e-6;

fn assert_grad<M: Model>(m: &M, shape: [usize; 4], lo: f64, hi: f64, what: &str) {
    for seed in [1u64, 2] {
        let x = rand_image(seed * 17, shape, lo, hi);
        let err = grad_check(m, &x, seed * 31);
        assert!(err < TOL, "{what}: relative error {err}");
    }
}

/// Checks a linear model's tape adjoint; `Constant` fills other than 0 are affine, so
/// those are skipped.
fn assert_adjoint<M: Model>(m: &M, shape: [usize; 4], what: &str) {
    let x = rand_image(3, shape, -1.0, 1.0);
    let (a, b) = adjoint_pair(m, &x, 4);
    assert!(
        (a - b).abs() <= 1e-12 * a.abs().max(1.0),
        "{what}: <Ax,y> = {a}, <x,A^T y> = {b}"
    );
}

struct Pad([usize; 4], PadMode);
impl Model for Pad {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::pad(x, self.0, self.1)
    }
}

struct Conv(Filter);
impl Model for Conv {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::conv2d(x, &self.0)
    }
}

struct ConvSame(Filter, PadMode);
impl Model for ConvSame {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::conv2d_same(x, &self.0, self.1)
    }
}

struct Roll((isize, isize));
impl Model for Roll {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::roll(x, self.0)
    }
}

struct Select(std::ops::Range<usize>);
impl Model for Select {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::select_channels(x, self.0.clone())
    }
}

struct Mask(Vec<f64>);
impl Model for Mask {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::mask(x, &self.0)
    }
}

/// A nonlinear map with a per-channel parameter.
struct Map;
impl Model for Map {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::map(x, |v, c| {
            let k = E::of_f64(1.0 + c as f64);
            let s = (k * v).sin();
            (s * v, (k * v).cos() * k * v + s)
        })
    }
}

/// map2 of the two channels of a 2-channel image (both derivatives reach the input).
struct Map2;
impl Model for Map2 {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let a = ops::select_channels(x.with_empty_tape(), 0..1)?;
        let b = ops::select_channels(x, 1..2)?;
        ops::map2(a, b, |a, b, _| (a * b.exp(), b.exp(), a * b.exp()))
    }
}

struct Map2Halves;
impl Model for Map2Halves {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::map2_halves(x, |a, b, c| {
            let k = E::of_f64(2.0 + c as f64);
            let d = k + b * b;
            (a / d, E::one() / d, -a * (b + b) / (d * d))
        })
    }
}

struct Softplus;
impl Model for Softplus {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::map(x, |v, _| ops::softplus(v))
    }
}

struct Mse;
impl Model for Mse {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let a = ops::select_channels(x.with_empty_tape(), 0..1)?;
        let b = ops::select_channels(x, 1..2)?;
        ops::mse(a, b)
    }
}

struct SumSquares;
impl Model for SumSquares {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::sum_squares(x)
    }
}

fn filter(seed: u64, shape: [usize; 4]) -> Filter {
    Filter::new(
        common::reference::rand_vec(seed, shape.iter().product(), -1.0, 1.0),
        shape,
    )
    .unwrap()
}

#[test]
fn pad_gradients_and_adjoint_in_every_mode() {
    for (mode, lin) in all_modes().into_iter().zip(linear_modes()) {
        for pads in [[2, 3, 1, 4], [0, 5, 3, 0]] {
            assert_grad(
                &Pad(pads, mode),
                [2, 2, 7, 6],
                -1.0,
                1.0,
                &format!("pad {mode:?}"),
            );
            assert_adjoint(&Pad(pads, lin), [2, 2, 7, 6], &format!("pad {lin:?}"));
        }
    }
}

#[test]
fn conv2d_gradients_and_adjoint() {
    let cases = [
        (filter(1, [1, 1, 4, 5]), [2, 1, 12, 13]),
        // several output channels from one input
        (filter(2, [3, 1, 5, 3]), [2, 1, 12, 13]),
        // multi-channel input, one group
        (filter(3, [2, 3, 3, 4]), [2, 3, 12, 13]),
        // grouped: 2 channels, one filter each (as OnOff's contrast blur)
        (filter(4, [2, 1, 5, 5]), [2, 2, 12, 13]),
        // 4 input channels in 2 groups of 2, 2 outputs per group
        (filter(5, [4, 2, 3, 3]), [1, 4, 12, 13]),
        // kernel as large as the image
        (filter(6, [1, 1, 12, 13]), [2, 1, 12, 13]),
    ];
    for (f, shape) in cases {
        let what = format!("conv2d {:?} on {shape:?}", f.shape());
        assert_grad(&Conv(f.clone()), shape, -1.0, 1.0, &what);
        assert_adjoint(&Conv(f), shape, &what);
    }
}

#[test]
fn conv2d_same_gradients_and_adjoint_in_every_mode() {
    for (mode, lin) in all_modes().into_iter().zip(linear_modes()) {
        for (f, shape) in [
            (filter(7, [2, 1, 5, 4]), [2, 1, 12, 13]),
            (filter(8, [2, 1, 7, 7]), [1, 2, 12, 13]),
            // fast sizes: circular padding becomes a circular convolution
            (filter(9, [1, 1, 5, 6]), [2, 1, 16, 12]),
            (filter(10, [1, 1, 15, 9]), [1, 1, 8, 10]),
        ] {
            if mode == PadMode::Reflect && shape[2] <= 7 {
                continue; // reflect needs pads smaller than the image
            }
            let what = format!("conv2d_same {mode:?} {:?} on {shape:?}", f.shape());
            assert_grad(&ConvSame(f.clone(), mode), shape, -1.0, 1.0, &what);
            assert_adjoint(&ConvSame(f, lin), shape, &what);
        }
    }
}

#[test]
fn pointwise_gradients() {
    assert_grad(&Map, [2, 2, 5, 6], -2.0, 2.0, "map");
    assert_grad(&Map2, [2, 2, 5, 6], -1.0, 1.0, "map2");
    assert_grad(&Map2Halves, [2, 4, 5, 6], -1.0, 1.0, "map2_halves");
    assert_grad(&Softplus, [2, 1, 5, 6], -30.0, 30.0, "softplus");
    assert_grad(
        &Mask(common::reference::rand_vec(3, 30, 0.0, 1.0)),
        [2, 2, 5, 6],
        -1.0,
        1.0,
        "mask",
    );
    assert_adjoint(
        &Mask(common::reference::rand_vec(3, 30, 0.0, 1.0)),
        [2, 2, 5, 6],
        "mask",
    );
}

#[test]
fn roll_select_and_reduction_gradients() {
    for shift in [(1, -2), (-7, 15), (0, 0)] {
        assert_grad(&Roll(shift), [2, 2, 5, 6], -1.0, 1.0, "roll");
        assert_adjoint(&Roll(shift), [2, 2, 5, 6], "roll");
    }
    assert_grad(&Select(1..3), [2, 4, 5, 6], -1.0, 1.0, "select_channels");
    assert_adjoint(&Select(1..3), [2, 4, 5, 6], "select_channels");
    assert_grad(&Mse, [2, 2, 5, 6], -1.0, 1.0, "mse");
    assert_grad(&SumSquares, [2, 2, 5, 6], -1.0, 1.0, "sum_squares");
}

#[test]
fn linear_model_gradients_in_every_mode() {
    for (mode, lin) in all_modes().into_iter().zip(linear_modes()) {
        let g = Gaussian::builder((5, 4)).std([1.0, 2.5]);
        let gm = g.clone().pad_mode(mode).build().unwrap();
        assert_grad(&gm, [2, 1, 12, 13], 0.0, 1.0, &format!("Gaussian {mode:?}"));
        assert_adjoint(
            &g.pad_mode(lin).build().unwrap(),
            [2, 1, 12, 13],
            &format!("Gaussian {lin:?}"),
        );
        let cs = CenterSurround::builder((6, 5)).on_center(vec![true, false]);
        let csm = cs.clone().pad_mode(mode).build().unwrap();
        assert_grad(
            &csm,
            [2, 1, 12, 13],
            0.0,
            1.0,
            &format!("CenterSurround {mode:?}"),
        );
        assert_adjoint(
            &cs.pad_mode(lin).build().unwrap(),
            [2, 1, 12, 13],
            &format!("CenterSurround {lin:?}"),
        );
    }
}

#[test]
fn frontend_model_gradients_in_every_mode() {
    po::tools::set_seed(2);
    for mode in all_modes() {
        let ln = LinearNonlinear::builder((5, 5))
            .pad_mode(mode)
            .build()
            .unwrap();
        assert_grad(
            &ln,
            [2, 1, 12, 13],
            0.0,
            1.0,
            &format!("LinearNonlinear {mode:?}"),
        );
        let lgc = LuminanceGainControl::builder((7, 6))
            .pad_mode(mode)
            .build()
            .unwrap();
        assert_grad(
            &lgc,
            [2, 1, 12, 13],
            0.0,
            1.0,
            &format!("LuminanceGainControl {mode:?}"),
        );
        let lcgc = LuminanceContrastGainControl::builder((5, 6))
            .pad_mode(mode)
            .build()
            .unwrap();
        assert_grad(
            &lcgc,
            [2, 1, 12, 13],
            0.0,
            1.0,
            &format!("LuminanceContrastGainControl {mode:?}"),
        );
        for mask in [false, true] {
            let oo = OnOff::builder((5, 5))
                .pad_mode(mode)
                .apply_mask(mask)
                .build()
                .unwrap();
            assert_grad(
                &oo,
                [2, 1, 12, 13],
                0.0,
                1.0,
                &format!("OnOff {mode:?} mask {mask}"),
            );
        }
    }
}

#[test]
fn pretrained_model_gradients() {
    let shape = [2, 1, 16, 17];
    for mode in [PadMode::Circular, PadMode::Reflect] {
        let ln = LinearNonlinear::builder((31, 31))
            .pretrained(true)
            .pad_mode(mode)
            .build()
            .unwrap();
        assert_grad(&ln, shape, 0.0, 1.0, "pretrained LinearNonlinear");
        let lgc = LuminanceGainControl::builder((31, 31))
            .pretrained(true)
            .pad_mode(mode)
            .build()
            .unwrap();
        assert_grad(&lgc, shape, 0.0, 1.0, "pretrained LuminanceGainControl");
        let lcgc = LuminanceContrastGainControl::builder((31, 31))
            .pretrained(true)
            .pad_mode(mode)
            .build()
            .unwrap();
        assert_grad(
            &lcgc,
            shape,
            0.0,
            1.0,
            "pretrained LuminanceContrastGainControl",
        );
        let oo = OnOff::builder((31, 31))
            .pretrained(true)
            .pad_mode(mode)
            .build()
            .unwrap();
        assert_grad(&oo, shape, 0.0, 1.0, "pretrained OnOff");
    }
    let relu_free = LinearNonlinear::builder((5, 5))
        .activation(Activation::Identity)
        .build()
        .unwrap();
    assert_adjoint(
        &relu_free,
        [2, 1, 12, 13],
        "LinearNonlinear without activation",
    );
}

struct SepMap(ops::SeparableMap);
impl Model for SepMap {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::separable_map(x, &self.0)
    }
}

struct Expand(usize, usize);
impl Model for Expand {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        ops::expand(x, self.0, self.1)
    }
}

#[test]
fn separable_map_and_expand_gradients_and_adjoint() {
    let maps = [
        ops::SeparableMap::correlate(
            (9, 12),
            &[0.2, 0.5, 0.3],
            &[0.1, 0.2, 0.4, 0.2, 0.1],
            Some(PadMode::Reflect),
            2,
        ),
        ops::SeparableMap::correlate(
            (9, 12),
            &[1.0, 2.0, 1.0],
            &[0.5, 0.5],
            Some(PadMode::Circular),
            1,
        ),
        ops::SeparableMap::correlate((9, 12), &[1.0, -1.0], &[0.3, 0.3, 0.4], None, 1),
        ops::SeparableMap::plane_mean((9, 12)),
    ];
    for m in maps {
        let m = SepMap(m.unwrap());
        assert_grad(&m, [2, 2, 9, 12], -1.0, 1.0, "separable_map");
        assert_adjoint(&m, [2, 2, 9, 12], "separable_map");
    }
    for shape in [[1, 1, 5, 6], [2, 1, 5, 6], [1, 3, 5, 6]] {
        assert_grad(&Expand(2, 3), shape, -1.0, 1.0, "expand");
        assert_adjoint(&Expand(2, 3), shape, "expand");
    }
}
