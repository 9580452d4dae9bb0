//! Tests of the portable kernels (`ops/<op>/portable.rs`) on `Cpu` against the fused CPU
//! kernels (`ops/<op>/cpu.rs`), both called directly (so they compare the two in every
//! build, `portable-cpu` or not): values and gradients (of a random linear functional) in
//! f64 and f32, and the same errors. `cargo test --lib ops::portable_tests -- --nocapture`
//! prints the largest errors seen.

use dfdx::prelude::{Cpu, SumTo, TensorFromVec, Trace, ZerosTensor};
use dfdx::tensor_ops::{Backward, Device};

use super::svd::rank_terms;
use crate::device::cpu;
use crate::error::Result;
use crate::ops::{Filter, PadMode};
use crate::tensor::{dims, Float, Image};
use crate::tools::circular_gaussian2d;

use crate::ops::test_util::{rand_vec, rel_err, value_and_grad, Taped};

/// The portable kernels.
mod p {
    pub(super) use crate::ops::backward::portable::backward_with;
    pub(super) use crate::ops::channels::portable::{mask, select_channels};
    pub(super) use crate::ops::conv::portable::{conv2d, conv2d_same};
    pub(super) use crate::ops::expand::portable::expand;
    pub(super) use crate::ops::pad::portable::pad;
    pub(super) use crate::ops::pointwise::portable::{map, map2, map2_halves, softplus};
    pub(super) use crate::ops::reduce::portable::{mse, sum_squares};
    pub(super) use crate::ops::roll::portable::roll;
    pub(super) use crate::ops::separable_map::portable::separable_map;
}

/// The fused CPU kernels (those returning no error wrapped in `Ok`).
mod c {
    use crate::error::Result;
    use crate::tensor::{Float, Image, Tape};

    pub(super) use crate::ops::backward::cpu::backward_with;
    pub(super) use crate::ops::channels::cpu::{mask, select_channels};
    pub(super) use crate::ops::conv::cpu::{conv2d, conv2d_same};
    pub(super) use crate::ops::pad::cpu::pad;
    pub(super) use crate::ops::pointwise::cpu::{map2, map2_halves};
    pub(super) use crate::ops::reduce::cpu::mse;

    pub(super) fn roll<E: Float, T: Tape<E>>(
        x: Image<E, T>,
        shift: (isize, isize),
    ) -> Result<Image<E, T>> {
        Ok(crate::ops::roll::cpu::roll(x, shift))
    }

    pub(super) fn separable_map<E: Float, T: Tape<E>>(
        x: Image<E, T>,
        m: &crate::ops::SeparableMap,
    ) -> Result<Image<E, T>> {
        Ok(crate::ops::separable_map::cpu::separable_map(x, m))
    }

    pub(super) fn expand<E: Float, T: Tape<E>>(
        x: Image<E, T>,
        b: usize,
        c: usize,
    ) -> Result<Image<E, T>> {
        Ok(crate::ops::expand::cpu::expand(x, b, c))
    }

    pub(super) fn sum_squares<E: Float, T: Tape<E>>(x: Image<E, T>) -> Result<Image<E, T>> {
        Ok(crate::ops::reduce::cpu::sum_squares(x))
    }

    pub(super) fn map<E: Float, T: Tape<E>>(
        x: Image<E, T>,
        f: impl Fn(E, usize) -> (E, E) + Sync,
    ) -> Result<Image<E, T>> {
        Ok(crate::ops::pointwise::cpu::map(x, f))
    }
}

fn rand_image<E: Float>(shape: [usize; 4], seed: u64) -> Image<E> {
    let v = rand_vec(shape.iter().product(), seed)
        .into_iter()
        .map(E::of_f64)
        .collect();
    cpu().tensor_from_vec(v, (shape[0], shape[1], shape[2], shape[3]))
}

/// Tolerance on errors relative to the largest magnitude: f64 1e-10, f32 1e-5.
fn tol<E: Float>() -> f64 {
    if std::mem::size_of::<E>() == 8 {
        1e-10
    } else {
        1e-5
    }
}

/// Records the largest relative errors seen by one test, printed at the end.
#[derive(Default)]
struct Worst {
    value: f64,
    grad: f64,
}

