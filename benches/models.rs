//! Forward and forward+backward times of every built-in model at 256x256 (f32).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use dfdx::prelude::*;
use plenoptic as po;
use po::Model;

fn bench_model<M: Model>(c: &mut Criterion, name: &str, model: &M) {
    let mut g = c.benchmark_group(name);
    for batch in [1usize, 3] {
        po::tools::set_seed(0);
        let x = po::data::white_noise::<f32>(&[batch, 1, 256, 256]).unwrap();
        g.bench_with_input(BenchmarkId::new("forward", batch), &x, |b, x| {
            b.iter(|| model.apply(x).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("forward_backward", batch), &x, |b, x| {
            b.iter(|| {
                let y = model.forward(x.leaky_trace()).unwrap();
                let loss = y.sum::<(), _>();
                let grads = loss.backward();
                grads.get(x)
            })
        });
    }
    g.finish();
}

fn models(c: &mut Criterion) {
    let circ = po::PadMode::Circular;
    let gauss = po::simulate::Gaussian::builder((31, 31)).pad_mode(circ).build().unwrap();
    bench_model(c, "gaussian", &gauss);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = models
}
criterion_main!(benches);
