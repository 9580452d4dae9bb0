//! GPU against CPU: wall-clock time of the tutorial's syntheses at 256x256 and of a larger
//! case (batch 16, 512x512), on every device this build can use, printed as one markdown
//! table. Also checks that both devices agree (model outputs, metamer losses,
//! eigenvalues) and prints the largest differences.
//!
//! `cargo bench --bench devices` (CPU only without the `cuda` feature);
//! `cargo bench --features cuda --bench devices` on a machine with a GPU. Arguments
//! after `--` choose parts: `metamer`, `large`, `eigendistortion` (default: all).
//! `PLENOPTIC_BENCH_ITERS` sets the metamer iterations timed per case (default 20).
//! Metamer rows also give, in parentheses, the model's forward and backward pass alone
//! (ms): the rest of an iteration is the host's (Adam step, MSE, copies).

use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;

use common::{center_surround, gaussian, lgc, repeat};
use plenoptic as po;
use po::device::Kind;
use po::synthesize::{Eigendistortion, Metamer, Method};
use po::{Image, Model};

/// einstein tiled 2x2 into 512x512.
fn big_einstein() -> Image<f32> {
    let e = po::data::einstein().unwrap().as_vec();
    let mut v = vec![0.0f32; 512 * 512];
    for i in 0..512 {
        for j in 0..512 {
            v[i * 512 + j] = e[(i % 256) * 256 + j % 256];
        }
    }
    po::image_from_vec(v, &[1, 1, 512, 512]).unwrap()
}

/// One result row: case, device, time, and the numbers compared across devices.
struct Row {
    case: String,
    kind: Kind,
    time: String,
    values: Vec<f64>,
}

/// Runs `iters` metamer iterations after 3 warm-up ones; returns ms per iteration and the
/// losses.
fn metamer<M: Model>(img: &Image<f32>, model: M, iters: usize) -> (f64, Vec<f64>) {
    po::tools::set_seed(0);
    let mut met = Metamer::new(img.clone(), model).unwrap();
    met.synthesize(3)
        .stop_criterion(0.0)
        .progress(false)
        .run()
        .unwrap();
    let t = Instant::now();
    met.synthesize(iters)
        .stop_criterion(0.0)
        .progress(false)
        .run()
        .unwrap();
    let ms = t.elapsed().as_secs_f64() * 1e3 / iters as f64;
    (ms, met.losses().to_vec())
}