impl Worst {
    /// Compares the portable op `new` with the host op `old` on `x`: values and gradients
    /// within [`tol`], and the same output shape.
    fn check<E: Float>(
        &mut self,
        what: &str,
        x: &Image<E>,
        new: impl FnOnce(Taped<E>) -> Result<Taped<E>>,
        old: impl FnOnce(Taped<E>) -> Result<Taped<E>>,
    ) where
        Cpu: Device<E>,
    {
        let (va, ga) = value_and_grad(x, 7, new);
        let (vb, gb) = value_and_grad(x, 7, old);
        let (ev, eg) = (rel_err(&va, &vb), rel_err(&ga, &gb));
        assert!(ev < tol::<E>(), "{what}: value error {ev:e}");
        assert!(eg < tol::<E>(), "{what}: gradient error {eg:e}");
        self.value = self.value.max(ev);
        self.grad = self.grad.max(eg);
    }

    fn report(&self, test: &str, ty: &str) {
        eprintln!(
            "{test} [{ty}]: max rel value error {:.2e}, max rel gradient error {:.2e}",
            self.value, self.grad
        );
    }
}

fn type_name<E: Float>() -> &'static str {
    if std::mem::size_of::<E>() == 8 {
        "f64"
    } else {
        "f32"
    }
}

/// A random filter of `shape`.
fn rand_filter(shape: [usize; 4], seed: u64) -> Filter {
    Filter::new(rand_vec(shape.iter().product(), seed), shape).unwrap()
}

/// Filters and the input channels they apply to: odd and even kernels, several output
/// channels, grouped and full input channels, separable and full-rank kernels.
fn conv_cases() -> Vec<(&'static str, Filter, usize)> {
    let gauss = circular_gaussian2d((5, 5), &[1.3]).unwrap();
    let two = circular_gaussian2d((5, 5), &[1.0, 2.0]).unwrap();
    let dog = Filter::new(
        two.weights()[..25]
            .iter()
            .zip(&two.weights()[25..])
            .map(|(a, b)| a - b)
            .collect(),
        [1, 1, 5, 5],
    )
    .unwrap();
    let gauss_dog = Filter::concat(&[&gauss, &dog]).unwrap();
    vec![
        ("gaussian 5x5", gauss, 1),
        ("random 3x3", rand_filter([1, 1, 3, 3], 1), 1),
        ("random even 4x2", rand_filter([1, 1, 4, 2], 2), 1),
        ("gaussian + dog (2 out)", gauss_dog, 1),
        ("random 2 out 2x3", rand_filter([2, 1, 2, 3], 3), 1),
        ("grouped [2,1,3,3] on 2 ch", rand_filter([2, 1, 3, 3], 4), 2),
        ("grouped [4,1,2,2] on 2 ch", rand_filter([4, 1, 2, 2], 5), 2),
        ("full [2,2,3,4] on 2 ch", rand_filter([2, 2, 3, 4], 6), 2),
    ]
}

fn all_modes() -> [PadMode; 5] {
    [
        PadMode::Circular,
        PadMode::Reflect,
        PadMode::Replicate,
        PadMode::Constant(0.0),
        PadMode::Constant(0.7),
    ]
}

fn conv_same_matches<E: Float>()
where
    Cpu: Device<E>,
{
    let mut worst = Worst::default();
    for (name, filt, cin) in conv_cases() {
        // non-square, batch 2; 8x8 also takes the host op's circular fast path
        for (h, w) in [(9, 12), (8, 8)] {
            let x = rand_image::<E>([2, cin, h, w], 11);
            for mode in all_modes() {
                worst.check(
                    &format!("conv2d_same {name} {h}x{w} {mode:?}"),
                    &x,
                    |x| p::conv2d_same(x, &filt, mode),
                    |x| c::conv2d_same(x, &filt, mode),
                );
            }
        }
    }
    // the tutorial's 31x31 center-surround filter (rank 2) on a 40x36 image, batch 2
    let cs = crate::simulate::CenterSurround::builder((31, 31))
        .center_std(1.962)
        .surround_std(4.235)
        .build()
        .unwrap();
    let x = rand_image::<E>([2, 1, 40, 36], 29);
    for mode in all_modes() {
        worst.check(
            &format!("conv2d_same center-surround 31x31 {mode:?}"),
            &x,
            |x| p::conv2d_same(x, cs.filter(), mode),
            |x| c::conv2d_same(x, cs.filter(), mode),
        );
    }
    // images big enough for the work to be shared out over threads (`ops::par`): batch
    // items in parallel, and one item's two output channels in parallel
    let gauss = circular_gaussian2d((31, 31), &[3.0]).unwrap();
    let both = Filter::concat(&[cs.filter(), &gauss]).unwrap();
    for shape in [[2, 1, 96, 100], [1, 1, 128, 130]] {
        let x = rand_image::<E>(shape, 31);
        worst.check(
            &format!("conv2d_same two outputs {shape:?}"),
            &x,
            |x| p::conv2d_same(x, &both, PadMode::Circular),
            |x| c::conv2d_same(x, &both, PadMode::Circular),
        );
    }
    worst.report("conv2d_same", type_name::<E>());
}

