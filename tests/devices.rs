//! Every device the build has, one test body each (the candle pattern): each check below
//! is written once, generic over the device, and `device_test!` instantiates it as `_cpu`
//! (always) and `_gpu` (with the `cuda` feature). A `_gpu` test prints a line and passes
//! when no GPU answers, unless `PLENOPTIC_REQUIRE_GPU=1` (the GPU machine's run), which
//! makes that a failure.
//!
//! What runs on the CPU depends on the build: its fused FFT and element-wise kernels by
//! default, the portable kernels the GPU runs with `--features portable-cpu` (so that
//! build checks the GPU's code path end to end on a machine without a GPU). The checks:
//! models and ops in f32 (and f64) on the device against an f64 CPU computation, outputs
//! and gradients; metamers and eigendistortions on the device against the CPU's; the
//! metamer loop's resume, store, save and NaN handling on the device.

mod common;

use common::{f64s, losses_without_penalty, rel_diff, NanAbove};

use plenoptic as po;
use po::device::{Cpu, Kind};
use po::dfdx::prelude::{NoneTape, OwnedTape, Trace};
use po::simulate::{
    CenterSurround, Gaussian, LinearNonlinear, LuminanceContrastGainControl, OnOff,
};
use po::synthesize::{Eigendistortion, Metamer, Method};
use po::tools::conv::{conv2d, same_padding, PadMode};
use po::tools::{circular_gaussian2d, Filter};
use po::{Device, Float, Image, Model, Tape};

/// A device the tests run on.
trait TestDevice: Device<f32> + Device<f64> + Clone {
    /// The device as [`po::device::select`] names it.
    const KIND: Kind;
    /// The device, or `None` (with a printed line) when it is absent and may be skipped.
    fn get() -> Option<Self>;
}

impl TestDevice for Cpu {
    const KIND: Kind = Kind::Cpu;
    fn get() -> Option<Self> {
        Some(po::device::cpu())
    }
}

#[cfg(feature = "cuda")]
impl TestDevice for po::device::Gpu {
    const KIND: Kind = Kind::Cuda;
    fn get() -> Option<Self> {
        let g = po::device::gpu();
        if g.is_none() {
            let line = po::device::describe();
            if std::env::var("PLENOPTIC_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("PLENOPTIC_REQUIRE_GPU=1 and no GPU: {line}");
            }
            println!("skipped: no GPU ({line})");
        }
        g
    }
}

/// `device_test!(body)`: the tests `body::cpu` and (with `cuda`) `body::gpu`, each
/// calling `body::<Device>(device)`.
macro_rules! device_test {
    ($body:ident) => {
        mod $body {
            #[test]
            fn cpu() {
                if let Some(dev) = <plenoptic::device::Cpu as super::TestDevice>::get() {
                    super::$body(dev);
                }
            }
            #[cfg(feature = "cuda")]
            #[test]
            fn gpu() {
                if let Some(dev) = <plenoptic::device::Gpu as super::TestDevice>::get() {
                    super::$body(dev);
                }
            }
        }
    };
}

/// `po::device::select` and the crate's generator are global: the tests that switch
/// devices or draw random numbers take turns.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` with synthesis on `kind`, then back on the CPU.
fn on<R>(kind: Kind, f: impl FnOnce() -> R) -> R {
    po::device::select(kind).unwrap();
    let r = f();
    po::device::select(Kind::Cpu).unwrap();
    r
}

/// A fixed pseudo-random seed `dL/dy` of `n` values.
fn seed<E: Float>(n: usize) -> Vec<E> {
    (0..n)
        .map(|i| E::of_f64(((i * 7919) % 13) as f64 / 13.0 - 0.5))
        .collect()
}

/// The output and the gradient of `sum(u * f(x))` for a fixed `u`, with `x` copied to
/// `dev` first.
fn output_and_gradient<E: Float, D: Device<E>>(
    dev: &D,
    x: &Image<E>,
    f: impl FnOnce(Image<E, OwnedTape<E, D>, D>) -> po::Result<Image<E, OwnedTape<E, D>, D>>,
) -> (Vec<f64>, Vec<f64>) {
    let xd: Image<E, NoneTape, D> = po::to_device(x, dev);
    let y = f(xd.leaky_trace()).unwrap();
    let yv = f64s(y.as_vec());
    let grads = po::ops::backward_with(y, seed(yv.len())).unwrap();
    (yv, f64s(grads.get(&xd).as_vec()))
}