/// Milliseconds for one forward and backward pass of `model` on `img` on device `dev`
/// (median of 10 after 2 warm-ups; the gradient is read back, which waits for the device).
/// Set against the metamer iteration, it shows what the host's share of an iteration is
/// (the optimiser step, the MSE and the copies).
fn forward_backward<D, M: Model>(dev: &D, model: &M, img: &Image<f32>) -> f64
where
    D: po::Device<f32> + po::dfdx::tensor_ops::Device<f32>,
{
    use po::dfdx::prelude::*;
    let x = po::to_device(img, dev);
    let mut times: Vec<f64> = (0..12)
        .map(|_| {
            let t = Instant::now();
            let y = model.forward(x.leaky_trace()).unwrap();
            let g = po::ops::sum_squares(y)
                .unwrap()
                .sum::<Rank0, _>()
                .backward();
            std::hint::black_box(g.get(&x).as_vec());
            t.elapsed().as_secs_f64() * 1e3
        })
        .skip(2)
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// A model to time (object-safe: one table row per model).
trait Case {
    /// [`forward_backward`] on the device of `kind`.
    fn forward_backward(&self, kind: Kind, img: &Image<f32>) -> f64;
    /// [`metamer`] with this model.
    fn metamer(&self, img: &Image<f32>, iters: usize) -> (f64, Vec<f64>);
}

impl<M: Model + Clone> Case for M {
    fn forward_backward(&self, kind: Kind, img: &Image<f32>) -> f64 {
        match kind {
            Kind::Cpu => forward_backward(&po::device::cpu(), self, img),
            #[cfg(feature = "cuda")]
            Kind::Cuda => forward_backward(&po::device::gpu().unwrap(), self, img),
            #[cfg(not(feature = "cuda"))]
            Kind::Cuda => unreachable!("no GPU without the cuda feature"),
        }
    }
    fn metamer(&self, img: &Image<f32>, iters: usize) -> (f64, Vec<f64>) {
        metamer(img, self.clone(), iters)
    }
}

fn eigen<M: Model + Clone>(img: &Image<f32>, model: &M) -> (f64, Vec<f64>) {
    let mut eig = Eigendistortion::new(img.clone(), model.clone()).unwrap();
    let t = Instant::now();
    eig.synthesize()
        .method(Method::Power)
        .progress(false)
        .run()
        .unwrap();
    (
        t.elapsed().as_secs_f64(),
        eig.eigenvalues().unwrap().to_vec(),
    )
}

fn main() {
    let parts: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |p: &str| parts.is_empty() || parts.iter().any(|a| a == p);
    let iters: usize = std::env::var("PLENOPTIC_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    po::synthesize::show_progress(false);
    let mut kinds = vec![Kind::Cpu];
    if po::device::gpu_available() {
        kinds.push(Kind::Cuda);
    }
    println!("{}", po::device::describe());
    let einstein = po::data::einstein().unwrap();
    let mut rows: Vec<Row> = Vec::new();
    for &kind in &kinds {
        po::device::select(kind).unwrap();
        let mut push = |case: &str, time: String, values: Vec<f64>| {
            eprintln!("{case} on {kind}: {time}");
            rows.push(Row {
                case: case.into(),
                kind,
                time,
                values,
            })
        };
        // metamer cases: name, model forward+backward alone, then the iteration
        let mut case = |name: &str, img: &Image<f32>, model: &dyn Fn() -> Box<dyn Case>, n| {
            let m = model();
            let fb = m.forward_backward(kind, img);
            let (ms, l) = m.metamer(img, n);
            push(name, format!("{ms:.2} ms/it ({fb:.2} model)"), l);
        };
        if wants("metamer") {
            let b3 = repeat(&einstein, 3);
            case(
                "metamer Gaussian 1x1x256x256",
                &einstein,
                &|| Box::new(gaussian()),
                iters,
            );
            case(
                "metamer CenterSurround 3x1x256x256",
                &b3,
                &|| Box::new(center_surround()),
                iters,
            );
            case(
                "metamer LuminanceGainControl 3x1x256x256",
                &b3,
                &|| Box::new(lgc()),
                iters,
            );
        }
        if wants("large") {
            let big = repeat(&big_einstein(), 16);
            let n = iters.min(10);
            case(
                "metamer Gaussian 16x1x512x512",
                &big,
                &|| Box::new(gaussian()),
                n,
            );
            case(
                "metamer LuminanceGainControl 16x1x512x512",
                &big,
                &|| Box::new(lgc()),
                n,
            );
        }
        if wants("eigendistortion") {
            let (s, v) = eigen(&einstein, &gaussian());
            push(
                "eigendistortion Gaussian einstein (power)",
                format!("{s:.2} s"),
                v,
            );
            let (s, v) = eigen(&einstein, &lgc());
            push(
                "eigendistortion LuminanceGainControl einstein (power)",
                format!("{s:.2} s"),
                v,
            );
        }
    }
    println!("\n| case | device | time | largest relative difference from the CPU |");
    println!("|---|---|---|---|");
    for r in &rows {
        let cpu = rows
            .iter()
            .find(|c| c.case == r.case && c.kind == Kind::Cpu)
            .expect("the CPU runs every case");
        let diff = r
            .values
            .iter()
            .zip(&cpu.values)
            .map(|(a, b)| (a - b).abs() / b.abs().max(1e-12))
            .fold(0.0f64, f64::max);
        println!("| {} | {} | {} | {:.2e} |", r.case, r.kind, r.time, diff);
    }
}
