//! Synthesis speed on 256x256 images: milliseconds per metamer iteration (criterion) for
//! the tutorial's models and batches, and total seconds for each tutorial
//! eigendistortion (printed once each, power method as the tutorial, then LOBPCG).
//!
//! Metamer times are wall-clock by default; with `PLENOPTIC_BENCH_CLOCK=thread` they are
//! the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), which other processes on
//! a shared machine inflate less. Eigendistortion lines give both wall and CPU time. Run with `cargo bench --bench synthesis`; `cargo bench --bench
//! synthesis metamer` runs the metamer part only, `... eigendistortion` the other, and
//! `... eigendistortion/lgc/power` the eigendistortions whose name and method contain
//! the words after the slashes.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;

#[path = "../tests/common/mod.rs"]
mod common;
use common::{center_surround, gaussian, lgc, repeat, thread_cpu_time};
use plenoptic as po;
use po::synthesize::{Eigendistortion, Metamer, Method};
use po::{Image, Model};

fn bench_metamer<M: Model>(c: &mut Criterion, name: &str, model: M, batch: usize) {
    let img = repeat(&po::data::einstein().unwrap(), batch);
    let mut met = Metamer::new(img, model).unwrap();
    met.synthesize(5).progress(false).run().unwrap();
    let thread_clock = std::env::var("PLENOPTIC_BENCH_CLOCK").is_ok_and(|v| v == "thread");
    c.bench_function(&format!("metamer_iteration/{name}"), |b| {
        b.iter_custom(|n| {
            let (wall, cpu) = (Instant::now(), thread_cpu_time());
            met.synthesize(n as usize)
                .stop_criterion(0.0)
                .progress(false)
                .run()
                .unwrap();
            black_box(met.losses().last());
            if thread_clock {
                thread_cpu_time() - cpu
            } else {
                wall.elapsed()
            }
        })
    });
}

fn eigendistortion<M: Model + Clone>(name: &str, img: &Image<f32>, model: &M, only: &[&str]) {
    for method in [Method::Power, Method::Lobpcg] {
        let label = format!("{name} {method:?}").to_lowercase();
        if !only.iter().all(|w| label.contains(w)) {
            continue;
        }
        // the same starting vectors whichever cases run
        po::tools::set_seed(0);
        let mut eig = Eigendistortion::new(img.clone(), model.clone()).unwrap();
        let (wall, cpu) = (Instant::now(), thread_cpu_time());
        eig.synthesize()
            .method(method)
            .progress(false)
            .run()
            .unwrap();
        let cpu = (thread_cpu_time() - cpu).as_secs_f64();
        println!(
            "eigendistortion {name:<22} {:<7} {:6.2} s wall {:6.2} s cpu  iterations {:?}  eigenvalues {:.6e} / {:.3e}",
            format!("{method:?}"),
            wall.elapsed().as_secs_f64(),
            cpu,
            eig.iterations().unwrap(),
            eig.eigenvalues().unwrap()[0],
            eig.eigenvalues().unwrap()[1]
        );
    }
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |part: &str| {
        filter
            .as_deref()
            .is_none_or(|f| part.contains(f) || f.contains(part))
    };
    po::synthesize::show_progress(false);
    if wants("metamer_iteration") || wants("metamer") {
        let mut c = Criterion::default()
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3))
            .configure_from_args();
        bench_metamer(&mut c, "gaussian_b1", gaussian(), 1);
        bench_metamer(&mut c, "center_surround_b3", center_surround(), 3);
        bench_metamer(&mut c, "luminance_gain_control_b3", lgc(), 3);
        c.final_summary();
    }
    if wants("eigendistortion") {
        // `eigendistortion/lgc/power`: only the cases whose name and method contain the
        // words after the slashes
        let words: Vec<String> = filter
            .as_deref()
            .map(|f| f.split('/').skip(1).map(str::to_lowercase).collect())
            .unwrap_or_default();
        let only: Vec<&str> = words.iter().map(String::as_str).collect();
        let einstein = po::data::einstein().unwrap();
        let curie = po::data::curie().unwrap();
        eigendistortion("gaussian einstein", &einstein, &gaussian(), &only);
        eigendistortion(
            "center_surround einstein",
            &einstein,
            &center_surround(),
            &only,
        );
        eigendistortion("lgc einstein", &einstein, &lgc(), &only);
        eigendistortion("lgc curie", &curie, &lgc(), &only);
        eigendistortion("center_surround curie", &curie, &center_surround(), &only);
    }
}
