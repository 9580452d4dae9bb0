//! Helpers shared by the integration tests and the benchmarks (`#[path]`).
#![allow(dead_code)]

use std::path::PathBuf;

use plenoptic as po;

pub mod ctf_model;
pub mod reference;
pub mod textures;

/// The reference outputs of plenoptic 1.3.0 (`../shared/reference` next to the repo).
pub fn reference_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PLENOPTIC_REFERENCE") {
        return PathBuf::from(d);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}

/// Reads a float32 .npy reference array (flattened) and its shape.
pub fn npy(name: &str) -> (Vec<f32>, Vec<usize>) {
    let path = reference_dir().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path:?}: {e}"));
    let arr = npyz::NpyFile::new(&bytes[..]).expect("valid npy");
    let shape = arr.shape().iter().map(|&s| s as usize).collect();
    (arr.into_vec::<f32>().expect("float32 npy"), shape)
}

/// Largest absolute difference.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// A 2-D reference array as a (1, 1, h, w) image.
pub fn npy_image(name: &str) -> po::Image<f32> {
    let (v, shape) = npy(name);
    po::image_from_vec(v, &[1, 1, shape[0], shape[1]]).unwrap()
}

/// The 32x32 crop of einstein (deterministic data, no generator involved).
pub fn crop32() -> po::Image<f32> {
    npy_image("einstein_crop32_r112c112.npy")
}

/// The tutorial's Gaussian model: 31x31, std 3, circular padding.
pub fn gaussian() -> po::simulate::Gaussian {
    po::simulate::Gaussian::builder((31, 31))
        .std(3.0)
        .pad_mode(po::PadMode::Circular)
        .build()
        .unwrap()
}

/// The tutorial's CenterSurround model (Berardino et al. 2017 values, circular padding).
pub fn center_surround() -> po::simulate::CenterSurround {
    po::simulate::CenterSurround::builder((31, 31))
        .center_std(1.962)
        .surround_std(4.235)
        .pad_mode(po::PadMode::Circular)
        .build()
        .unwrap()
}

/// The tutorial's pretrained LuminanceGainControl (circular padding).
pub fn lgc() -> po::simulate::LuminanceGainControl {
    po::simulate::LuminanceGainControl::builder((31, 31))
        .pad_mode(po::PadMode::Circular)
        .pretrained(true)
        .build()
        .unwrap()
}

/// `img` repeated `n` times along the batch.
pub fn repeat(img: &po::Image<f32>, n: usize) -> po::Image<f32> {
    let v: Vec<&po::Image<f32>> = (0..n).map(|_| img).collect();
    po::cat_batch(&v).unwrap()
}

/// CPU time consumed by the calling thread (the benchmarks' clock: other processes on a
/// shared machine do not inflate it).
pub fn thread_cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the pointer it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime failed");
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Largest difference of `a` against `b`, relative to the largest magnitude of `b`.
pub fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(1e-30f64, |m, v| m.max(v.abs()));
    max_abs_diff(a, b) / scale
}

/// The values as f64.
pub fn f64s<E: po::Float>(v: Vec<E>) -> Vec<f64> {
    v.into_iter().map(|x| x.as_f64()).collect()
}

/// The losses of `iters` metamer iterations from seed 0, without the range penalty: a
/// pixel that ends a hair inside or outside [0, 1] changes the penalty by up to 2% of a
/// small loss for one iteration (measured), which would hide a comparison of two code
/// paths (1e-6 without it).
pub fn losses_without_penalty<M: po::Model>(
    img: &po::Image<f32>,
    model: M,
    iters: usize,
) -> Vec<f64> {
    quiet();
    po::tools::set_seed(0);
    let mut met = po::synthesize::Metamer::builder(img.clone(), model)
        .range_penalty_lambda(0.0)
        .build()
        .unwrap();
    met.synthesize(iters)
        .stop_criterion(0.0)
        .progress(false)
        .run()
        .unwrap();
    met.losses().to_vec()
}

/// NaN wherever a pixel exceeds 0.9 (a model whose loss becomes NaN).
pub struct NanAbove;

impl po::Model for NanAbove {
    fn forward<E: po::Float, D: po::Device<E>, T: po::Tape<E, D>>(
        &self,
        x: po::Image<E, T, D>,
    ) -> po::Result<po::Image<E, T, D>> {
        let t = E::of_f64(0.9);
        po::ops::map(x, move |v, _| {
            if v > t {
                (E::nan(), E::one())
            } else {
                (v, E::one())
            }
        })
    }
}

/// Silences the synthesis progress line.
pub fn quiet() {
    po::synthesize::show_progress(false);
}