#[test]
fn conv2d_same_matches_host_f64() {
    conv_same_matches::<f64>();
}

#[test]
fn conv2d_same_matches_host_f32() {
    conv_same_matches::<f32>();
}

fn conv_valid_matches<E: Float>()
where
    Cpu: Device<E>,
{
    let mut worst = Worst::default();
    for (name, filt, cin) in conv_cases() {
        let x = rand_image::<E>([2, cin, 9, 12], 12);
        worst.check(
            &format!("conv2d {name}"),
            &x,
            |x| p::conv2d(x, &filt),
            |x| c::conv2d(x, &filt),
        );
    }
    worst.report("conv2d", type_name::<E>());
}

#[test]
fn conv2d_matches_host_f64() {
    conv_valid_matches::<f64>();
}

#[test]
fn conv2d_matches_host_f32() {
    conv_valid_matches::<f32>();
}

fn pad_roll_select_mask_match<E: Float>()
where
    Cpu: Device<E>,
{
    let mut worst = Worst::default();
    let x = rand_image::<E>([2, 3, 5, 7], 13);
    for mode in all_modes() {
        for pads in [[1, 2, 0, 3], [0, 0, 4, 1], [2, 2, 2, 2]] {
            worst.check(
                &format!("pad {pads:?} {mode:?}"),
                &x,
                |x| p::pad(x, pads, mode),
                |x| c::pad(x, pads, mode),
            );
        }
    }
    for shift in [(1, -2), (7, 3), (0, 0), (-5, 14)] {
        worst.check(
            &format!("roll {shift:?}"),
            &x,
            |x| p::roll(x, shift),
            |x| c::roll(x, shift),
        );
    }
    for range in [0..3, 1..2, 1..3, 2..3] {
        worst.check(
            &format!("select_channels {range:?}"),
            &x,
            |x| p::select_channels(x, range.clone()),
            |x| c::select_channels(x, range.clone()),
        );
    }
    let m = rand_vec(35, 14);
    worst.check("mask", &x, |x| p::mask(x, &m), |x| c::mask(x, &m));
    worst.report("pad/roll/select_channels/mask", type_name::<E>());
}

#[test]
fn pad_roll_select_mask_match_host_f64() {
    pad_roll_select_mask_match::<f64>();
}

#[test]
fn pad_roll_select_mask_match_host_f32() {
    pad_roll_select_mask_match::<f32>();
}

fn reductions_match<E: Float>()
where
    Cpu: Device<E>,
{
    let mut worst = Worst::default();
    let x = rand_image::<E>([2, 3, 16, 20], 15);
    let target = rand_image::<E>([2, 3, 16, 20], 16);
    worst.check("sum_squares", &x, p::sum_squares, |x| c::sum_squares(x));
    // gradients with respect to both arguments: the first is x, the second x's square
    worst.check(
        "mse (a)",
        &x,
        |x| p::mse(x, target.retaped()),
        |x| c::mse(x, target.retaped()),
    );
    worst.check(
        "mse (b)",
        &x,
        |x| p::mse(target.retaped(), x),
        |x| c::mse(target.retaped(), x),
    );
    worst.report("sum_squares/mse", type_name::<E>());
}

#[test]
fn reductions_match_host_f64() {
    reductions_match::<f64>();
}

#[test]
fn reductions_match_host_f32() {
    reductions_match::<f32>();
}