/// Runs `$f` (a closure body over `x`, generic in element type and device) on `$dev` in
/// f32 and f64 and on the CPU in f64: f32 within `$tol` (outputs) and `10 $tol`
/// (gradients) of the f64 CPU values, f64 within 1e-10.
macro_rules! check_against_f64_cpu {
    ($name:expr, $dev:expr, $x32:expr, $tol:expr, |$x:ident| $f:expr) => {{
        let x64 = po::cast::<f32, f64, _>($x32);
        let (y, g) = output_and_gradient(&po::device::cpu(), &x64, |$x| $f);
        let (y32, g32) = output_and_gradient::<f32, _>($dev, $x32, |$x| $f);
        let (y64, g64) = output_and_gradient::<f64, _>($dev, &x64, |$x| $f);
        for (what, a, b, tol) in [
            ("f32 output", &y32, &y, $tol),
            ("f32 gradient", &g32, &g, 10.0 * $tol),
            ("f64 output", &y64, &y, 1e-10),
            ("f64 gradient", &g64, &g, 1e-10),
        ] {
            assert_eq!(a.len(), b.len(), "{}: {what} size", $name);
            let d = rel_diff(a, b);
            assert!(d < tol, "{}: {what} differs by {d:.2e}", $name);
        }
    }};
}

/// The notebook's hand-written Gaussian: same_padding, then a valid convolution.
struct Handmade(Filter);
impl Model for Handmade {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> po::Result<Image<E, T, D>> {
        let x = same_padding(x, (31, 31), PadMode::Circular)?;
        conv2d(x, &self.0)
    }
}

/// Contrast energy with a closure (`map`) and a shift (`roll`).
struct Energy(Filter);
impl Model for Energy {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> po::Result<Image<E, T, D>> {
        let y = po::ops::conv2d_same(x, &self.0, PadMode::Reflect)?;
        let y = po::ops::map(y, |v, _| (v * v, v + v))?;
        po::ops::roll(y, (3, -5))
    }
}

fn check_model<D: TestDevice, M: Model>(name: &str, dev: &D, model: &M, x: &Image<f32>) {
    // 1e-5 on outputs, 1e-4 on gradients: LuminanceContrastGainControl's gradient divides
    // by the square root of a blurred square, which amplifies f32 rounding
    check_against_f64_cpu!(name, dev, x, 1e-5, |x| model.forward(x));
}

/// Every model, on a batch of two images.
fn models_match_the_f64_cpu<D: TestDevice>(dev: D) {
    let e = po::data::einstein().unwrap();
    let c = po::data::curie().unwrap();
    let x = po::cat_batch(&[&e, &c]).unwrap();
    let k = (31, 31);
    check_model("Gaussian circular", &dev, &common::gaussian(), &x);
    check_model("Gaussian reflect", &dev, &Gaussian::new(k).unwrap(), &x);
    check_model("CenterSurround", &dev, &common::center_surround(), &x);
    let ln = LinearNonlinear::builder(k).pretrained(true);
    check_model("LinearNonlinear", &dev, &ln.build().unwrap(), &x);
    check_model("LuminanceGainControl", &dev, &common::lgc(), &x);
    let lcgc = LuminanceContrastGainControl::builder(k).pretrained(true);
    check_model(
        "LuminanceContrastGainControl",
        &dev,
        &lcgc.build().unwrap(),
        &x,
    );
    let on_off = OnOff::builder(k).pretrained(true).build().unwrap();
    check_model("OnOff", &dev, &on_off, &x);
    let masked = OnOff::builder(k).pretrained(true).apply_mask(true);
    check_model("OnOff with mask", &dev, &masked.build().unwrap(), &x);
    let g = circular_gaussian2d(k, &[3.0]).unwrap();
    check_model("same_padding + conv2d", &dev, &Handmade(g.clone()), &x);
    check_model("map and roll", &dev, &Energy(g), &x);
}
device_test!(models_match_the_f64_cpu);

