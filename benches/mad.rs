//! MAD competition speed on einstein 256x256 with the tutorial's metrics (1 - SSIM,
//! weighted, reflect padding, against MSE; minimize, lambda 1e4): wall-clock milliseconds
//! per iteration, median (min..max) of blocks of 5 iterations after a warm-up, and the
//! thread's CPU time. `benches/mad_plenoptic.py` times the same with plenoptic
//! (`python3 benches/mad_plenoptic.py`); run both back to back on a quiet
//! machine. `cargo bench --bench mad`.

use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;
use common::thread_cpu_time;
use plenoptic as po;
use po::metric::{from_fn, Metric, Mse, Ssim};
use po::synthesize::MADCompetition;

fn main() {
    po::synthesize::show_progress(false);
    let sdsim = from_fn(|a, b| {
        let s = Ssim {
            weighted: true,
            pad: Some(po::PadMode::Reflect),
        }
        .forward(a, b)?;
        po::ops::map(s, |v, _| (1.0 - v, -1.0))
    });
    let mut mad = MADCompetition::builder(po::data::einstein().unwrap(), sdsim, Mse, "min")
        .metric_tradeoff_lambda(1e4)
        .build()
        .unwrap();
    po::tools::set_seed(0);
    mad.setup().initial_noise(0.04).run().unwrap();
    mad.synthesize(5).run().unwrap();
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let (w, c) = (Instant::now(), thread_cpu_time());
        mad.synthesize(5).stop_criterion(0.0).run().unwrap();
        wall.push(w.elapsed().as_secs_f64() * 1e3 / 5.0);
        cpu.push((thread_cpu_time() - c).as_secs_f64() * 1e3 / 5.0);
    }
    for (name, mut v) in [("wall", wall), ("thread cpu", cpu)] {
        v.sort_by(f64::total_cmp);
        println!(
            "MAD iteration (1-SSIM weighted reflect vs MSE, min), einstein 256x256, {name}: \
             median {:.2} ms ({:.2}..{:.2}), 20 blocks of 5",
            v[v.len() / 2],
            v[0],
            v[v.len() - 1]
        );
    }
}
