//! The GPU's code path, run on the CPU: with `po::device::set_gpu_path_on_cpu(true)` every
//! op takes the device-portable version the GPU runs (matrix convolutions, dfdx built-in
//! element-wise steps, host closures spliced into the tape). Models, metamers and
//! eigendistortions must give the CPU's own numbers; on a GPU only dfdx's CUDA kernels
//! differ from what this checks (`tests/gpu.rs` does that on the GPU machine).

mod common;

use common::{f64s, losses_without_penalty, rel_diff, NanAbove};

use plenoptic as po;
use po::dfdx::prelude::*;
use po::simulate::{
    CenterSurround, Gaussian, LinearNonlinear, LuminanceContrastGainControl, OnOff,
};
use po::synthesize::{Eigendistortion, Metamer, Method};
use po::tools::conv::{conv2d, same_padding, PadMode};
use po::tools::{circular_gaussian2d, Filter};
use po::{Device, Image, Model, Tape};

/// Runs `f` with this thread's CPU ops on the GPU's code path.
fn gpu_path<R>(f: impl FnOnce() -> R) -> R {
    po::device::set_gpu_path_on_cpu(true);
    let r = f();
    po::device::set_gpu_path_on_cpu(false);
    r
}

/// The output and the gradient of `sum(u * model(x))` for a fixed `u`.
fn output_and_gradient<E: po::Float, M: Model>(model: &M, x: &Image<E>) -> (Vec<f64>, Vec<f64>)
where
    Cpu: po::dfdx::tensor_ops::Device<E>,
{
    let y = model.forward(x.leaky_trace()).unwrap();
    let yv = f64s(y.as_vec());
    let u: Vec<E> = (0..yv.len())
        .map(|i| E::of_f64(((i * 7919) % 13) as f64 / 13.0 - 0.5))
        .collect();
    let ut = po::device::cpu().tensor_from_vec(u, *y.shape());
    let g = (y * ut).sum::<Rank0, _>().backward();
    (yv, f64s(g.get(x).as_vec()))
}

/// Outputs must agree within `tol`, gradients within `tol` in f64 and `10 tol` in f32:
/// LuminanceContrastGainControl's gradient divides by the square root of a blurred square,
/// which amplifies f32 rounding (2.2e-5 measured; 6e-14 in f64).
fn compare<E: po::Float, M: Model>(name: &str, model: &M, x: &Image<E>, tol: f64)
where
    Cpu: po::dfdx::tensor_ops::Device<E>,
{
    let (y, g) = output_and_gradient(model, x);
    let (yp, gp) = gpu_path(|| output_and_gradient(model, x));
    let (dy, dg) = (rel_diff(&yp, &y), rel_diff(&gp, &g));
    let gtol = if std::mem::size_of::<E>() == 4 {
        10.0 * tol
    } else {
        tol
    };
    assert!(dy < tol, "{name}: output differs by {dy:.2e}");
    assert!(dg < gtol, "{name}: gradient differs by {dg:.2e}");
}