/// The ops one by one, on a small two-channel batch.
fn ops_match_the_f64_cpu<D: TestDevice>(dev: D) {
    let x = po::cat_batch(&[&common::crop32(), &common::crop32()]).unwrap();
    let x = po::image_from_vec(x.as_vec().repeat(2), &[2, 2, 32, 32]).unwrap();
    let dev = &dev;
    let g5 = circular_gaussian2d((5, 5), &[1.5, 0.7]).unwrap();
    let grouped = Filter::new(
        (0..18).map(|i| (i as f64 * 0.37).sin()).collect(),
        [2, 1, 3, 3],
    );
    let grouped = grouped.unwrap();
    let tol = 1e-5;
    check_against_f64_cpu!("conv2d", dev, &x, tol, |x| po::ops::conv2d(x, &grouped));
    for mode in [
        PadMode::Circular,
        PadMode::Reflect,
        PadMode::Replicate,
        PadMode::Constant(0.5),
    ] {
        let name = format!("conv2d_same {}", mode.name());
        check_against_f64_cpu!(name, dev, &x, tol, |x| po::ops::conv2d_same(x, &g5, mode));
        let name = format!("pad {}", mode.name());
        check_against_f64_cpu!(name, dev, &x, tol, |x| po::ops::pad(x, [2, 1, 0, 3], mode));
    }
    check_against_f64_cpu!("roll", dev, &x, tol, |x| po::ops::roll(x, (3, -5)));
    check_against_f64_cpu!("select_channels", dev, &x, tol, |x| {
        po::ops::select_channels(x, 1..2)
    });
    let disk: Vec<f64> = (0..32 * 32).map(|i| (i % 7) as f64 / 7.0).collect();
    check_against_f64_cpu!("mask", dev, &x, tol, |x| po::ops::mask(x, &disk));
    check_against_f64_cpu!("map", dev, &x, tol, |x| {
        po::ops::map(x, |v, c| {
            let (s, d) = po::ops::softplus(v);
            if c == 0 {
                (s, d)
            } else {
                (s + s, d + d)
            }
        })
    });
    check_against_f64_cpu!("map2_halves", dev, &x, tol, |x| {
        po::ops::map2_halves(x, |a, b, _| (a * b, b, a))
    });
    check_against_f64_cpu!("sum_squares", dev, &x, tol, |x| po::ops::sum_squares(x));
    check_against_f64_cpu!("mse", dev, &x, tol, |x| {
        let other = po::ops::roll(x.retaped(), (1, 1))?;
        po::ops::mse(x, other)
    });
}
device_test!(ops_match_the_f64_cpu);

/// 50 metamer iterations (without the range penalty) on the device follow the CPU's.
fn metamer_losses_follow_the_cpu<D: TestDevice>(_dev: D) {
    let _turn = turn();
    common::quiet();
    let e = po::data::einstein().unwrap();
    for (name, cpu, dev) in [
        (
            "Gaussian",
            on(Kind::Cpu, || {
                losses_without_penalty(&e, common::gaussian(), 50)
            }),
            on(D::KIND, || {
                losses_without_penalty(&e, common::gaussian(), 50)
            }),
        ),
        (
            "LuminanceGainControl",
            on(Kind::Cpu, || losses_without_penalty(&e, common::lgc(), 50)),
            on(D::KIND, || losses_without_penalty(&e, common::lgc(), 50)),
        ),
    ] {
        assert_eq!(cpu.len(), dev.len());
        let worst = cpu
            .iter()
            .zip(&dev)
            .map(|(a, b)| (a - b).abs() / a.abs())
            .fold(0.0f64, f64::max);
        println!("{name}: 50 losses, worst relative difference {worst:.2e}");
        assert!(worst < 1e-4, "{name}: losses diverge by {worst:.2e}");
        assert!(dev[49] < 0.5 * dev[0], "{name}: the loss does not fall");
    }
}
device_test!(metamer_losses_follow_the_cpu);