fn softplus_matches<E: Float>()
where
    Cpu: Device<E>,
{
    let mut worst = Worst::default();
    // random values over [-30, 30], and the edges: 0, the threshold, large |x|
    let mut v: Vec<f64> = rand_vec(60, 17).into_iter().map(|a| a * 30.0).collect();
    v.extend([
        0.0, 20.0, 19.99, 20.01, 25.0, -25.0, 60.0, -60.0, 1e-3, -1e-3,
    ]);
    let n = v.len();
    let x: Image<E> = cpu().tensor_from_vec(v.into_iter().map(E::of_f64).collect(), (1, 1, 1, n));
    worst.check("softplus", &x, p::softplus, |x| {
        c::map(x, |a, _| crate::ops::softplus(a))
    });
    // the exact derivatives at 0 (1/2) and far from 0 (1 and 0)
    let y = p::softplus(x.leaky_trace()).unwrap();
    let g = y.sum::<(), _>().backward().get(&x).as_vec();
    let close = |a: E, b: f64| (a.as_f64() - b).abs() < 1e-6;
    assert!(close(g[n - 10], 0.5), "d softplus(0) = {}", g[n - 10]);
    assert!(close(g[n - 6], 1.0) && close(g[n - 4], 1.0), "large x");
    assert!(close(g[n - 5], 0.0) && close(g[n - 3], 0.0), "large -x");
    worst.report("softplus", type_name::<E>());
}

#[test]
fn softplus_matches_host_f64() {
    softplus_matches::<f64>();
}

#[test]
fn softplus_matches_host_f32() {
    softplus_matches::<f32>();
}

/// A map with per-channel parameters and a non-trivial derivative.
fn cube<E: Float>(v: E, c: usize) -> (E, E) {
    let k = E::of_f64(1.0 + c as f64);
    (k * v * v * v, E::of_f64(3.0) * k * v * v)
}

/// A quotient of two values, as the gain-control models use.
fn ratio<E: Float>(a: E, b: E, c: usize) -> (E, E, E) {
    let s = E::of_f64(2.0 + c as f64) + b * b;
    (a / s, E::one() / s, -(a + a) * b / (s * s))
}

fn maps_match<E: Float>()
where
    Cpu: Device<E>,
{
    // small planes, and planes big enough to be shared out over threads (`ops::par`)
    for shape in [[2, 4, 3, 5], [2, 4, 64, 64]] {
        maps_match_on::<E>(shape);
    }
}

fn maps_match_on<E: Float>(shape: [usize; 4])
where
    Cpu: Device<E>,
{
    let mut worst = Worst::default();
    let x = rand_image::<E>(shape, 18);
    let other = rand_image::<E>(shape, 19);
    worst.check("map", &x, |x| p::map(x, cube), |x| c::map(x, cube));
    worst.check(
        "map2 (a)",
        &x,
        |x| p::map2(x, other.retaped(), ratio),
        |x| c::map2(x, other.retaped(), ratio),
    );
    worst.check(
        "map2 (b)",
        &x,
        |x| p::map2(other.retaped(), x, ratio),
        |x| c::map2(other.retaped(), x, ratio),
    );
    worst.check(
        "map2_halves",
        &x,
        |x| p::map2_halves(x, ratio),
        |x| c::map2_halves(x, ratio),
    );
    // the values are the host closure's, bit for bit, with or without a tape
    let exact = |a: Vec<E>, b: Vec<E>| {
        assert!(
            a.iter().zip(&b).all(|(p, q)| p.to_bits_eq(q)),
            "not bit-exact"
        );
    };
    exact(
        p::map(x.leaky_trace(), cube).unwrap().as_vec(),
        c::map(x.clone(), cube).unwrap().as_vec(),
    );
    exact(
        p::map(x.clone(), cube).unwrap().as_vec(),
        c::map(x.clone(), cube).unwrap().as_vec(),
    );
    exact(
        p::map2(x.leaky_trace(), other.retaped(), ratio)
            .unwrap()
            .as_vec(),
        c::map2(x.clone(), other.clone(), ratio).unwrap().as_vec(),
    );
    exact(
        p::map2_halves(x.leaky_trace(), ratio).unwrap().as_vec(),
        c::map2_halves(x.clone(), ratio).unwrap().as_vec(),
    );
    worst.report("map/map2/map2_halves", type_name::<E>());
}

/// Bit equality of two floats (`==` would also accept 0 == -0).
trait BitsEq {
    fn to_bits_eq(&self, other: &Self) -> bool;
}
impl<E: Float> BitsEq for E {
    fn to_bits_eq(&self, other: &Self) -> bool {
        self.as_f64().to_bits() == other.as_f64().to_bits()
    }
}

#[test]
fn maps_match_host_f64() {
    maps_match::<f64>();
}

#[test]
fn maps_match_host_f32() {
    maps_match::<f32>();
}

