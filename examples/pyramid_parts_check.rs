//! Hand check of the steerable pyramid's scale subsets and steering against plenoptic
//! 1.3.0: computes what `benches/pyramid_parts_plenoptic.py` wrote (einstein, height 4,
//! orders 3 and 2; the bands of two scale subsets; every scale steered to four angles,
//! even and odd phase; in f32 and f64) and prints the largest difference from plenoptic's,
//! relative to plenoptic's largest value. Run by hand, not by the tests:
//!
//! ```text
//! /work/plenv/bin/python benches/pyramid_parts_plenoptic.py /tmp/pyrparts
//! cargo run --release --example pyramid_parts_check -- /tmp/pyrparts
//! ```

use std::path::Path;

use plenoptic as po;
use po::simulate::{PyrCoeffs, Scale, SteerablePyramidFreq};

const ANGLES: [f64; 4] = [0.3, 1.234, -2.0, 7.5];

fn theirs(dir: &Path, name: &str) -> Vec<f64> {
    let b = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect()
}

fn flat<E: po::Float>(c: &PyrCoeffs<E, po::dfdx::prelude::NoneTape, po::device::Cpu>) -> Vec<f64>
where
    po::device::Cpu: po::Device<E>,
{
    c.keys()
        .iter()
        .flat_map(|k| c.band(k).unwrap().as_vec().into_iter().map(|v| v.as_f64()))
        .collect()
}

fn compare(what: &str, ours: &[f64], theirs: &[f64]) -> f64 {
    assert_eq!(ours.len(), theirs.len(), "{what}: lengths");
    let scale = theirs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let d = ours
        .iter()
        .zip(theirs)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    println!(
        "{what}: max |ours - plenoptic| {d:.3e}, relative to the largest value {:.3e}",
        d / scale
    );
    d / scale
}

fn check<E: po::Float>(dir: &Path, name: &str) -> po::Result<f64>
where
    po::device::Cpu: po::Device<E>,
{
    let img = po::data::einstein()?.as_vec();
    let img = po::image_from_vec(
        img.into_iter().map(|v| E::of_f64(v as f64)).collect(),
        &[1, 1, 256, 256],
    )?;
    let mut worst = 0.0f64;
    for order in [3, 2] {
        let pyr = SteerablePyramidFreq::builder((256, 256))
            .height(4)
            .order(order)
            .build()?;
        for (tag, scales) in [
            (
                "sub_2_lp",
                vec![Scale::Index(2), Scale::named("residual_lowpass")],
            ),
            (
                "sub_hp_0",
                vec![Scale::named("residual_highpass"), Scale::Index(0)],
            ),
        ] {
            let part = pyr.forward_scales(img.clone(), &scales)?;
            let f = format!("{tag}_o{order}_{name}.f64");
            worst = worst.max(compare(&f, &flat(&part), &theirs(dir, &f)));
        }
        let full = pyr.forward(img.clone())?;
        for even in [true, false] {
            let (st, w) = pyr.steer_coeffs(full.clone(), &ANGLES, even)?;
            let phase = if even { "even" } else { "odd" };
            let f = format!("steer_o{order}_{phase}_{name}.f64");
            worst = worst.max(compare(&f, &flat(&st), &theirs(dir, &f)));
            let f = format!("weights_o{order}_{phase}_{name}.f64");
            let w: Vec<f64> = w.into_iter().flat_map(|(_, v)| v).collect();
            compare(&f, &w, &theirs(dir, &f));
        }
    }
    Ok(worst)
}

fn main() -> po::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or("/tmp/pyrparts".into()));
    let w32 = check::<f32>(&dir, "f32")?;
    let w64 = check::<f64>(&dir, "f64")?;
    println!("worst relative difference of the bands: f32 {w32:.3e}, f64 {w64:.3e}");
    Ok(())
}
