//! Forward and forward+backward times of every built-in model on 256x256 images (f32),
//! batch 1 and 3. Forward+backward is one synthesis step's model work: the representation,
//! plenoptic's mse loss against a fixed target representation, and the gradient with
//! respect to the image.
//!
//! Times are the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall time:
//! on a shared machine other processes then do not inflate them, and they are one core's
//! work (the crate computes on one thread). Run with `cargo bench --bench models`.
//!
//! Batch 3 and the larger models allocate several MB per step, which glibc returns to the
//! system and faults back in on every step; `MALLOC_TRIM_THRESHOLD_=268435456
//! MALLOC_MMAP_THRESHOLD_=67108864 cargo bench --bench models` keeps that memory and shows
//! the difference (up to 1.7x for batch 3).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "../tests/common/mod.rs"]
mod common;
use common::thread_cpu_time;
use dfdx::prelude::*;
use plenoptic as po;
use po::simulate::{
    CenterSurround, Gaussian, LinearNonlinear, LuminanceContrastGainControl, LuminanceGainControl,
    OnOff,
};
use po::{Model, PadMode};

/// Runs `f` `iters` times; returns the CPU time it took.
fn cpu_time<R>(iters: u64, mut f: impl FnMut() -> R) -> Duration {
    let start = thread_cpu_time();
    for _ in 0..iters {
        black_box(f());
    }
    thread_cpu_time() - start
}

fn bench_model<M: Model>(c: &mut Criterion, name: &str, model: &M) {
    let mut g = c.benchmark_group(name);
    for batch in [1usize, 3] {
        po::tools::set_seed(0);
        let x = po::data::white_noise::<f32>(&[batch, 1, 256, 256]).unwrap();
        let target = model
            .apply(&po::data::white_noise::<f32>(&[batch, 1, 256, 256]).unwrap())
            .unwrap();
        g.bench_with_input(BenchmarkId::new("forward", batch), &x, |b, x| {
            b.iter_custom(|n| cpu_time(n, || model.apply(x).unwrap()))
        });
        g.bench_with_input(BenchmarkId::new("forward_backward", batch), &x, |b, x| {
            b.iter_custom(|n| {
                cpu_time(n, || {
                    let rep = model.forward(x.leaky_trace()).unwrap();
                    let loss = po::ops::mse(rep, target.retaped()).unwrap();
                    let grads = loss.sum::<(), _>().backward();
                    grads.get(x)
                })
            })
        });
    }
    g.finish();
}

fn models(c: &mut Criterion) {
    let circ = PadMode::Circular;
    let k = (31, 31);
    let gauss = Gaussian::builder(k)
        .std(3.0)
        .pad_mode(circ)
        .build()
        .unwrap();
    bench_model(c, "gaussian_circular", &gauss);
    let gauss_r = Gaussian::builder(k)
        .std(3.0)
        .pad_mode(PadMode::Reflect)
        .build()
        .unwrap();
    bench_model(c, "gaussian_reflect", &gauss_r);
    let cs = CenterSurround::builder(k)
        .center_std(1.962)
        .surround_std(4.235)
        .pad_mode(circ)
        .build()
        .unwrap();
    bench_model(c, "center_surround_circular", &cs);
    let ln = LinearNonlinear::builder(k)
        .pretrained(true)
        .pad_mode(circ)
        .build()
        .unwrap();
    bench_model(c, "linear_nonlinear_circular", &ln);
    let lgc = LuminanceGainControl::builder(k)
        .pretrained(true)
        .pad_mode(circ)
        .build()
        .unwrap();
    bench_model(c, "luminance_gain_control_circular", &lgc);
    let lgc_r = LuminanceGainControl::builder(k)
        .pretrained(true)
        .pad_mode(PadMode::Reflect)
        .build()
        .unwrap();
    bench_model(c, "luminance_gain_control_reflect", &lgc_r);
    let lcgc = LuminanceContrastGainControl::builder(k)
        .pretrained(true)
        .pad_mode(circ)
        .build()
        .unwrap();
    bench_model(c, "luminance_contrast_gain_control_circular", &lcgc);
    let oo = OnOff::builder(k)
        .pretrained(true)
        .pad_mode(circ)
        .build()
        .unwrap();
    bench_model(c, "on_off_circular", &oo);
}

/// The CPU's convolution kernel: `conv2d_same` of a 1x1x256x256 image with a 31x31
/// Gaussian (circular padding), forward and forward+backward. Built with
/// `--features portable-cpu`, the CPU runs the portable (matrix) kernel the GPU path uses
/// (group `..._portable`), otherwise its FFT kernel (`..._fft`). dfdx's CPU matmul (the
/// `gemm` crate) runs on rayon threads, which the thread CPU time does not see: run with
/// `RAYON_NUM_THREADS=1` (then it runs on the calling thread), e.g.
/// `RAYON_NUM_THREADS=1 cargo bench --features portable-cpu --bench models -- conv2d`.
fn cpu_conv(c: &mut Criterion) {
    let kernel = if cfg!(feature = "portable-cpu") {
        "portable"
    } else {
        "fft"
    };
    let mut g = c.benchmark_group(format!("conv2d_same_256_gauss31_{kernel}"));
    po::tools::set_seed(0);
    let x = po::data::white_noise::<f32>(&[1, 1, 256, 256]).unwrap();
    let filt = po::tools::circular_gaussian2d((31, 31), &[3.0]).unwrap();
    let circ = PadMode::Circular;
    g.bench_function("forward", |b| {
        b.iter_custom(|n| cpu_time(n, || po::ops::conv2d_same(x.clone(), &filt, circ).unwrap()))
    });
    g.bench_function("forward_backward", |b| {
        b.iter_custom(|n| {
            cpu_time(n, || {
                let y = po::ops::conv2d_same(x.leaky_trace(), &filt, circ).unwrap();
                let loss = po::ops::sum_squares(y).unwrap();
                loss.sum::<(), _>().backward().get(&x)
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = models, cpu_conv
}
criterion_main!(benches);
