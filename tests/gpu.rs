//! The GPU path against the CPU (only with the `cuda` feature, on a machine with a GPU:
//! `kernel-setup/cuda-build.sh` builds this binary here, the GPU machine runs it).
//!
//! Model outputs and gradients on the GPU must match the CPU's within 1e-5 (relative to
//! the output's largest value), metamer losses must follow the CPU's trajectory, and
//! eigenvalues must agree.
#![cfg(feature = "cuda")]

mod common;

use common::{f64s, losses_without_penalty, rel_diff};
use plenoptic as po;
use po::device::Kind;
use po::simulate::{
    CenterSurround, Gaussian, LinearNonlinear, LuminanceContrastGainControl, LuminanceGainControl,
    OnOff,
};
use po::synthesize::{Eigendistortion, Method};
use po::{Image, Model, PadMode};

/// The GPU; fails (does not skip) when none answers: this binary is only run on the GPU
/// machine.
fn gpu() -> po::device::Gpu {
    po::device::gpu().unwrap_or_else(|| panic!("no GPU: {}", po::device::describe()))
}

/// Forward and backward (J^T u for a fixed u) on both devices, in E.
fn compare<E: po::Float, M: Model>(name: &str, model: &M, x: &Image<E>, tol: f64)
where
    po::device::Gpu: po::Device<E> + po::dfdx::tensor_ops::Device<E>,
    po::dfdx::tensor::Cpu: po::dfdx::tensor_ops::Device<E>,
{
    use po::dfdx::prelude::*;
    let g = gpu();
    let cpu_out = model.apply(x).unwrap();
    let xg = po::to_device(x, &g);
    let gpu_out = model.forward(xg.clone()).unwrap();
    assert_eq!(
        po::dims(&gpu_out),
        po::dims(&cpu_out),
        "{name}: output shape"
    );
    let d = rel_diff(&f64s(gpu_out.as_vec()), &f64s(cpu_out.as_vec()));
    // gradients: 10x the tolerance in f32, where LuminanceContrastGainControl's square
    // root amplifies rounding (2.2e-5 between the CPU's FFT and matrix paths)
    let gtol = if std::mem::size_of::<E>() == 4 {
        10.0 * tol
    } else {
        tol
    };
    println!("{name} ({}): forward {d:.2e}", std::any::type_name::<E>());
    assert!(
        d < tol,
        "{name}: GPU output differs from the CPU by {d:.2e}"
    );

    // gradients of sum(u * model(x)) with a fixed pseudo-random u
    let n = cpu_out.as_vec().len();
    let u: Vec<E> = (0..n)
        .map(|i| E::of_f64(((i * 7919) % 13) as f64 / 13.0 - 0.5))
        .collect();
    let shape = *cpu_out.shape();
    let cpu = po::device::cpu();
    let xc = x.clone();
    let yc = model.forward(xc.leaky_trace()).unwrap();
    let uc = cpu.tensor_from_vec(u.clone(), shape);
    let gc = (yc * uc).sum::<Rank0, _>().backward();
    let grad_cpu = f64s(gc.get(&xc).as_vec());
    let yg = model.forward(xg.leaky_trace()).unwrap();
    let ug = g.tensor_from_vec(u, shape);
    let gg = (yg * ug).sum::<Rank0, _>().backward();
    let grad_gpu = f64s(gg.get(&xg).as_vec());
    let d = rel_diff(&grad_gpu, &grad_cpu);
    println!("{name} ({}): gradient {d:.2e}", std::any::type_name::<E>());
    assert!(
        d < gtol,
        "{name}: GPU gradient differs from the CPU by {d:.2e}"
    );
}

/// A named check of one model on an f32 and an f64 image.
type Check = (&'static str, Box<dyn Fn(&Image<f32>, &Image<f64>)>);

fn models() -> Vec<Check> {
    fn case<M: Model + 'static>(name: &'static str, m: M) -> Check {
        (
            name,
            Box::new(move |x32: &Image<f32>, x64: &Image<f64>| {
                compare(name, &m, x32, 1e-5);
                compare(name, &m, x64, 1e-10);
            }),
        )
    }
    let k = (31, 31);
    vec![
        case(
            "Gaussian circular",
            Gaussian::builder(k)
                .pad_mode(PadMode::Circular)
                .build()
                .unwrap(),
        ),
        case("Gaussian reflect", Gaussian::new(k).unwrap()),
        case(
            "CenterSurround",
            CenterSurround::builder(k)
                .center_std(1.962)
                .surround_std(4.235)
                .build()
                .unwrap(),
        ),
        case(
            "LinearNonlinear",
            LinearNonlinear::builder(k)
                .pretrained(true)
                .build()
                .unwrap(),
        ),
        case(
            "LuminanceGainControl",
            LuminanceGainControl::builder(k)
                .pretrained(true)
                .build()
                .unwrap(),
        ),
        case(
            "LuminanceContrastGainControl",
            LuminanceContrastGainControl::builder(k)
                .pretrained(true)
                .build()
                .unwrap(),
        ),
        case("OnOff", OnOff::builder(k).pretrained(true).build().unwrap()),
    ]
}

