//! Portilla-Simoncelli forward and forward+backward on reptile_skin 256x256 (f32, the
//! texture exercise's model), and the steerable pyramid alone. Forward+backward is one
//! synthesis step's model work: the statistics, a squared distance to a fixed target
//! representation, and the gradient with respect to the image.
//!
//! Times are the benchmark thread's CPU time by default, as in `benches/models.rs`;
//! `PLENOPTIC_BENCH_CLOCK=process` gives the CPU time of all the process' threads and
//! `PLENOPTIC_BENCH_CLOCK=wall` wall-clock time. Run with `cargo bench --bench textures`;
//! `benches/textures_plenoptic.py` times plenoptic 1.3.0 the same way (run it by hand with
//! a Python that has plenoptic, right after this).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

#[path = "../tests/common/mod.rs"]
mod common;
use common::thread_cpu_time;
use plenoptic as po;
use po::simulate::SteerablePyramidFreq;
use po::Model;

/// The clock `PLENOPTIC_BENCH_CLOCK` names: `thread` (the default), `process` or `wall`.
fn now() -> Duration {
    static CLOCK: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let clock = CLOCK.get_or_init(|| std::env::var("PLENOPTIC_BENCH_CLOCK").unwrap_or_default());
    match clock.as_str() {
        "process" => {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: clock_gettime writes one timespec into the pointer it is given.
            let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
            assert_eq!(rc, 0, "clock_gettime failed");
            Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
        }
        "wall" => {
            static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
            START.get_or_init(std::time::Instant::now).elapsed()
        }
        _ => thread_cpu_time(),
    }
}

fn cpu_time<R>(iters: u64, mut f: impl FnMut() -> R) -> Duration {
    let start = now();
    for _ in 0..iters {
        black_box(f());
    }
    now() - start
}

fn textures(c: &mut Criterion) {
    let case = common::textures::PsCase::new();
    let (img, ps) = (&case.img, &case.ps);
    let mut g = c.benchmark_group("portilla_simoncelli_256");
    g.sample_size(20);
    g.bench_function("forward", |b| {
        b.iter_custom(|n| cpu_time(n, || ps.apply(img).unwrap()))
    });
    g.bench_function("forward_backward", |b| {
        b.iter_custom(|n| cpu_time(n, || case.forward_backward()))
    });
    g.finish();
    let pyr = SteerablePyramidFreq::builder((256, 256))
        .height(4)
        .is_complex(true)
        .build()
        .unwrap();
    let mut g = c.benchmark_group("steerable_pyramid_256_complex_h4");
    g.bench_function("forward", |b| {
        b.iter_custom(|n| cpu_time(n, || pyr.forward(img.clone()).unwrap()))
    });
    g.finish();
    // the texture exercise's synthesis loop: 10 iterations of its coarse-to-fine metamer
    // per sample (a new run each sample, as a notebook cell's `synthesize` call), past
    // the coarse stages (from iteration 18 on, the whole model)
    po::synthesize::show_progress(false);
    let mut met = po::synthesize::MetamerCTF::builder(img.clone(), ps.clone())
        .loss_function(po::synthesize::LossFunction::L2Norm)
        .build()
        .unwrap();
    met.setup()
        .initial_image(&po::data::white_noise::<f32>(&[1, 1, 256, 256]).unwrap())
        .run()
        .unwrap();
    let mut g = c.benchmark_group("metamer_ctf_256");
    g.sample_size(10);
    g.bench_function("10_iterations", |b| {
        b.iter_custom(|n| {
            cpu_time(n, || {
                met.synthesize(10)
                    .change_scale_criterion(None)
                    .ctf_iters_to_check(3)
                    .run()
                    .unwrap()
            })
        })
    });
    g.finish();
}

criterion_group!(benches, textures);
criterion_main!(benches);
