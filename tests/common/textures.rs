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

/// The texture benches' case (`benches/textures.rs`, `benches/textures_paired.rs`):
/// reptile_skin 256x256, Portilla-Simoncelli with plenoptic's defaults, and a fixed
/// target representation (of white noise, seed 0).
pub struct PsCase {
    pub img: plenoptic::Image<f32>,
    pub ps: plenoptic::simulate::PortillaSimoncelli,
    pub target: plenoptic::Image<f32>,
}

impl PsCase {
    pub fn new() -> Self {
        use plenoptic::Model;
        let img = plenoptic::data::reptile_skin().expect("bash kernel-setup/fetch-data.sh");
        let ps = plenoptic::simulate::PortillaSimoncelli::builder((256, 256))
            .build()
            .unwrap();
        plenoptic::tools::set_seed(0);
        let noise = plenoptic::data::white_noise::<f32>(&[1, 1, 256, 256]).unwrap();
        let target = ps.apply(&noise).unwrap();
        PsCase { img, ps, target }
    }

    /// One synthesis step's model work: the statistics, the squared distance to the
    /// target, and the gradient with respect to the image.
    pub fn forward_backward(&self) -> plenoptic::Image<f32> {
        use dfdx::prelude::*;
        use plenoptic::Model;
        let rep = self.ps.forward(self.img.leaky_trace()).unwrap();
        let loss = plenoptic::ops::mse(rep, self.target.retaped()).unwrap();
        let grads = loss.sum::<(), _>().backward();
        grads.get(&self.img)
    }
}