fn seeded_backward_matches<E: Float>()
where
    Cpu: Device<E>,
{
    let filt = circular_gaussian2d((5, 5), &[1.5, 0.7]).unwrap();
    let x = rand_image::<E>([2, 1, 10, 7], 20);
    let seed: Vec<E> = rand_vec(2 * 2 * 10 * 7, 21)
        .into_iter()
        .map(E::of_f64)
        .collect();
    let y = p::conv2d_same(x.leaky_trace(), &filt, PadMode::Reflect).unwrap();
    let a = p::backward_with(y, &seed).unwrap().get(&x).as_vec();
    let y = c::conv2d_same(x.leaky_trace(), &filt, PadMode::Reflect).unwrap();
    let b = c::backward_with(y, seed.clone()).unwrap().get(&x).as_vec();
    let e = rel_err(&a, &b);
    assert!(e < tol::<E>(), "seeded backward error {e:e}");
    eprintln!(
        "backward_with [{}]: max rel gradient error {e:.2e}",
        type_name::<E>()
    );
    let y = p::conv2d_same(x.leaky_trace(), &filt, PadMode::Reflect).unwrap();
    assert!(matches!(
        p::backward_with(y, &seed[1..]),
        Err(crate::Error::ShapeMismatch { .. })
    ));
}

#[test]
fn seeded_backward_matches_host_f64() {
    seeded_backward_matches::<f64>();
}

#[test]
fn seeded_backward_matches_host_f32() {
    seeded_backward_matches::<f32>();
}

