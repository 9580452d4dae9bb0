//! SSIM, NLPD and MS-SSIM on 256x256 (einstein against the noisy einstein of
//! `../shared/reference-textures`), f32, the cases plenoptic's timings cover (reference
//! README section 8): ssim forward, ssim forward+backward with respect to the second image,
//! `1 - ssim(weighted, pad=reflect)` forward+backward (MAD's objective), nlpd forward and
//! forward+backward, ms_ssim forward+backward. Times are the benchmark thread's CPU time,
//! as `benches/models.rs`.
//! `benches/metrics_plenoptic.py` times plenoptic the same way (run it by hand with
//! `python3 benches/metrics_plenoptic.py`).
//!
//! Run with `cargo bench --bench metrics`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

#[path = "../tests/common/mod.rs"]
mod common;
use common::thread_cpu_time;
use dfdx::prelude::*;
use plenoptic as po;
use po::metric::{Metric, MsSsim, Nlpd, Ssim};

/// Runs `f` `iters` times; returns the CPU time it took.
fn cpu_time<R>(iters: u64, mut f: impl FnMut() -> R) -> Duration {
    let start = thread_cpu_time();
    for _ in 0..iters {
        black_box(f());
    }
    thread_cpu_time() - start
}

fn noisy() -> po::Image<f32> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference-textures/metrics_noisy_einstein.npy");
    let bytes = std::fs::read(&path).expect("reference-textures");
    let v = npyz::NpyFile::new(&bytes[..])
        .unwrap()
        .into_vec::<f32>()
        .unwrap();
    po::image_from_vec(v, &[1, 1, 256, 256]).unwrap()
}

/// `metric(a, b)` and its gradient with respect to `b`; `one_minus` differentiates
/// `1 - metric` (MAD's loss).
fn forward_backward<M: Metric>(
    m: &M,
    a: &po::Image<f32>,
    b: &po::Image<f32>,
    one_minus: bool,
) -> po::Image<f32> {
    let y = m.forward(a.retaped(), b.leaky_trace()).unwrap();
    let y = if one_minus { y.negate() + 1.0 } else { y };
    let g = y.sum::<(), _>().backward();
    g.get(b)
}

fn metrics(c: &mut Criterion) {
    let a = po::data::einstein().unwrap();
    let b = noisy();
    let ssim = Ssim::default();
    let ms_ssim = MsSsim::default();
    let mad = Ssim {
        weighted: true,
        pad: Some(po::PadMode::Reflect),
    };
    let mut g = c.benchmark_group("metrics_256");
    g.bench_function("ssim_forward", |t| {
        t.iter_custom(|n| cpu_time(n, || ssim.forward(a.clone(), b.clone()).unwrap()))
    });
    g.bench_function("ssim_forward_backward", |t| {
        t.iter_custom(|n| cpu_time(n, || forward_backward(&ssim, &a, &b, false)))
    });
    g.bench_function("one_minus_ssim_weighted_reflect_forward_backward", |t| {
        t.iter_custom(|n| cpu_time(n, || forward_backward(&mad, &a, &b, true)))
    });
    g.bench_function("nlpd_forward", |t| {
        t.iter_custom(|n| cpu_time(n, || Nlpd.forward(a.clone(), b.clone()).unwrap()))
    });
    g.bench_function("nlpd_forward_backward", |t| {
        t.iter_custom(|n| cpu_time(n, || forward_backward(&Nlpd, &a, &b, false)))
    });
    g.bench_function("ms_ssim_forward_backward", |t| {
        t.iter_custom(|n| cpu_time(n, || forward_backward(&ms_ssim, &a, &b, false)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = metrics
}
criterion_main!(benches);
