//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

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