/// The portable and the host op fail with the same error (same variant and message).
fn same_error<T: std::fmt::Debug, U: std::fmt::Debug>(a: Result<T>, b: Result<U>) {
    let (a, b) = (a.unwrap_err(), b.unwrap_err());
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

#[test]
fn errors_match_host() {
    let x = rand_image::<f64>([1, 2, 6, 5], 22);
    let g7 = circular_gaussian2d((7, 7), &[2.0]).unwrap();
    let g3 = circular_gaussian2d((3, 3), &[1.0]).unwrap();
    let three = rand_filter([3, 1, 3, 3], 23);
    let two_in = rand_filter([1, 2, 3, 3], 24);
    // kernel larger than the image
    same_error(p::conv2d(x.clone(), &g7), c::conv2d(x.clone(), &g7));
    // channels that cannot be grouped: 3 outputs over 2 groups, 2 inputs per group on 1
    same_error(p::conv2d(x.clone(), &three), c::conv2d(x.clone(), &three));
    let x1 = rand_image::<f64>([1, 1, 6, 5], 25);
    same_error(
        p::conv2d_same(x1.clone(), &two_in, PadMode::Reflect),
        c::conv2d_same(x1.clone(), &two_in, PadMode::Reflect),
    );
    // reflect padding of 3 on a side of 3, circular of 3 on 2
    let small = rand_image::<f64>([1, 1, 3, 2], 26);
    for mode in all_modes() {
        let r = p::conv2d_same(small.clone(), &g7, mode);
        let h = c::conv2d_same(small.clone(), &g7, mode);
        assert_eq!(r.is_ok(), h.is_ok(), "{mode:?}");
        if h.is_err() {
            same_error(r, h);
        }
        let r = p::pad(small.clone(), [0, 0, 3, 0], mode);
        let h = c::pad(small.clone(), [0, 0, 3, 0], mode);
        assert_eq!(r.is_ok(), h.is_ok(), "{mode:?}");
        if h.is_err() {
            same_error(r, h);
        }
    }
    // non-finite input: same count
    let mut v = x1.as_vec();
    v[3] = f64::NAN;
    v[7] = f64::INFINITY;
    v[8] = f64::NEG_INFINITY;
    let bad: Image<f64> = cpu().tensor_from_vec(v, (1, 1, 6, 5));
    same_error(
        p::conv2d_same(bad.clone(), &g3, PadMode::Circular),
        c::conv2d_same(bad.clone(), &g3, PadMode::Circular),
    );
    same_error(p::conv2d(bad.clone(), &g3), c::conv2d(bad, &g3));
    // an empty image
    let empty: Image<f64> = cpu().zeros_like(&(1, 0, 4, 4));
    same_error(p::conv2d(empty.clone(), &g3), c::conv2d(empty.clone(), &g3));
    same_error(
        p::conv2d_same(empty.clone(), &g3, PadMode::Reflect),
        c::conv2d_same(empty, &g3, PadMode::Reflect),
    );
    // channels, masks, shapes
    same_error(
        p::select_channels(x.clone(), 1..3),
        c::select_channels(x.clone(), 1..3),
    );
    same_error(
        p::select_channels(x.clone(), 1..1),
        c::select_channels(x.clone(), 1..1),
    );
    same_error(p::mask(x.clone(), &[1.0; 7]), c::mask(x.clone(), &[1.0; 7]));
    same_error(p::mse(x.clone(), x1.clone()), c::mse(x.clone(), x1.clone()));
    same_error(
        p::map2(x.clone(), x1.clone(), ratio),
        c::map2(x.clone(), x1.clone(), ratio),
    );
    same_error(
        p::map2_halves(x1.clone(), ratio),
        c::map2_halves(x1.clone(), ratio),
    );
    assert_eq!(dims(&x), [1, 2, 6, 5]);
}

/// `sum_r u_r v_r^T` of rank terms, row-major.
fn reconstruct(terms: &[(Vec<f64>, Vec<f64>)], kh: usize, kw: usize) -> Vec<f64> {
    let mut k = vec![0.0; kh * kw];
    for (u, v) in terms {
        for a in 0..kh {
            for b in 0..kw {
                k[a * kw + b] += u[a] * v[b];
            }
        }
    }
    k
}

#[test]
fn kernel_ranks() {
    let g = circular_gaussian2d((31, 31), &[3.0]).unwrap();
    let t = rank_terms(g.weights(), 31, 31);
    assert_eq!(t.len(), 1, "a circular Gaussian is separable");
    let err = rel_err(&reconstruct(&t, 31, 31), g.weights());
    assert!(err < 1e-13, "gaussian reconstruction {err:e}");
    let cs = crate::simulate::CenterSurround::builder((31, 31))
        .center_std(1.962)
        .surround_std(4.235)
        .build()
        .unwrap();
    let k = cs.filter().weights();
    let t = rank_terms(k, 31, 31);
    assert_eq!(t.len(), 2, "a difference of Gaussians has rank 2");
    let err = rel_err(&reconstruct(&t, 31, 31), k);
    assert!(err < 1e-13, "center-surround reconstruction {err:e}");
    // a random non-square kernel has full rank, and is rebuilt exactly
    let r = rand_vec(5 * 8, 27);
    let t = rank_terms(&r, 5, 8);
    assert_eq!(t.len(), 5);
    let err = rel_err(&reconstruct(&t, 5, 8), &r);
    assert!(err < 1e-13, "random reconstruction {err:e}");
    let r = rand_vec(6 * 3, 28);
    assert_eq!(rank_terms(&r, 6, 3).len(), 3);
    assert!(rank_terms(&[0.0; 9], 3, 3).is_empty());
    eprintln!("kernel_ranks: gaussian 1, center-surround 2, reconstruction < 1e-13");
}

fn separable_map_and_expand_match<E: Float>()
where
    Cpu: Device<E>,
{
    use crate::ops::SeparableMap;
    let mut worst = Worst::default();
    let x = rand_image::<E>([2, 3, 9, 12], 17);
    let maps = [
        (
            "same reflect",
            SeparableMap::correlate(
                (9, 12),
                &[0.2, 0.5, 0.3],
                &[0.1, 0.2, 0.4, 0.2, 0.1],
                Some(PadMode::Reflect),
                1,
            ),
        ),
        (
            "stride 2 circular",
            SeparableMap::correlate(
                (9, 12),
                &[1.0, 2.0, 1.0],
                &[0.5, 0.5],
                Some(PadMode::Circular),
                2,
            ),
        ),
        (
            "valid",
            SeparableMap::correlate((9, 12), &[1.0, -1.0], &[0.3, 0.3, 0.4], None, 1),
        ),
        ("plane mean", SeparableMap::plane_mean((9, 12))),
    ];
    for (name, m) in &maps {
        let m = m.as_ref().unwrap();
        worst.check(
            &format!("separable_map {name}"),
            &x,
            |x| p::separable_map(x, m),
            |x| c::separable_map(x, m),
        );
    }
    for shape in [[1, 1, 5, 7], [2, 1, 5, 7], [1, 3, 5, 7]] {
        let x = rand_image::<E>(shape, 18);
        worst.check(
            &format!("expand {shape:?} to (2, 3)"),
            &x,
            |x| p::expand(x, 2, 3),
            |x| c::expand(x, 2, 3),
        );
    }
    worst.report("separable_map/expand", type_name::<E>());
}

#[test]
fn separable_map_and_expand_match_host_f64() {
    separable_map_and_expand_match::<f64>();
}

#[test]
fn separable_map_and_expand_match_host_f32() {
    separable_map_and_expand_match::<f32>();
}