#[test]
fn models_match_the_cpu() {
    let e = po::data::einstein().unwrap();
    let e64 = po::cast::<f32, f64, _>(&e);
    for (_, check) in models() {
        check(&e, &e64);
    }
}

#[test]
fn batched_models_match_the_cpu() {
    let e = po::data::einstein().unwrap();
    let c = po::data::curie().unwrap();
    let b = po::cat_batch(&[&e, &c]).unwrap();
    let b64 = po::cast::<f32, f64, _>(&b);
    for (_, check) in models() {
        check(&b, &b64);
    }
}

/// `po::device::select` is global: the tests that switch devices take turns.
static SWITCH: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn metamer_losses<M: Model>(kind: Kind, img: &Image<f32>, model: M, iters: usize) -> Vec<f64> {
    po::device::select(kind).unwrap();
    let losses = losses_without_penalty(img, model, iters);
    po::device::select(Kind::Cpu).unwrap();
    losses
}

#[test]
fn metamer_losses_follow_the_cpu() {
    let _ = gpu();
    let _turn = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
    let e = po::data::einstein().unwrap();
    let lgc = || {
        LuminanceGainControl::builder((31, 31))
            .pretrained(true)
            .build()
            .unwrap()
    };
    let gauss = || Gaussian::new((31, 31)).unwrap();
    for (name, cpu, gpu) in [
        (
            "Gaussian",
            metamer_losses(Kind::Cpu, &e, gauss(), 50),
            metamer_losses(Kind::Cuda, &e, gauss(), 50),
        ),
        (
            "LuminanceGainControl",
            metamer_losses(Kind::Cpu, &e, lgc(), 50),
            metamer_losses(Kind::Cuda, &e, lgc(), 50),
        ),
    ] {
        assert_eq!(cpu.len(), gpu.len());
        let worst = cpu
            .iter()
            .zip(&gpu)
            .map(|(a, b)| (a - b).abs() / a.abs())
            .fold(0.0f64, f64::max);
        println!("{name}: 50 losses, worst relative difference {worst:.2e}");
        assert!(worst < 1e-4, "{name}: losses diverge by {worst:.2e}");
        assert!(
            gpu[gpu.len() - 1] < 0.5 * gpu[0],
            "{name}: the GPU loss does not fall"
        );
    }
}

#[test]
fn eigenvalues_match_the_cpu() {
    let _ = gpu();
    let _turn = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
    let e = po::data::einstein().unwrap();
    let model = LuminanceGainControl::builder((31, 31))
        .pretrained(true)
        .build()
        .unwrap();
    let mut vals = Vec::new();
    for kind in [Kind::Cpu, Kind::Cuda] {
        po::device::select(kind).unwrap();
        po::tools::set_seed(0);
        let mut eig = Eigendistortion::new(e.clone(), model.clone()).unwrap();
        eig.synthesize()
            .method(Method::Power)
            .progress(false)
            .run()
            .unwrap();
        vals.push(eig.eigenvalues().unwrap().to_vec());
    }
    po::device::select(Kind::Cpu).unwrap();
    let top = (vals[0][0] - vals[1][0]).abs() / vals[0][0];
    println!(
        "top eigenvalue cpu {:.8e} gpu {:.8e} ({top:.2e})",
        vals[0][0], vals[1][0]
    );
    assert!(top < 1e-6, "top eigenvalues differ by {top:.2e}");
    let bottom = (vals[0][1] - vals[1][1]).abs();
    println!(
        "bottom eigenvalue cpu {:.3e} gpu {:.3e}",
        vals[0][1], vals[1][1]
    );
    assert!(
        bottom < 1e-3 * vals[0][0],
        "bottom eigenvalues differ by {bottom:.2e}"
    );
}

#[test]
fn device_line_names_the_gpu() {
    let _ = gpu();
    let _turn = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
    po::device::select(Kind::Cuda).unwrap();
    assert!(po::device::describe().starts_with("device: cuda"));
    po::device::select(Kind::Cpu).unwrap();
    assert!(po::device::describe().starts_with("device: cpu"));
}