/// On the device, a metamer stops and resumes like one uninterrupted CPU run: two calls of
/// 6 iterations with progress stored every 4, a save in between, and the continuation
/// from the saved file, against 12 iterations on the CPU.
fn metamer_resumes_stores_and_saves<D: TestDevice>(_dev: D) {
    let _turn = turn();
    common::quiet();
    let img = po::data::einstein().unwrap();
    let build = || {
        po::tools::set_seed(3);
        Metamer::builder(img.clone(), common::lgc())
            .range_penalty_lambda(0.0)
            .build()
            .unwrap()
    };
    let run = |m: &mut Metamer<_>, n| {
        m.synthesize(n)
            .store_progress(4)
            .stop_criterion(0.0)
            .run()
            .unwrap()
    };
    let host = on(Kind::Cpu, || {
        let mut m = build();
        run(&mut m, 12);
        m
    });
    let dir = std::env::temp_dir().join(format!("po-devices-{}-{}", D::KIND, std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("half.npz");
    let (dev, resumed) = on(D::KIND, || {
        let mut m = build();
        run(&mut m, 6);
        m.save(&file).unwrap();
        let mut r = Metamer::load(&file, common::lgc()).unwrap();
        run(&mut m, 6);
        run(&mut r, 6);
        (m, r)
    });
    std::fs::remove_dir_all(&dir).ok();
    for (name, m) in [("continued", &dev), ("reloaded", &resumed)] {
        assert_eq!(m.losses().len(), 12, "{name}");
        let d = rel_diff(m.losses(), host.losses());
        assert!(d < 1e-5, "{name}: losses differ by {d:.2e}");
        assert_eq!(m.saved_iterations(), host.saved_iterations(), "{name}");
        for (a, b) in m.saved_metamer().iter().zip(host.saved_metamer()) {
            let d = common::max_abs_diff(&f64s(a.as_vec()), &f64s(b.as_vec()));
            assert!(d < 1e-5, "{name}: stored metamers differ by {d:.2e}");
        }
        let d = common::max_abs_diff(&f64s(m.metamer().as_vec()), &f64s(host.metamer().as_vec()));
        assert!(d < 1e-5, "{name}: final metamers differ by {d:.2e}");
    }
}
device_test!(metamer_resumes_stores_and_saves);

/// A NaN loss stops the synthesis with an error naming it, and the metamer keeps its
/// last finite state.
fn metamer_reports_a_nan_loss_and_keeps_the_metamer<D: TestDevice>(_dev: D) {
    let _turn = turn();
    common::quiet();
    let img: Vec<f32> = common::crop32().as_vec().iter().map(|x| x * 0.5).collect();
    let img = po::image_from_vec(img, &[1, 1, 32, 32]).unwrap();
    let mut met = Metamer::new(img, NanAbove).unwrap();
    let before = met.metamer().as_vec();
    let err = on(D::KIND, || {
        met.synthesize(5).progress(false).run().unwrap_err()
    });
    assert!(
        matches!(err, po::Error::Diverged { iteration: 0, .. }),
        "{err}"
    );
    assert!(met.losses().is_empty());
    assert_eq!(met.metamer().as_vec(), before);
}
device_test!(metamer_reports_a_nan_loss_and_keeps_the_metamer);

/// The power method's eigenvalues on the device match the CPU's.
fn eigenvalues_match_the_cpu<D: TestDevice>(_dev: D) {
    let _turn = turn();
    common::quiet();
    let img = common::crop32();
    let model = CenterSurround::builder((9, 9))
        .center_std(1.0)
        .surround_std(3.0)
        .build()
        .unwrap();
    let run = || {
        po::tools::set_seed(0);
        let mut eig = Eigendistortion::new(img.clone(), model.clone()).unwrap();
        eig.synthesize()
            .method(Method::Power)
            .progress(false)
            .run()
            .unwrap();
        eig.eigenvalues().unwrap().to_vec()
    };
    let cpu = on(Kind::Cpu, run);
    let dev = on(D::KIND, run);
    let top = (cpu[0] - dev[0]).abs() / cpu[0];
    println!(
        "top eigenvalue cpu {:.8e} device {:.8e} ({top:.2e})",
        cpu[0], dev[0]
    );
    assert!(top < 1e-8, "top eigenvalues {} and {}", cpu[0], dev[0]);
    let bottom = (cpu[1] - dev[1]).abs();
    assert!(
        bottom < 1e-6 * cpu[0],
        "bottom eigenvalues {} and {}",
        cpu[1],
        dev[1]
    );
}
device_test!(eigenvalues_match_the_cpu);

/// `po::device::describe` names the device synthesis runs on.
fn device_line_names_the_device<D: TestDevice>(_dev: D) {
    let _turn = turn();
    on(D::KIND, || {
        let line = po::device::describe();
        assert!(line.starts_with(&format!("device: {}", D::KIND)), "{line}");
    });
    assert!(po::device::describe().starts_with("device: cpu"));
}
device_test!(device_line_names_the_device);