/// The notebook's hand-written Gaussian: same_padding, then a valid convolution.
struct Handmade(Filter);
impl Model for Handmade {
    fn forward<E: po::Float, D: Device<E>, T: Tape<E, D>>(
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
    fn forward<E: po::Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> po::Result<Image<E, T, D>> {
        let y = po::ops::conv2d_same(x, &self.0, PadMode::Reflect)?;
        let y = po::ops::map(y, |v, _| (v * v, v + v))?;
        po::ops::roll(y, (3, -5))
    }
}

fn check_all<E: po::Float>(x: &Image<E>, tol: f64)
where
    Cpu: po::dfdx::tensor_ops::Device<E>,
{
    let k = (31, 31);
    compare("Gaussian circular", &common::gaussian(), x, tol);
    compare("Gaussian reflect", &Gaussian::new(k).unwrap(), x, tol);
    compare("CenterSurround", &common::center_surround(), x, tol);
    compare(
        "LinearNonlinear",
        &LinearNonlinear::builder(k)
            .pretrained(true)
            .build()
            .unwrap(),
        x,
        tol,
    );
    compare("LuminanceGainControl", &common::lgc(), x, tol);
    compare(
        "LuminanceContrastGainControl",
        &LuminanceContrastGainControl::builder(k)
            .pretrained(true)
            .build()
            .unwrap(),
        x,
        tol,
    );
    compare(
        "OnOff with mask",
        &OnOff::builder(k)
            .pretrained(true)
            .apply_mask(true)
            .build()
            .unwrap(),
        x,
        tol,
    );
    let g = circular_gaussian2d(k, &[3.0]).unwrap();
    compare("same_padding + conv2d", &Handmade(g.clone()), x, tol);
    compare("map and roll", &Energy(g), x, tol);
}

#[test]
fn models_take_the_gpu_path_to_the_same_numbers() {
    let e = po::data::einstein().unwrap();
    let c = po::data::curie().unwrap();
    let b = po::cat_batch(&[&e, &c]).unwrap();
    check_all::<f32>(&b, 1e-5);
    check_all::<f64>(&po::cast::<f32, f64, _>(&b), 1e-10);
}

/// The crate's generator is shared by every thread: the tests that draw from it (initial
/// metamers, eigendistortion start vectors) take turns, so each run draws the same numbers.
static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn metamer_losses_on_the_gpu_path_follow_the_cpu() {
    let _turn = RNG.lock().unwrap_or_else(|e| e.into_inner());
    let e = po::data::einstein().unwrap();
    for (name, cpu, path) in [
        (
            "Gaussian",
            losses_without_penalty(&e, common::gaussian(), 50),
            gpu_path(|| losses_without_penalty(&e, common::gaussian(), 50)),
        ),
        (
            "LuminanceGainControl",
            losses_without_penalty(&e, common::lgc(), 50),
            gpu_path(|| losses_without_penalty(&e, common::lgc(), 50)),
        ),
    ] {
        let worst = cpu
            .iter()
            .zip(&path)
            .map(|(a, b)| (a - b).abs() / a.abs())
            .fold(0.0f64, f64::max);
        assert_eq!(cpu.len(), path.len());
        assert!(worst < 1e-5, "{name}: losses diverge by {worst:.2e}");
        assert!(path[49] < 0.5 * path[0], "{name}: the loss does not fall");
    }
}

/// The device loop (metamer and Adam's state kept on the device) stops and resumes like
/// the host loop: two calls of 6 iterations with progress stored every 4, a save in
/// between, and the continuation from the saved file, against one host run of 12.
#[test]
fn metamer_device_loop_resumes_stores_and_saves_like_the_host_loop() {
    let _turn = RNG.lock().unwrap_or_else(|e| e.into_inner());
    common::quiet();
    let img = po::data::einstein().unwrap();
    let build = || {
        po::tools::set_seed(3);
        Metamer::builder(img.clone(), common::lgc())
            .range_penalty_lambda(0.0)
            .build()
            .unwrap()
    };
    let mut host = build();
    host.synthesize(12)
        .store_progress(4)
        .stop_criterion(0.0)
        .run()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("po-gpu-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("half.npz");
    let (dev, resumed) = gpu_path(|| {
        let mut m = build();
        m.synthesize(6)
            .store_progress(4)
            .stop_criterion(0.0)
            .run()
            .unwrap();
        m.save(&file).unwrap();
        let mut r = Metamer::load(&file, common::lgc()).unwrap();
        m.synthesize(6)
            .store_progress(4)
            .stop_criterion(0.0)
            .run()
            .unwrap();
        r.synthesize(6)
            .store_progress(4)
            .stop_criterion(0.0)
            .run()
            .unwrap();
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

#[test]
fn eigenvalues_on_the_gpu_path_match_the_cpu() {
    let _turn = RNG.lock().unwrap_or_else(|e| e.into_inner());
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
        eig.eigenvalues().to_vec()
    };
    let cpu = run();
    let path = gpu_path(run);
    let top = (cpu[0] - path[0]).abs() / cpu[0];
    assert!(top < 1e-8, "top eigenvalues {} and {}", cpu[0], path[0]);
    let bottom = (cpu[1] - path[1]).abs();
    assert!(
        bottom < 1e-6 * cpu[0],
        "bottom eigenvalues {} and {}",
        cpu[1],
        path[1]
    );
}

#[test]
fn the_switch_is_per_thread_and_off_by_default() {
    let e = common::crop32();
    let model = common::gaussian();
    let a = model.apply(&e).unwrap().as_vec();
    let b = gpu_path(|| {
        let other = std::thread::spawn({
            let (m, e) = (model.clone(), e.clone());
            move || m.apply(&e).unwrap().as_vec()
        })
        .join()
        .unwrap();
        (model.apply(&e).unwrap().as_vec(), other)
    });
    // the other thread used the FFT path: bit-identical to `a`; this one the matrix path
    assert_eq!(b.1, a);
    assert_ne!(b.0, a);
    let d = rel_diff(&f64s(b.0), &f64s(a));
    assert!(d < 1e-5, "{d:e}");
}

/// A NaN loss stops the device loop with the host loop's error, and the metamer keeps
/// its last finite state.
#[test]
fn device_loop_reports_a_nan_loss_and_keeps_the_metamer() {
    let _turn = RNG.lock().unwrap_or_else(|e| e.into_inner());
    common::quiet();
    let img: Vec<f32> = common::crop32().as_vec().iter().map(|x| x * 0.5).collect();
    let img = po::image_from_vec(img, &[1, 1, 32, 32]).unwrap();
    let mut met = Metamer::new(img, NanAbove).unwrap();
    let before = met.metamer().as_vec();
    let err = gpu_path(|| met.synthesize(5).progress(false).run().unwrap_err());
    assert!(
        matches!(err, po::Error::Diverged { iteration: 0, .. }),
        "{err}"
    );
    assert!(met.losses().is_empty());
    assert_eq!(met.metamer().as_vec(), before);
}
