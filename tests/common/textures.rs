//! The texture references of plenoptic 1.3.0 (`../shared/reference-textures`).

use std::path::PathBuf;

/// `../shared/reference-textures` next to the repo (or `$PLENOPTIC_REFERENCE_TEXTURES`).
pub fn dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PLENOPTIC_REFERENCE_TEXTURES") {
        return PathBuf::from(d);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference-textures")
}

/// Reads a .npy of the texture references (float32, float64 or int64), as f64, with its shape.
pub fn npy64(name: &str) -> (Vec<f64>, Vec<usize>) {
    let path = dir().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path:?}: {e}"));
    let arr = npyz::NpyFile::new(&bytes[..]).expect("valid npy");
    let shape = arr.shape().iter().map(|&s| s as usize).collect();
    let descr = arr.dtype().descr();
    let v = if descr.contains("f8") {
        arr.into_vec::<f64>().unwrap()
    } else if descr.contains("f4") {
        arr.into_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect()
    } else if descr.contains("i8") {
        arr.into_vec::<i64>()
            .unwrap()
            .into_iter()
            .map(|v| v as f64)
            .collect()
    } else {
        arr.into_vec::<u8>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect()
    };
    (v, shape)
}

/// Reads a float32 .npy of the texture references with its shape.
pub fn npy(name: &str) -> (Vec<f32>, Vec<usize>) {
    let (v, s) = npy64(name);
    (v.into_iter().map(|x| x as f32).collect(), s)
}
